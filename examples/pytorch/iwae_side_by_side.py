"""Issue 17's side by side: the negative ELBO and the importance weighted bound (IWAE) of a conv VAE trained in
PyTorch, next to latentserve's /score of its own conv VAE and of the PyTorch one imported.

Run with Debian's PyTorch (/usr/bin/python3, torch 1.13); bin/benchmark-iwae runs the whole comparison. Subcommands:

- train: trains latentserve_export.ConvVAE (the service's conv VAE: channels 32, 64, hidden 256, 16 latents,
  Bernoulli logits) with Adam and exports it in latentserve's import format (folder and zip).
- score-torch: scores test images with an exported model's TorchScript encoder and decoder, here in PyTorch.
- score-service: scores the same test images through a running service's POST /v1/models/{name}/score.
- report: reads the scores and prints the markdown tables of BENCHMARKS.md.

The bounds follow latentserve's definitions (nn/Elbo.java, nn/ImportanceWeightedBound.java,
family/GaussianScoring.java), per image and in nats:
- negative ELBO: -log p(x|z) + KL(q(z|x) || N(0, I)) for one z ~ q(z|x), the KL in closed form (Kingma and Welling
  2014, appendix B);
- IWAE: -log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x) (Burda et al. 2015, eq. 8), the log-weights
  accumulated in float64 and combined with a log-sum-exp;
- p(x|z) a Bernoulli per pixel over the [0, 1] pixels as they are (byte / 255, not binarised), with the decoder's
  logits: -log p(x|z) = sum softplus(l) - x l.
Scores are written per image (.npz) so that two scorers can be compared image by image."""
import argparse
import gzip
import json
import math
import os
import sys
import time
import urllib.request

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import latentserve_export as export  # noqa: E402  the project's own ConvVAE, training loop and export format

DATA = "/usr/share/datasets/fashion-mnist"
PIXELS = 28 * 28
DECODER_ROWS = 1000  # latents per decoder call: bounded memory whatever k is


def test_labels():
    with gzip.open(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"), "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=8)


