"""Trains three small image models in PyTorch on Fashion-MNIST and exports them in latentserve's import format.

Run with Debian's PyTorch: /usr/bin/python3 examples/pytorch/latentserve_export.py --help

- conv-vae: a VAE with a 16-dimensional latent and Bernoulli logits over [0,1] pixels.
- spatial-vae: a latent-diffusion style autoencoder (Rombach et al. 2022) with a 4x7x7 latent, its encoder answering
  the "moments" tensor, pixels in [-1,1] and a Gaussian likelihood.
- vqvae: a VQ-VAE (van den Oord et al. 2017) with a 7x7 grid of codes, K=64 codes of D=32, EMA codebook.

Each model becomes OUT/<name>/ (encoder.pt, decoder.pt, codebook.npy for the VQ-VAE, latentserve-model.json) and
OUT/<name>.zip; --import then posts each zip to a running service. --fixtures writes the test fixtures of the Java
side instead: the same models trained briefly and narrower, with probe inputs and the TorchScript modules' outputs.
The format is described in examples/pytorch/README.md."""
import argparse
import gzip
import json
import os
import shutil
import struct
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
MODELS = ("conv-vae", "spatial-vae", "vqvae")
LOG_2PI = float(np.log(2 * np.pi))


def read_idx_images(path):
    """An IDX image file as uint8 (N, 1, H, W)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 2051:
        raise ValueError(f"{path} is not an IDX image file (magic {magic})")
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, 1, rows, cols)


def load_pixels(split, count=None):
    """The first `count` images of a split as float32 in [0,1], as the service computes them (byte / 255)."""
    images = read_idx_images(os.path.join(DATA, f"{split}-images-idx3-ubyte.gz"))
    if count is not None:
        images = images[:count]
    return torch.from_numpy(images.astype(np.float32) / 255.0)


def gaussian_kl(mean, logvar):
    """KL(N(mean, exp(logvar)) || N(0, I)) per image, summed over the latent (Kingma & Welling 2014, appendix B)."""
    return -0.5 * torch.sum(1 + logvar - mean.pow(2) - logvar.exp(), dim=tuple(range(1, mean.dim())))


def bernoulli_nll(logits, pixels):
    """-log p(x|z) per image with a Bernoulli per pixel over the [0,1] pixels (continuous targets, as the service)."""
    return F.binary_cross_entropy_with_logits(logits, pixels, reduction="none").sum(dim=(1, 2, 3))


def gaussian_nll(out, x, sigma):
    """-log N(x; out, sigma^2 I) per image, in the normalised space, with its normalising constant."""
    return ((x - out) ** 2).sum(dim=(1, 2, 3)) / (2 * sigma ** 2) + x[0].numel() * (np.log(sigma) + 0.5 * LOG_2PI)


def reparameterise(mean, logvar):
    return mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)


class GaussianEncoder(nn.Module):
    """A body and two linear heads; returns (mean, logvar), the encoder output 'mean-logvar' of the format."""

    def __init__(self, body, hidden, latent):
        super().__init__()
        self.body = body
        self.mean = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)

    def forward(self, x):
        h = self.body(x)
        return self.mean(h), self.logvar(h)


class ConvVAE(nn.Module):
    """Conv encoder (1 -> w -> 2w, 4x4 stride 2) to a flat Gaussian latent; decoder back to Bernoulli logits.

    width=32, hidden=256 is the service's own conv VAE (1,688,289 parameters); fixtures use narrower ones."""

    family = "vae"
    normalization = {"mean": [0.0], "std": [1.0]}  # Bernoulli logits need the pixels as they are

    def __init__(self, width=32, hidden=256, latent=16):
        super().__init__()
        w = width
        self.latent_shape = [latent]
        self.encoder = GaussianEncoder(nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.ReLU(),
            nn.Flatten(), nn.Linear(2 * w * 7 * 7, hidden), nn.ReLU()), hidden, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden), nn.ReLU(),
            nn.Linear(hidden, 2 * w * 7 * 7), nn.ReLU(), nn.Unflatten(1, (2 * w, 7, 7)),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(w, 1, 4, 2, 1))

    def descriptor(self):
        return {"encoderOutput": "mean-logvar", "latentShape": self.latent_shape,
                "decoderOutput": {"kind": "bernoulli-logits"}, "likelihood": {"kind": "bernoulli"}}

    def posterior(self, x):
        return self.encoder(x)

    def negative_elbo(self, pixels):
        """Per image, in nats: -log p(x|z) for one z ~ q(z|x), plus KL(q(z|x) || p(z))."""
        mean, logvar = self.posterior(pixels)
        return bernoulli_nll(self.decoder(reparameterise(mean, logvar)), pixels) + gaussian_kl(mean, logvar)

    loss = negative_elbo


