"""Writes the seed inputs of the fuzz tests: small valid files of every format a user may send.

Run with Debian's python3-numpy and python3-pil, in this folder: /usr/bin/python3 make_fuzz_seeds.py
Jazzer runs every file under <package>/<Class>Inputs/<method>/ as a regression test in ./mvnw test, and starts
bin/fuzz from them. Findings that bin/fuzz saves there (crash-<sha1>) are kept beside these seeds."""
import gzip
import io
import json
import os
import struct
import zipfile

import numpy as np
from PIL import Image

rng = np.random.default_rng(7)


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def image(mode, size=(8, 6), **options):
    fmt = options.pop("format")
    grey = rng.integers(0, 256, (size[1], size[0]), dtype=np.uint8)
    if mode == "RGB" or mode == "RGBA" or mode == "P":
        pixels = Image.fromarray(np.stack([grey, grey[::-1], 255 - grey] + ([grey] if mode == "RGBA" else []), axis=-1),
                                 "RGBA" if mode == "RGBA" else "RGB")
        if mode == "P":
            pixels = pixels.quantize(16)
    elif mode == "I;16":
        pixels = Image.fromarray(grey.astype(np.uint16) * 257)
    elif mode == "1":
        pixels = Image.fromarray(grey > 127)
    else:
        pixels = Image.fromarray(grey, "L")
    out = io.BytesIO()
    pixels.save(out, format=fmt, **options)
    return out.getvalue()


def npy(array):
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def idx(count, rows, columns):
    pixels = rng.integers(0, 256, count * rows * columns, dtype=np.uint8).tobytes()
    return struct.pack(">IIII", 0x00000803, count, rows, columns) + pixels


def zipped(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


images = "image/ImageCodecFuzzTestsInputs/decode"
write(images, "grey.png", image("L", format="PNG"))
write(images, "grey16.png", image("I;16", format="PNG"))
write(images, "bilevel.png", image("1", format="PNG"))
write(images, "rgb.png", image("RGB", format="PNG"))
write(images, "rgba.png", image("RGBA", format="PNG"))
write(images, "palette.png", image("P", format="PNG"))
write(images, "grey.jpg", image("L", format="JPEG", quality=90))
write(images, "rgb.jpg", image("RGB", format="JPEG", quality=90))
write(images, "rgb-progressive.jpg", image("RGB", format="JPEG", quality=80, progressive=True))

datasets = "datasets/DatasetFormatsFuzzTestsInputs/"
unit = rng.random((2, 4, 3))
write(datasets + "npy", "u1.npy", npy(rng.integers(0, 256, (2, 4, 3), dtype=np.uint8)))
write(datasets + "npy", "f4-fortran-nhwc.npy", npy(np.asfortranarray(rng.random((2, 3, 2, 3)).astype("<f4"))))
write(datasets + "npy", "f8-big-nchw.npy", npy(rng.random((1, 3, 2, 3)).astype(">f8")))
write(datasets + "npy", "f2.npy", npy(unit.astype("<f2")))
write(datasets + "npy", "b1.npy", npy(unit > 0.5))
write(datasets + "npy", "i2-big-fortran.npy", npy(np.asfortranarray((unit * 255).astype(">i2"))))
write(datasets + "npy", "u8.npy", npy((unit * 255).astype("<u8")))
write(datasets + "idx", "images.idx", idx(3, 4, 5))
pngs = [("a.png", image("L", (4, 4), format="PNG")), ("b/b.png", image("L", (4, 4), format="PNG")),
        ("c.jpg", image("L", (4, 4), format="JPEG")), ("__MACOSX/._a.png", b"\0\5\26\7")]
write(datasets + "zip", "grey.zip", zipped(pngs))
write(datasets + "zip", "rgb.zip", zipped([("x.png", image("RGB", (4, 4), format="PNG")),
                                           ("y.png", image("RGB", (4, 4), format="PNG"))]))
write(datasets + "upload", "images.idx", idx(2, 3, 3))
write(datasets + "upload", "images.idx.gz", gzip.compress(idx(2, 3, 3), mtime=0))
write(datasets + "upload", "pngs.zip", zipped(pngs[:2]))
write(datasets + "upload", "u1.npy", npy(rng.integers(0, 256, (2, 3, 3), dtype=np.uint8)))
write(datasets + "upload", "f4.npy.gz", gzip.compress(npy(unit.astype("<f4")), mtime=0))

inference = "serving/InferenceRequestsFuzzTestsInputs/"
png = __import__("base64").b64encode(image("L", (4, 4), format="PNG")).decode()
bodies = {
    "sampleRequest": [{"count": 16, "seed": 42, "temperature": 1.0},
                      {"count": 4, "seed": 1, "temperature": 0.9, "topK": 20, "includePixels": True,
                       "temperatures": {"top": 0.8, "bottom": 1.0}}],
    "imagesRequest": [{"images": [png], "sample": True, "seed": 3, "includeVectors": True},
                      {"pixels": [[0.0, 0.5, 1.0, 0.25]], "includePixels": True, "seed": 7}],
    "decodeRequest": [{"latents": [[0.0, 1.5, -2.0, 0.25]], "includePixels": False},
                      {"codes": [[[1, 2], [3, 4]]]},
                      {"codes": {"top": [[[1]]], "bottom": [[[1, 2], [3, 4]]]}},
                      {"vectors": [[0.1, -0.2, 0.3, 0.4]]}],
}
jobs = "jobs/JobRequestFuzzTestsInputs/jobRequest"
job_bodies = [
    {"type": "train", "model": "my-vae", "family": "vae", "dataset": "fashion-mnist-train",
     "testDataset": "fashion-mnist-test", "epochs": 10, "batchSize": 128, "learningRate": 0.001, "seed": 0,
     "architecture": {"channels": [32, 64], "hiddenDim": 256, "latentDim": 16, "likelihood": "bernoulli"}},
    {"type": "fit-prior", "model": "fashion-vq2@1", "dataset": "fashion-mnist-train", "trainImages": 5000,
     "testImages": 1000, "epochs": 5, "architecture": {"levels": ["top", "bottom"], "top": {"layers": 8, "attentionEvery": 4}}},
    {"type": "sample", "model": "fashion-vq2", "seed": 3,
     "sample": {"count": 5000, "temperature": 1.0, "topK": None, "temperatures": {"bottom": 0.9}}},
]
for method, examples in bodies.items():
    for i, body in enumerate(examples):
        write(inference + method, "example-%d.json" % (i + 1), json.dumps(body).encode())
for i, body in enumerate(job_bodies):
    write(jobs, "example-%d.json" % (i + 1), json.dumps(body).encode())
