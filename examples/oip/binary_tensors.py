"""The Open Inference Protocol with binary tensors, from Python: sample fashion-vae, encode the samples and decode their
latents, every tensor as raw little-endian bytes after a JSON header (the binary tensor data extension).

    LATENTSERVE_KEY=... python3 examples/oip/binary_tensors.py http://localhost:8080

Needs requests and NumPy (Debian: python3-requests, python3-numpy).
"""
import json
import os
import sys

import numpy as np
import requests

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8080"
KEY = {"X-API-Key": os.environ["LATENTSERVE_KEY"]}
# The protocol's datatypes as NumPy dtypes, little-endian.
DTYPES = {"FP32": "<f4", "UINT8": "u1", "INT32": "<i4", "INT64": "<i8"}
DATATYPES = {np.dtype(v): k for k, v in DTYPES.items()}


def infer(model, inputs, parameters=None, outputs=None):
    """POST /v2/models/{model}/infer with every input as binary data, every output asked as binary; {name: array}."""
    arrays = {name: np.ascontiguousarray(a, dtype=np.dtype(a.dtype).newbyteorder("<")) for name, a in inputs.items()}
    header = {
        "inputs": [{"name": name, "datatype": DATATYPES[a.dtype], "shape": list(a.shape),
                    "parameters": {"binary_data_size": a.nbytes}} for name, a in arrays.items()],
        "parameters": {**(parameters or {}), "binary_data_output": True},
    }
    if outputs:
        header["outputs"] = outputs
    head = json.dumps(header).encode()
    response = requests.post(f"{BASE}/v2/models/{model}/infer", data=head + b"".join(a.tobytes() for a in arrays.values()),
                             headers={**KEY, "Content-Type": "application/octet-stream",
                                      "Inference-Header-Content-Length": str(len(head))})
    if response.status_code != 200:
        sys.exit(f"{model}: HTTP {response.status_code}: {response.json()['error']}")
    body = response.content
    length = int(response.headers.get("Inference-Header-Content-Length", len(body)))
    offset, results = length, {}
    for out in json.loads(body[:length])["outputs"]:
        dtype = np.dtype(DTYPES[out["datatype"]])
        if "data" in out:
            values = np.array(out["data"], dtype=dtype)
        else:
            size = out["parameters"]["binary_data_size"]
            values = np.frombuffer(body, dtype=dtype, count=size // dtype.itemsize, offset=offset)
            offset += size
        results[out["name"]] = values.reshape(out["shape"])
    return results


samples = infer("fashion-vae.sample", {}, parameters={"seed": 42, "count": 4},
                outputs=[{"name": "images", "parameters": {"datatype": "UINT8"}}])["images"]
print("samples", samples.dtype, samples.shape)
encoded = infer("fashion-vae.encode", {"images": samples})
print("latents", encoded["latents"].dtype, encoded["latents"].shape, "first:", np.round(encoded["latents"][0, :4], 3))
decoded = infer("fashion-vae.decode", {"latents": encoded["latents"]})["images"]
print("decoded", decoded.dtype, decoded.shape, "mean |decoded - samples|:",
      round(float(np.abs(decoded - samples / 255.0).mean()), 4))
