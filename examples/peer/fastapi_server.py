"""The decode server a user would write with FastAPI instead of running latentserve: one TorchScript VAE decoder
behind POST /decode, written in good faith to be fast, so that latentserve's serving numbers have something honest
to be measured against (bin/benchmark-peer).

Run with Debian's packages (python3-fastapi, python3-uvicorn, python3-torch, python3-pil; python3-uvloop is used
when installed, as `pip install uvicorn[standard]` would give it):

    /usr/bin/python3 examples/peer/fastapi_server.py --model models/conv-vae --port 8090

--model is a folder that examples/pytorch/latentserve_export.py wrote (decoder.pt and latentserve-model.json), the
same model latentserve imports from its zip. What it answers mirrors latentserve's /v1/models/{m}/decode:

- Body: JSON {"latents": [[d floats], ...]} (Content-Type application/json) or a float32/float64 .npy of shape
  (N, d) (Content-Type application/x-npy), latents in the service's space, (z - shiftFactor) * scalingFactor.
- Accept: image/png answers one PNG grid of the N images, laid out as latentserve lays it out (ceil(sqrt(N))
  columns, a 2-pixel gap, grey or RGB, zlib at its fastest level); application/x-npy answers the images as one
  (N, C, H, W) array, uint8 by default or float32 in [0, 1] with ?dtype=float32. No Accept header means PNG
  (latentserve's default is JSON, which this server does not speak).
- Bad input answers 4xx with a JSON detail (FastAPI's own form): 400 unreadable body, 406 nothing acceptable,
  413 over --max-batch latents, 415 another content type, 422 wrong shape or non-finite numbers.

How it is made fast: as many uvicorn worker processes as cores this process may run on, each with
cores / workers PyTorch threads (one each by default), so that processes never fight over a core; inference under
torch.inference_mode(); the decoder warmed at start on the batch sizes it will see (TorchScript's profiling executor
re-optimises the first calls of each new shape). The endpoint is `async def` and runs the decoder inline: with one
thread per worker the CPU, not waiting, is the limit, and handing the call to a thread pool would only add a thread
switch. What it does not do is batch requests across callers: a plain server decodes each request on its own, which
is the difference latentserve's batcher is there to make.
"""
import argparse
import io
import json
import math
import os

import numpy as np
import torch
from fastapi import FastAPI, HTTPException, Query, Request, Response
from PIL import Image

GRID_GAP = 2  # pixels between images in a grid, as latentserve's ImageCodec
NPY = "application/x-npy"
PNG = "image/png"


class Decoder:
    """A TorchScript VAE decoder with the descriptor's mapping from the service's latent space to pixels in [0, 1]."""

    def __init__(self, folder):
        with open(os.path.join(folder, "latentserve-model.json")) as f:
            desc = json.load(f)
        if desc["family"] != "vae" or len(desc["latentShape"]) != 1:
            raise SystemExit(f"{folder}: this server decodes VAEs with latent vectors, not {desc['family']} "
                             f"{desc['latentShape']}")
        self.module = torch.jit.load(os.path.join(folder, "decoder.pt"), map_location="cpu").eval()
        self.channels, self.height, self.width = desc["inputShape"]
        self.dim = desc["latentShape"][0]
        self.scaling = float(desc.get("scalingFactor", 1.0))
        self.shift = float(desc.get("shiftFactor", 0.0))
        self.logits = desc["decoderOutput"]["kind"] == "bernoulli-logits"
        norm = desc["normalization"]
        self.mean = torch.tensor(norm["mean"], dtype=torch.float32).reshape(1, -1, 1, 1)
        self.std = torch.tensor(norm["std"], dtype=torch.float32).reshape(1, -1, 1, 1)

    def pixels(self, latents):
        """latents: float32 (N, d) in the service's space. Returns float32 (N, C, H, W) in [0, 1]."""
        with torch.inference_mode():
            z = torch.from_numpy(latents) / self.scaling + self.shift
            out = self.module(z)
            if self.logits:
                return torch.sigmoid(out).numpy()
            return (out * self.std + self.mean).clamp_(0, 1).numpy()


def to_bytes(pixels):
    """float (N, C, H, W) in [0, 1] to uint8 by rounding half up, as latentserve's Math.round(x * 255)."""
    return np.floor(np.clip(pixels, 0, 1) * 255 + 0.5).astype(np.uint8)