def image_indices(spec):
    """'all': the 10,000 test images; N: a class-balanced subset, the first N/10 test images of each class (N a
    multiple of 10), in index order. Both scorers take the same indices, so their scores pair up image by image."""
    labels = test_labels()
    if spec == "all":
        return np.arange(len(labels))
    count = int(spec)
    if count <= 0 or count % 10 or count > len(labels):
        raise SystemExit(f"--images must be 'all' or a positive multiple of 10 up to {len(labels)}, not {spec}")
    per_class = [np.flatnonzero(labels == c)[:count // 10] for c in range(10)]
    return np.sort(np.concatenate(per_class))


def bernoulli_nll(logits, pixels):
    """-log p(x|z) per row, summed over pixels; pixels as they are in [0, 1] (continuous targets)."""
    return F.binary_cross_entropy_with_logits(logits, pixels, reduction="none").flatten(1).sum(1)


@torch.no_grad()
def bounds(encoder, decoder, pixels, k, generator):
    """Per image (N,): the one-draw negative ELBO and the IWAE bound at k draws, both float64 nats.

    pixels (N, 1, 28, 28) in [0, 1]. Images go through the decoder in groups of DECODER_ROWS // k images (one image
    and chunks of its draws when k is larger), so memory stays bounded."""
    mean, logvar = encoder(pixels)
    std = torch.exp(0.5 * logvar)
    kl = -0.5 * (1 + logvar.double() - mean.double() ** 2 - logvar.double().exp()).sum(1)
    eps = torch.randn(mean.shape, generator=generator)
    negative_elbo = bernoulli_nll(decoder(mean + std * eps), pixels).double() + kl

    group = max(1, DECODER_ROWS // k)
    chunk = min(k, DECODER_ROWS)
    iwae = torch.empty(len(pixels), dtype=torch.float64)
    for start in range(0, len(pixels), group):
        x, mu, sd, lv = (t[start:start + group] for t in (pixels, mean, std, logvar))
        log_weights = []
        for drawn in range(0, k, chunk):
            c = min(chunk, k - drawn)
            eps = torch.randn((len(x), c, mu.shape[1]), generator=generator)
            z = mu[:, None] + sd[:, None] * eps
            logits = decoder(z.reshape(-1, mu.shape[1]))
            nll = bernoulli_nll(logits, x.repeat_interleave(c, 0)).double().reshape(len(x), c)
            # log p(z) - log q(z|x): the log 2 pi terms cancel and (z - mu)^2 / sigma^2 = eps^2.
            e, zz = eps.double(), z.double()
            log_prior_over_posterior = 0.5 * (e ** 2 - zz ** 2 + lv.double()[:, None]).sum(2)
            log_weights.append(log_prior_over_posterior - nll)
        iwae[start:start + len(x)] = -(torch.logsumexp(torch.cat(log_weights, 1), 1) - math.log(k))
    return negative_elbo.numpy(), iwae.numpy()


def save_scores(path, indices, negative_elbo, iwae, k, seconds, scorer, model):
    np.savez(path, indices=indices, negative_elbo=negative_elbo, iwae=iwae, k=k, seconds=seconds,
             scorer=scorer, model=model)
    print(f"{model} by {scorer}, k = {k}: {len(indices):,} images in {seconds:.0f} s "
          f"({len(indices) / seconds:.2f} images/s); -ELBO {negative_elbo.mean():.2f}, IWAE {iwae.mean():.2f}",
          flush=True)


def score_torch(args):
    folder = args.model
    with open(os.path.join(folder, "latentserve-model.json")) as f:
        descriptor = json.load(f)
    if descriptor["normalization"] != {"mean": [0.0], "std": [1.0]} or descriptor["likelihood"] != {"kind": "bernoulli"}:
        raise SystemExit("score-torch scores Bernoulli VAEs fed the [0, 1] pixels (normalisation mean 0, std 1)")
    encoder = torch.jit.load(os.path.join(folder, "encoder.pt"), map_location="cpu").eval()
    decoder = torch.jit.load(os.path.join(folder, "decoder.pt"), map_location="cpu").eval()
    indices = image_indices(args.images)
    pixels = export.load_pixels("t10k")[indices]
    generator = torch.Generator().manual_seed(args.seed)
    start = time.time()
    parts = [bounds(encoder, decoder, pixels[i:i + 500], args.k, generator) for i in range(0, len(pixels), 500)]
    seconds = time.time() - start
    save_scores(args.out, indices, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                args.k, seconds, "PyTorch", args.name or os.path.basename(folder.rstrip("/")))


def score_service(args):
    indices = image_indices(args.images)
    pixels = export.load_pixels("t10k")[indices].reshape(len(indices), -1).numpy()
    # The service's default limit is 50,000 decoder passes (images x (1 + k)) per request.
    per_request = max(1, min(256, args.max_draws // (args.k + 1)))
    negative_elbo, iwae = [], []
    start = time.time()
    for n, i in enumerate(range(0, len(pixels), per_request)):
        # A seed per request: the same seed would give every request the same noise sequence.
        body = json.dumps({"pixels": pixels[i:i + per_request].tolist(), "k": args.k, "samples": 1,
                           "seed": args.seed * 1_000_003 + n}).encode()
        request = urllib.request.Request(f"{args.url}/v1/models/{args.name}/score", body,
                                         {"Content-Type": "application/json", "X-API-Key": args.key})
        with urllib.request.urlopen(request, timeout=900) as response:
            scores = json.load(response)["scores"]
        negative_elbo += [s["negativeElbo"] for s in scores]
        iwae += [s["iwae"] for s in scores]
    save_scores(args.out, indices, np.array(negative_elbo), np.array(iwae), args.k, time.time() - start,
                "latentserve", args.name)


def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = export.ConvVAE()
    train_pixels = export.load_pixels("train", args.train_images)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads: ConvVAE, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters, {len(train_pixels):,} training images, "
          f"{args.epochs} epochs", flush=True)
    start = time.time()
    export.train(model, train_pixels, export.load_pixels("t10k"), args.epochs, args.seed)
    seconds = time.time() - start
    export.export(model, args.out)
    export.write_zip(args.out, args.out + ".zip")
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump({"epochs": args.epochs, "trainImages": len(train_pixels), "seconds": seconds}, f)
    print(f"trained in {seconds:.0f} s ({args.epochs * len(train_pixels) / seconds:.0f} images/s, test loss "
          f"included); wrote {args.out}/ and {args.out}.zip", flush=True)


# --- report ------------------------------------------------------------------------------------------------------

def mean_and_error(values):
    values = np.asarray(values, dtype=np.float64)
    return values.mean(), values.std(ddof=1) / math.sqrt(len(values))


def pm(values):
    m, e = mean_and_error(values)
    return f"{m:.2f} ± {e:.2f}"


def load(folder, name):
    path = os.path.join(folder, name + ".npz")
    return dict(np.load(path)) if os.path.exists(path) else None


def paired(a, b, field):
    """b[field] - a[field] over the images both scored (the same indices in the same order)."""
    common, ia, ib = np.intersect1d(a["indices"], b["indices"], return_indices=True)
    return common, b[field][ib] - a[field][ia]


def report(args):
    """Scores are in args.folder as <model>-<scorer>-k<k>.npz; models 'latentserve' and 'pytorch' (trained by each)."""
    bits = PIXELS * math.log(2)
    trained = json.loads(args.trained)
    print("| model | trained by | epochs | -ELBO nats (L = 1) | IWAE k = 100 | IWAE k = 5,000 | gap -ELBO - IWAE "
          "k = 5,000 | IWAE k = 5,000 bits/dim |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for model, scorer, label in (("latentserve", "latentserve", "latentserve (DJL), scored by latentserve"),
                                 ("pytorch", "torch", "PyTorch 1.13, scored by PyTorch")):
        low, high = load(args.folder, f"{model}-{scorer}-k100"), load(args.folder, f"{model}-{scorer}-k5000")
        if low is None or high is None:
            continue
        gap = high["negative_elbo"] - high["iwae"]  # the same images and request: a paired difference
        print(f"| conv VAE | {label} | {trained[model]} | {pm(low['negative_elbo'])} | {pm(low['iwae'])} "
              f"| {pm(high['iwae'])} | {pm(gap)} | {high['iwae'].mean() / bits:.4f} |")
    print(f"\nELBO and IWAE k = 100 over {len(low['indices']):,} test images; IWAE k = 5,000 and the gap over "
          f"{len(high['indices']):,} (class-balanced); ± one standard error over images.")

    print("\nCross-check: the PyTorch-trained model scored by PyTorch and by latentserve (imported TorchScript), "
          "image by image; difference latentserve - PyTorch, z = difference / its standard error.\n")
    print("| bound | images | PyTorch | latentserve | difference | z |")
    print("|---|---:|---:|---:|---:|---:|")
    for k, field, label in ((100, "negative_elbo", "-ELBO (L = 1)"), (100, "iwae", "IWAE k = 100"),
                            (5000, "iwae", "IWAE k = 5,000")):
        torch_scores = load(args.folder, f"pytorch-torch-k{k}")
        service_scores = load(args.folder, f"pytorch-latentserve-k{k}")
        if torch_scores is None or service_scores is None:
            continue
        common, difference = paired(torch_scores, service_scores, field)
        m, e = mean_and_error(difference)
        print(f"| {label} | {len(common):,} | {pm(torch_scores[field])} | {pm(service_scores[field])} "
              f"| {m:+.3f} ± {e:.3f} | {m / e:+.2f} |")

    print("\nCost of the k = 5,000 runs:\n")
    print("| scorer | model | images | seconds | images/s | decoder passes/s |")
    print("|---|---|---:|---:|---:|---:|")
    for name in sorted(os.listdir(args.folder)):
        if name.endswith("-k5000.npz"):
            s = dict(np.load(os.path.join(args.folder, name)))
            n, seconds = len(s["indices"]), float(s["seconds"])
            print(f"| {s['scorer']} | {s['model']} | {n:,} | {seconds:.0f} | {n / seconds:.2f} "
                  f"| {n * 5001 / seconds:,.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("train", help="train the conv VAE in PyTorch and export it")
    t.add_argument("--out", required=True, help="folder to export into (and <out>.zip)")
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--train-images", type=int, default=60000, help="the first N training images (default all)")
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--seed", type=int, default=0)
    for name, helps in (("score-torch", "score with PyTorch"), ("score-service", "score through POST /score")):
        s = commands.add_parser(name, help=helps)
        s.add_argument("--k", type=int, required=True, help="importance samples per image")
        s.add_argument("--images", default="all", help="'all' or N: the first N/10 test images of each class")
        s.add_argument("--seed", type=int, default=1)
        s.add_argument("--out", required=True, help="the .npz of per-image scores")
        s.add_argument("--name", help="the model's name (score-service: in the service)", required=name == "score-service")
    commands.choices["score-torch"].add_argument("--model", required=True, help="an exported model folder")
    commands.choices["score-torch"].add_argument("--threads", type=int, default=2)
    service = commands.choices["score-service"]
    service.add_argument("--url", required=True)
    service.add_argument("--key", default=os.environ.get("LATENTSERVE_KEY"))
    service.add_argument("--max-draws", type=int, default=50000, help="the service's score.max-draws")
    r = commands.add_parser("report", help="print the tables")
    r.add_argument("--folder", required=True)
    r.add_argument("--trained", required=True, help='epochs per model as JSON: {"latentserve": 3, "pytorch": 3}')
    args = parser.parse_args()
    if args.command == "score-torch":
        torch.set_num_threads(args.threads)
    {"train": train, "score-torch": score_torch, "score-service": score_service, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