class SpatialVAE(nn.Module):
    """A latent-diffusion style autoencoder: a (c, 7, 7) latent grid, the encoder answering concat(mean, logvar).

    The decoder answers the image in the normalised [-1,1] space without a tanh, and the likelihood is a Gaussian
    with a fixed sigma there, so the negative ELBO the service reports matches the loss trained here."""

    family = "vae"
    normalization = {"mean": [0.5], "std": [0.5]}  # pixels in [-1,1], as latent diffusion feeds them
    sigma = 0.1

    def __init__(self, width=32, channels=4):
        super().__init__()
        w = width
        self.latent_shape = [channels, 7, 7]
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w, 3, 1, 1), nn.SiLU(),
            nn.Conv2d(w, w, 4, 2, 1), nn.SiLU(),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.SiLU(),
            nn.Conv2d(2 * w, 2 * channels, 3, 1, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(channels, 2 * w, 3, 1, 1), nn.SiLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.SiLU(),
            nn.ConvTranspose2d(w, w, 4, 2, 1), nn.SiLU(),
            nn.Conv2d(w, 1, 3, 1, 1))
        # Set by fit_latent_scaling after training; the service shows (z - shift) * scale.
        self.scaling_factor, self.shift_factor = 1.0, 0.0

    def descriptor(self):
        return {"encoderOutput": "moments", "latentShape": self.latent_shape,
                "scalingFactor": self.scaling_factor, "shiftFactor": self.shift_factor,
                "decoderOutput": {"kind": "image"}, "likelihood": {"kind": "gaussian", "sigma": self.sigma}}

    def posterior(self, x):
        return torch.chunk(self.encoder(x), 2, dim=1)

    def negative_elbo(self, pixels):
        x = (pixels - 0.5) / 0.5
        mean, logvar = self.posterior(x)
        return gaussian_nll(self.decoder(reparameterise(mean, logvar)), x, self.sigma) + gaussian_kl(mean, logvar)

    loss = negative_elbo

    @torch.no_grad()
    def fit_latent_scaling(self, pixels):
        """shift = mean of z and scale = 1 / std of z over the given images, so the latent the service shows has
        roughly zero mean and unit variance (the scale of Rombach et al. 2022, section G; the shift of SD3 and FLUX).
        Rounded to four significant digits to keep the descriptor readable."""
        mean, logvar = self.posterior((pixels - 0.5) / 0.5)
        z = reparameterise(mean, logvar)
        self.shift_factor = float(f"{z.mean().item():.4g}")
        self.scaling_factor = float(f"{1.0 / z.std().item():.4g}")