def png_grid(pixels):
    """One PNG of the N images of float (N, C, H, W) in a near-square grid: ceil(sqrt(N)) columns, a 2-pixel gap
    (none for one image), black between them; Pillow's zlib at level 1, the fastest, as latentserve's encoder."""
    n, c, h, w = pixels.shape
    cols = max(1, min(math.ceil(math.sqrt(n)), n))
    rows = (n + cols - 1) // cols
    gap = 0 if n == 1 else GRID_GAP
    grid = np.zeros((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, c), dtype=np.uint8)
    images = to_bytes(pixels).transpose(0, 2, 3, 1)  # channels last, as an image library wants them
    for i in range(n):
        top, left = (i // cols) * (h + gap), (i % cols) * (w + gap)
        grid[top:top + h, left:left + w] = images[i]
    image = Image.fromarray(grid[:, :, 0] if c == 1 else grid, "L" if c == 1 else "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def npy_bytes(array):
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def latents_from(body, content_type, dim, max_batch):
    """The request body as float32 (N, d); HTTPException with the status latentserve would answer otherwise."""
    if content_type == "application/json":
        try:
            latents = json.loads(body)["latents"]
            array = np.asarray(latents, dtype=np.float32)
        except (ValueError, KeyError, TypeError) as e:
            raise HTTPException(400, f'send {{"latents": [[{dim} numbers], ...]}}: {e}')
    elif content_type == NPY:
        try:
            array = np.load(io.BytesIO(body), allow_pickle=False)
        except ValueError as e:
            raise HTTPException(400, f"not a .npy array: {e}")
        if array.dtype not in (np.float32, np.float64):
            raise HTTPException(422, f"latents must be float32 or float64, not {array.dtype}")
        array = array.astype(np.float32, copy=False)
    else:
        raise HTTPException(415, f"send application/json or {NPY}, not {content_type or 'no content type'}")
    if array.ndim != 2 or array.shape[1] != dim or array.shape[0] == 0:
        raise HTTPException(422, f"latents must be shaped (N, {dim}) with N >= 1, not {array.shape}")
    if array.shape[0] > max_batch:
        raise HTTPException(413, f"at most {max_batch} latents a request, not {array.shape[0]}")
    if not np.isfinite(array).all():
        raise HTTPException(422, "latents must be finite (no NaN or infinity)")
    return np.ascontiguousarray(array)


def accepted(accept):
    """PNG or NPY, whichever Accept lists first (no q-values: the benchmark sends one type); 406 for neither."""
    for part in (accept or PNG).split(","):
        kind = part.split(";")[0].strip()
        if kind in (PNG, "image/*", "*/*"):
            return PNG
        if kind == NPY:
            return NPY
    raise HTTPException(406, f"this server answers {PNG} or {NPY}")


def create_app(folder, max_batch):
    decoder = Decoder(folder)
    # Each worker warms its own TorchScript executor on the batch sizes a benchmark sends, before it takes requests.
    for n in (1, 2, 16, 17):
        decoder.pixels(np.zeros((n, decoder.dim), dtype=np.float32))
    app = FastAPI(title="peer decode server", docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health():
        return {"status": "UP"}

    @app.post("/decode")
    async def decode(request: Request, dtype: str = Query("uint8", regex="^(uint8|float32)$")):
        answer = accepted(request.headers.get("accept"))
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        latents = latents_from(await request.body(), content_type, decoder.dim, max_batch)
        pixels = decoder.pixels(latents)
        if answer == PNG:
            return Response(png_grid(pixels), media_type=PNG)
        return Response(npy_bytes(pixels if dtype == "float32" else to_bytes(pixels)), media_type=NPY)

    return app


def app_factory():
    """What each uvicorn worker process calls: the settings travel in the environment, as worker processes are
    started afresh and only import this module."""
    torch.set_num_threads(int(os.environ["PEER_THREADS"]))
    return create_app(os.environ["PEER_MODEL"], int(os.environ["PEER_MAX_BATCH"]))


def main():
    cores = len(os.sched_getaffinity(0))  # what taskset left this process, not the whole machine
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="folder with decoder.pt and latentserve-model.json")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--workers", type=int, default=cores,
                        help=f"uvicorn worker processes (default: the cores this process may use, here {cores})")
    parser.add_argument("--threads", type=int,
                        help="PyTorch intra-op threads per worker (default: cores / workers, at least 1)")
    parser.add_argument("--max-batch", type=int, default=256, help="most latents a request (default 256, as latentserve)")
    parser.add_argument("--time-png", type=int, metavar="N",
                        help="print the milliseconds one PNG grid of N decoded images takes to encode, and exit")
    args = parser.parse_args()
    threads = args.threads or max(1, cores // args.workers)
    if args.time_png:
        torch.set_num_threads(threads)
        print(f"{time_png(Decoder(args.model), args.time_png):.3f}")
        return
    os.environ.update(PEER_MODEL=os.path.abspath(args.model), PEER_THREADS=str(threads),
                      PEER_MAX_BATCH=str(args.max_batch))
    import uvicorn
    print(f"peer server: {args.workers} workers x {threads} PyTorch threads on {cores} cores, "
          f"http://{args.host}:{args.port}/decode", flush=True)
    uvicorn.run("fastapi_server:app_factory", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning", access_log=False, app_dir=os.path.dirname(os.path.abspath(__file__)))


def time_png(decoder, n, seconds=2.0):
    """Milliseconds per png_grid of n decoded images, over about `seconds` after a warm-up."""
    import time
    pixels = decoder.pixels(np.random.default_rng(0).standard_normal((n, decoder.dim), dtype=np.float32))
    png_grid(pixels)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        png_grid(pixels)
        calls += 1
    return (time.perf_counter() - start) / calls * 1000


if __name__ == "__main__":
    main()