class VQVAE(nn.Module):
    """VQ-VAE: conv encoder to z_e (N, D, 7, 7), nearest of K codes, decoder from the quantised grid.

    The codebook follows the exponential moving averages of van den Oord et al. 2017, appendix A.1 (decay 0.99,
    Laplace smoothing epsilon 1e-5); the encoder gets the straight-through gradient and beta * commitment. The
    decoder answers the Gaussian mean in the normalised space, trained with the MSE."""

    family = "vqvae"
    # Fashion-MNIST's training-set pixel mean and standard deviation, as torchvision examples normalise it.
    normalization = {"mean": [0.2860], "std": [0.3530]}

    def __init__(self, width=64, codes=64, dim=32, decay=0.99, epsilon=1e-5, beta=0.25):
        super().__init__()
        w = width
        self.decay, self.epsilon, self.beta = decay, epsilon, beta
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(w, w, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(w, dim, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(dim, w, 3, 1, 1), nn.ReLU(),
            nn.ConvTranspose2d(w, w, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(w, 1, 4, 2, 1))
        self.register_buffer("codebook", torch.zeros(codes, dim))
        self.register_buffer("ema_count", torch.ones(codes))
        self.register_buffer("ema_sum", torch.zeros(codes, dim))
        self.initialised = False

    def descriptor(self):
        return {"latentShape": [7, 7], "decoderOutput": {"kind": "gaussian-mean"}, "likelihood": None}

    def normalise(self, pixels):
        return (pixels - self.normalization["mean"][0]) / self.normalization["std"][0]

    def quantise(self, ze):
        """The nearest code of every vector of z_e by squared Euclidean distance: (codes (N, h, w), z_q like z_e)."""
        n, d, h, w = ze.shape
        flat = ze.permute(0, 2, 3, 1).reshape(-1, d)
        distances = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.codebook.t() + self.codebook.pow(2).sum(1)
        codes = distances.argmin(1)
        zq = self.codebook[codes].reshape(n, h, w, d).permute(0, 3, 1, 2)
        return codes.reshape(n, h, w), zq

    @torch.no_grad()
    def initialise_codebook(self, ze):
        """Codes seeded from the first batch's vectors by k-means++ (Arthur & Vassilvitskii 2007): random codes far
        from every z_e would never be chosen, and plain random picks duplicate the many identical background
        vectors, leaving near-equal codes whose nearest-code ties float32 rounding can break either way."""
        flat = ze.detach().permute(0, 2, 3, 1).reshape(-1, ze.shape[1])
        chosen = [flat[torch.randint(len(flat), (1,))].squeeze(0)]
        nearest = (flat - chosen[0]).pow(2).sum(1)
        for _ in range(1, self.codebook.shape[0]):
            chosen.append(flat[torch.multinomial(nearest, 1)].squeeze(0))
            nearest = torch.minimum(nearest, (flat - chosen[-1]).pow(2).sum(1))
        self.codebook.copy_(torch.stack(chosen))
        self.ema_sum.copy_(self.codebook)  # with ema_count 1, the averages start at the codes themselves
        self.initialised = True

    @torch.no_grad()
    def update_codebook(self, ze, codes):
        flat = ze.permute(0, 2, 3, 1).reshape(-1, ze.shape[1])
        onehot = F.one_hot(codes.reshape(-1), self.codebook.shape[0]).type(flat.dtype)
        self.ema_count.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
        self.ema_sum.mul_(self.decay).add_(onehot.t() @ flat, alpha=1 - self.decay)
        n = self.ema_count.sum()
        smoothed = (self.ema_count + self.epsilon) / (n + self.codebook.shape[0] * self.epsilon) * n
        self.codebook.copy_(self.ema_sum / smoothed.unsqueeze(1))

    def loss(self, pixels):
        """Reconstruction MSE + beta * commitment, per image summed over pixels and vectors (so comparable in scale
        with the VAEs' losses); the codebook itself learns from the moving averages, not from this loss."""
        x = self.normalise(pixels)
        ze = self.encoder(x)
        if self.training and not self.initialised:
            self.initialise_codebook(ze)
        codes, zq = self.quantise(ze)
        if self.training:
            self.update_codebook(ze, codes)
        out = self.decoder(ze + (zq - ze).detach())  # straight-through: dL/dz_q goes to z_e unchanged
        reconstruction = ((out - x) ** 2).sum(dim=(1, 2, 3))
        commitment = ((ze - zq) ** 2).sum(dim=(1, 2, 3))
        return reconstruction + self.beta * commitment

    def codebook_array(self):
        return self.codebook.detach().numpy().astype(np.float32)


def build(name, fixture):
    """A model by name; fixtures use the same classes narrower, to keep each fixture folder small."""
    if name == "conv-vae":
        return ConvVAE(width=4, hidden=32) if fixture else ConvVAE()
    if name == "spatial-vae":
        return SpatialVAE(width=8) if fixture else SpatialVAE()
    if name == "vqvae":
        return VQVAE(width=16) if fixture else VQVAE()
    raise ValueError(f"unknown model {name}; choose from {', '.join(MODELS)}")


def train(model, train_pixels, test_pixels, epochs, seed, batch=128, lr=1e-3):
    """Adam on the mean per-image loss; prints each epoch's time and test loss (per image)."""
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(1, epochs + 1):
        model.train()
        start, total = time.time(), 0.0
        for idx in torch.randperm(len(train_pixels), generator=generator).split(batch):
            loss = model.loss(train_pixels[idx]).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            test = torch.cat([model.loss(b) for b in test_pixels.split(500)]).mean().item()
        print(f"  epoch {epoch}: {time.time() - start:.1f} s, train loss {total / len(train_pixels):.2f}, "
              f"test loss {test:.2f} per image", flush=True)
    model.eval()


def descriptor(model):
    """The latentserve-model.json of a model, fields in the order the README lists them."""
    fields = model.descriptor()
    d = {"format": 1, "family": model.family, "inputShape": [1, 28, 28], "normalization": model.normalization}
    for key in ("encoderOutput", "latentShape", "scalingFactor", "shiftFactor", "decoderOutput", "likelihood"):
        if key in fields:
            d[key] = fields[key]
    return d


def trace(module, example):
    """TorchScript by tracing, in eval mode on the CPU, checked against the eager module on another batch size
    (a shape the trace had baked in would show there)."""
    module = module.eval().cpu()
    with torch.no_grad():
        traced = torch.jit.trace(module, example)
        other = torch.cat([example, example, example[:1]])
        for a, b in zip(_flat(traced(other)), _flat(module(other))):
            if not torch.allclose(a, b, atol=1e-5, equal_nan=True):
                raise AssertionError("the traced module differs from the eager one on a new batch size")
    return traced


def _flat(out):
    return out if isinstance(out, tuple) else (out,)


def export(model, folder, encoder=None, decoder=None, desc=None):
    """Writes encoder.pt, decoder.pt, codebook.npy (VQ-VAE) and latentserve-model.json into folder."""
    os.makedirs(folder, exist_ok=True)
    x = torch.rand(2, 1, 28, 28)
    encoder = encoder if encoder is not None else model.encoder
    decoder = decoder if decoder is not None else model.decoder
    with torch.no_grad():
        latent = model.encoder.eval()(x)
    # The decoder's example input: a latent as the encoder's own output shapes it.
    if model.family == "vqvae":
        z = latent
    elif isinstance(latent, tuple):
        z = latent[0]
    else:
        z = torch.chunk(latent, 2, dim=1)[0]
    trace(encoder, x).save(os.path.join(folder, "encoder.pt"))
    trace(decoder, torch.randn_like(z)).save(os.path.join(folder, "decoder.pt"))
    if model.family == "vqvae":
        np.save(os.path.join(folder, "codebook.npy"), model.codebook_array())
    with open(os.path.join(folder, "latentserve-model.json"), "w") as f:
        fields = (desc if desc is not None else descriptor(model)).items()
        f.write("{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in fields) + "\n}\n")


def model_files(folder):
    """The files of the format present in folder; a fixture folder holds probes and expected outputs besides."""
    return [f for f in ("encoder.pt", "decoder.pt", "codebook.npy", "latentserve-model.json")
            if os.path.exists(os.path.join(folder, f))]


def write_zip(folder, path):
    """The model's files at the zip's root, with a fixed timestamp so the same model gives the same bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in model_files(folder):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(os.path.join(folder, name), "rb") as f:
                z.writestr(info, f.read())


def import_archive(url, key, name, path):
    """POSTs a zip to URL/v1/models/<name>/versions as the multipart part 'archive'; True when it was accepted."""
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        archive = f.read()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"archive\"; filename=\"{name}.zip\"\r\n"
            f"Content-Type: application/zip\r\n\r\n").encode() + archive + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{url.rstrip('/')}/v1/models/{name}/versions", data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-API-Key": key,
                 "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            print(f"{name}: HTTP {response.status}\n{response.read().decode()}")
            return True
    except urllib.error.HTTPError as e:
        print(f"{name}: HTTP {e.code}\n{e.read().decode()}")
    except urllib.error.URLError as e:
        print(f"{name}: could not reach {url}: {e.reason}")
    return False


# --- test fixtures ---------------------------------------------------------------------------------------------

def channel_stats(desc):
    """The descriptor's normalisation as (mean, std), each shaped (1, C, 1, 1) to broadcast over a batch."""
    return tuple(torch.tensor(desc["normalization"][k]).reshape(1, -1, 1, 1) for k in ("mean", "std"))


def to_pixels(out, desc):
    """Decoder output to pixels in [0,1], as the service maps it."""
    if desc["decoderOutput"]["kind"] == "bernoulli-logits":
        return torch.sigmoid(out)
    mean, std = channel_stats(desc)
    return (out * std + mean).clamp(0, 1)


def nearest_codes(ze, codebook):
    """The format's quantisation in float64: nearest code by squared distance, ties to the lowest index (argmin
    answers the first minimum). Also the smallest gap between the best and second-best distance relative to
    |z|^2 + best, the size of float32's rounding error in |z|^2 - 2 z.e + |e|^2: a near tie could go either way."""
    vectors = ze.transpose(0, 2, 3, 1).astype(np.float64)[..., None, :]
    distances = ((vectors - codebook.astype(np.float64)) ** 2).sum(-1)
    ordered = np.sort(distances, axis=-1)
    scale = (vectors ** 2).sum(-1)[..., 0] + ordered[..., 0]
    return distances.argmin(-1).astype(np.int64), float(((ordered[..., 1] - ordered[..., 0]) / scale).min())


def write_expected(folder, probe, seed):
    """Probe inputs and the outputs of the TorchScript modules as saved, reloaded the way the service loads them."""
    with open(os.path.join(folder, "latentserve-model.json")) as f:
        desc = json.load(f)
    encoder = torch.jit.load(os.path.join(folder, "encoder.pt"), map_location="cpu")
    decoder = torch.jit.load(os.path.join(folder, "decoder.pt"), map_location="cpu")
    mean, std = channel_stats(desc)

    def save(name, array):
        np.save(os.path.join(folder, name), array)

    save("probe-images.npy", probe.numpy())
    with torch.no_grad():
        out = encoder((probe - mean) / std)
        if desc["family"] == "vqvae":
            ze = out.numpy()
            codebook = np.load(os.path.join(folder, "codebook.npy"))
            codes, gap = nearest_codes(ze, codebook)
            if gap < 1e-4:
                raise SystemExit(f"a probe vector is within {gap:.2g} (relative) of a tie between two codes, which "
                                 "float32 arithmetic may break either way; choose another --seed")
            print(f"  {len(np.unique(codes))} codes used by the probes; nearest-code margin {gap:.2g} relative")
            save("expected-ze.npy", ze)
            save("expected-codes.npy", codes)
            zq = torch.from_numpy(np.ascontiguousarray(codebook[codes].transpose(0, 3, 1, 2)))
            save("expected-decoded.npy", to_pixels(decoder(zq), desc).numpy())
            return
        z_mean, z_logvar = out if desc["encoderOutput"] == "mean-logvar" else torch.chunk(out, 2, dim=1)
        save("expected-mean.npy", z_mean.numpy())
        save("expected-logvar.npy", z_logvar.numpy())
        decoded = decoder(z_mean)
        save("expected-decoded.npy", to_pixels(decoded, desc).numpy())
        # The two terms of the negative ELBO with z at the posterior mean, to check the likelihood's arithmetic
        # (the service's own estimate draws z, so it cannot be compared directly).
        likelihood = desc["likelihood"]
        nll = bernoulli_nll(decoded, probe) if likelihood["kind"] == "bernoulli" \
            else gaussian_nll(decoded, (probe - mean) / std, likelihood["sigma"])
        save("expected-nll-at-mean.npy", nll.float().numpy())
        save("expected-kl.npy", gaussian_kl(z_mean, z_logvar).numpy())
        latents = np.random.default_rng(seed).standard_normal((4, *desc["latentShape"])).astype(np.float32)
        save("probe-latents.npy", latents)
        save("expected-decoded-latents.npy", to_pixels(decoder(torch.from_numpy(latents)), desc).numpy())


def write_bad_fixtures(folder, seed):
    """Artifacts the service must refuse: not TorchScript, an encoder disagreeing with its descriptor, a codebook
    of the wrong width, a decoder answering NaN. Untrained: only their shapes and values matter."""
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    rng = np.random.default_rng(seed)
    with open(os.path.join(folder, "not-torchscript.pt"), "wb") as f:
        f.write(rng.bytes(1024))
    np.save(os.path.join(folder, "codebook-wrong-d.npy"), rng.standard_normal((64, 33)).astype(np.float32))

    torch.manual_seed(seed)
    model = ConvVAE(width=4, hidden=16, latent=16)
    wrong = ConvVAE(width=4, hidden=16, latent=12)  # descriptor and decoder say 16, this encoder answers 12
    export(model, os.path.join(folder, "encoder-wrong-shape"), encoder=wrong.encoder, desc=descriptor(model))

    model = ConvVAE(width=4, hidden=16, latent=16)
    with torch.no_grad():
        model.decoder[-1].bias.fill_(float("nan"))  # as a diverged training leaves it: every output NaN
    export(model, os.path.join(folder, "nan-decoder"))


def write_fixtures(folder, args):
    train_pixels = load_pixels("train", args.train_images or 10000)
    test_pixels = load_pixels("t10k", 1000)
    probe = test_pixels[:8].clone()
    for name in args.models:
        print(f"{name} (fixture)", flush=True)
        torch.manual_seed(args.seed)
        model = build(name, fixture=True)
        train(model, train_pixels, test_pixels, args.epochs or 3, args.seed)
        if isinstance(model, SpatialVAE):
            model.fit_latent_scaling(train_pixels[:1000])
        target = os.path.join(folder, name)
        if os.path.exists(target):
            shutil.rmtree(target)
        export(model, target)
        write_expected(target, probe, args.seed)
    write_bad_fixtures(os.path.join(folder, "bad"), args.seed)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Examples: --out models (train and export all three); --out models --skip-training --import "
               "http://localhost:8080 --key $LATENTSERVE_KEY (post the zips); --fixtures "
               "src/test/resources/fixtures/torchscript (the Java tests' fixtures).")
    parser.add_argument("--out", default="models", help="folder for <name>/ and <name>.zip (default: models)")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated subset of {','.join(MODELS)} (default: all)")
    parser.add_argument("--epochs", type=int, help="training epochs (default 2; 3 with --fixtures)")
    parser.add_argument("--train-images", type=int,
                        help="train on the first N training images (default 20,000 of the 60,000; 10,000 with "
                             "--fixtures)")
    parser.add_argument("--test-images", type=int, default=2000,
                        help="the first N test images give the printed test loss (default 2,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int,
                        help="PyTorch intra-op threads (default: PyTorch's choice; on cores other processes keep "
                             "busy, more threads can be many times slower)")
    parser.add_argument("--skip-training", action="store_true",
                        help="do not train; only --import the zips already in --out")
    parser.add_argument("--import", dest="import_url", metavar="URL",
                        help="post each zip to URL/v1/models/<name>/versions (e.g. http://localhost:8080)")
    parser.add_argument("--key", default=os.environ.get("LATENTSERVE_KEY"),
                        help="API key for --import (default: $LATENTSERVE_KEY)")
    parser.add_argument("--fixtures", metavar="DIR",
                        help="write the Java tests' fixtures into DIR instead of training full-size models")
    args = parser.parse_args()
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in args.models:
        if m not in MODELS:
            parser.error(f"unknown model {m}; choose from {', '.join(MODELS)}")
    if args.import_url and not args.key:
        parser.error("--import needs --key (or LATENTSERVE_KEY in the environment)")
    if args.threads:
        torch.set_num_threads(args.threads)

    if args.fixtures:
        write_fixtures(args.fixtures, args)
        return 0

    if not args.skip_training:
        start = time.time()
        train_pixels = load_pixels("train", args.train_images or 20000)
        test_pixels = load_pixels("t10k", args.test_images)
        for name in args.models:
            torch.manual_seed(args.seed)
            model = build(name, fixture=False)
            print(f"{name}: {sum(p.numel() for p in model.parameters()):,} parameters, "
                  f"{len(train_pixels):,} training images", flush=True)
            train(model, train_pixels, test_pixels, args.epochs or 2, args.seed)
            if isinstance(model, SpatialVAE):
                model.fit_latent_scaling(train_pixels[:5000])
            folder = os.path.join(args.out, name)
            export(model, folder)
            write_zip(folder, folder + ".zip")
            print(f"  wrote {folder}/ and {folder}.zip", flush=True)
        print(f"done in {time.time() - start:.0f} s")

    if args.import_url:
        ok = True
        for name in args.models:
            path = os.path.join(args.out, name + ".zip")
            if not os.path.exists(path):
                print(f"{name}: {path} does not exist; train and export it first")
                ok = False
                continue
            ok = import_archive(args.import_url, args.key, name, path) and ok
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
