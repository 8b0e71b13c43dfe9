"""Sample quality of latentserve's models, measured (issue 19): the Frechet distance between classifier features of a
model's samples and of the 10,000 Fashion-MNIST test images, the share of confidently classified samples, and the class
histogram, per model and temperature. Run by bin/benchmark-fid, which starts the service (or takes BASE and KEY of a
running one); needs Debian's /usr/bin/python3 (torch 1.13, numpy).

The Frechet distance (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
Equilibrium", eq. 6) between the Gaussian fits N(mu1, S1) and N(mu2, S2) of two feature sets is
    ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)).
Inception weights cannot be had here, so the features are the 128-d penultimate layer of a small Fashion-MNIST
classifier (fashion_classifier.py) trained once and cached (keyed by that file's hash, so a changed classifier retrains). Figures
are therefore comparable with each other, not with published FIDs.
"""
import argparse
import datetime
import json
import os
import platform
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import torch

import fashion_classifier as classifier
from fashion_classifier import predict

CONFIDENT = 0.9  # a sample counts as confidently classified above this top-class probability


# ---------------------------------------------------------------------------------------------------- the distance

def gaussian_fit(features):
    """Mean (d,) and unbiased covariance (d, d) of features (n, d), in float64."""
    f = np.asarray(features, dtype=np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def sqrt_psd(matrix):
    """The symmetric positive semi-definite square root of a symmetric matrix, by eigendecomposition; eigenvalues
    below zero (rounding of a singular covariance) are clipped to zero."""
    w, v = np.linalg.eigh((matrix + matrix.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def trace_sqrt_product(s1, s2):
    """Tr((S1 S2)^(1/2)) for covariances S1, S2. S1 S2 is not symmetric, but it is similar to the symmetric PSD matrix
    S1^(1/2) S2 S1^(1/2) (conjugate by S1^(1/2); by continuity when S1 is singular), so both have the same non-negative
    eigenvalues: the trace of the root is the sum of their square roots, with no complex round-off as in sqrtm."""
    r = sqrt_psd(s1)
    eigenvalues = np.linalg.eigvalsh((r @ s2 @ r + (r @ s2 @ r).T) / 2)
    return float(np.sqrt(np.clip(eigenvalues, 0, None)).sum())


def frechet(fit1, fit2):
    """Frechet distance between N(mu1, S1) and N(mu2, S2) (Heusel et al. 2017, eq. 6), in squared feature units."""
    (mu1, s1), (mu2, s2) = fit1, fit2
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt_product(s1, s2))


# ---------------------------------------------------------------------------------------------------- the checks

def self_checks(net, train_x, test_x, log):
    """Checks that cannot be faked: known answers of the distance, and the distance on real sets. Returns
    (floor, test halves, figures of the checks); exits when a check fails."""
    failures = []
    def check(name, value, ok):
        log(f"   {'ok  ' if ok else 'FAIL'} {name}: {value}")
        if not ok:
            failures.append(name)

    rng = np.random.default_rng(1)
    # Known answer, commuting covariances: ||mu||^2 + sum (sqrt a - sqrt b)^2.
    a, b, mu = rng.uniform(0.1, 4, 16), rng.uniform(0.1, 4, 16), rng.normal(size=16)
    expected = (mu ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    got = frechet((np.zeros(16), np.diag(a)), (mu, np.diag(b)))
    check("diagonal Gaussians against the closed form", f"{got:.10f} vs {expected:.10f}", abs(got - expected) < 1e-9)
    # Non-commuting covariances: Tr((S1 S2)^(1/2)) against the eigenvalues of the unsymmetric product itself.
    m1, m2 = rng.normal(size=(32, 32)), rng.normal(size=(32, 32))
    s1, s2 = m1 @ m1.T, m2 @ m2.T
    direct = np.sqrt(np.linalg.eigvals(s1 @ s2).real.clip(0)).sum()
    got = trace_sqrt_product(s1, s2)
    check("Tr((S1 S2)^1/2) against eigvals(S1 S2)", f"{got:.8f} vs {direct:.8f}", abs(got - direct) < 1e-8 * direct)

    test_fit = gaussian_fit(predict(net, test_x)[0])
    itself = frechet(test_fit, test_fit)
    # Not exactly 0: the square roots of a covariance's round-off eigenvalues (dead ReLU features) are about 1e-6.
    scale = 2 * np.trace(test_fit[1])
    check("test images to themselves", f"{itself:.2e} (Tr(S1 + S2) = {scale:.1f})", abs(itself) < 1e-6 * scale)
    train10k = train_x[np.random.default_rng(2).choice(len(train_x), 10000, replace=False)]
    floor = frechet(gaussian_fit(predict(net, train10k)[0]), test_fit)
    halves = frechet(gaussian_fit(predict(net, test_x[:5000])[0]), gaussian_fit(predict(net, test_x[5000:])[0]))
    noise = frechet(gaussian_fit(predict(net, rng.random(test_x.shape, dtype=np.float32))[0]), test_fit)
    check("10,000 training images to the test images (the floor)", f"{floor:.3f}", 0 < floor < noise / 100)
    check("test images 0-4,999 to 5,000-9,999", f"{halves:.3f}", 0 < halves < noise / 100)
    check("uniform noise to the test images", f"{noise:.1f}", noise > 100 * floor)
    # A distance that measures quality grows with the damage: Gaussian pixel noise of growing strength.
    damaged = [frechet(gaussian_fit(predict(net, np.clip(test_x + s * rng.normal(size=test_x.shape), 0, 1))[0]), test_fit)
               for s in (0.05, 0.1, 0.2, 0.4)]
    check("test images plus pixel noise sigma 0.05, 0.1, 0.2, 0.4", ", ".join(f"{d:.2f}" for d in damaged),
          all(x < y for x, y in zip(damaged, damaged[1:])) and damaged[0] > floor)
    if failures:
        sys.exit(f"self-checks failed: {', '.join(failures)}")
    return floor, halves, {"itself": itself, "uniformNoise": noise, "pixelNoise": dict(zip(("0.05", "0.1", "0.2", "0.4"), damaged))}


# ---------------------------------------------------------------------------------------------------- the service

class Service:
    def __init__(self, base, key):
        self.base, self.key = base.rstrip("/"), key

    def call(self, method, path, body=None, accept="application/json"):
        """(status, body bytes, headers) of one request; problem responses come back, they do not raise."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data, method=method,
                                         headers={"Content-Type": "application/json", "Accept": accept, "X-API-Key": self.key})
        try:
            with urllib.request.urlopen(request, timeout=900) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers

    def json(self, method, path, body=None):
        status, raw, _ = self.call(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {raw[:300]!r}")
        return json.loads(raw)


def samplers(service, names, log):
    """The models among names that sample 1x28x28 images: {name: first answer}. Others are reported and left out."""
    found = {}
    for name in names:
        status, raw, _ = service.call("POST", f"/v1/models/{name}/sample", {"count": 1, "seed": 1, "includePixels": True})
        answer = json.loads(raw) if raw else {}
        if status != 200:
            log(f"   {name}: left out, /sample answered {status} {answer.get('title', '')}: {answer.get('detail', '')}")
        elif len(answer["images"][0]["pixels"]) != 28 * 28:
            log(f"   {name}: left out, its images are not 1x28x28 (the classifier's input)")
        else:
            found[name] = answer
    return found


def draw(service, name, count, temperature, batch, log):
    """count samples (count, 1, 28, 28) at temperature, in requests of up to batch with seeds 1, 2, ... (the same
    seeds at every temperature); the service default for everything else (no topK). A running service may answer
    more than its max-sync-samples with a sample job (202): then cancel it and ask in slices of 64."""
    images, seed = [], 1
    while sum(len(x) for x in images) < count:
        n = min(batch, count - sum(len(x) for x in images))
        status, raw, _ = service.call("POST", f"/v1/models/{name}/sample",
                                      {"count": n, "seed": seed, "temperature": temperature, "includePixels": True})
        if status == 202 and batch > 64:
            service.call("DELETE", f"/v1/jobs/{json.loads(raw)['id']}")
            log(f"   {name}: more than the service's max-sync-samples per request; slices of 64 from here")
            batch = 64
            continue
        if status != 200:
            raise RuntimeError(f"/v1/models/{name}/sample: {status} {raw[:300]!r}")
        answer = json.loads(raw)
        images.append(np.array([image["pixels"] for image in answer["images"]], dtype=np.float32).reshape(-1, 1, 28, 28))
        seed += 1
    return np.concatenate(images), answer["version"], batch


def describe(probabilities):
    """(share with top probability above CONFIDENT, histogram of argmax over the 10 classes as shares)."""
    confident = float((probabilities.max(1) > CONFIDENT).mean())
    histogram = np.bincount(probabilities.argmax(1), minlength=10) / len(probabilities)
    return confident, [round(float(h), 4) for h in histogram]


# ---------------------------------------------------------------------------------------------------- the run

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=10000, help="samples per model and temperature (default 10,000)")
    parser.add_argument("--models", default="", help="comma-separated names (name or name@version); default: every model")
    parser.add_argument("--temperatures", default="0.7,0.85,1.0")
    parser.add_argument("--batch", type=int, default=256, help="samples per request (at most 256)")
    parser.add_argument("--label", action="append", default=[], help="NAME=TEXT: a note on a model, e.g. quick, not shipped")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--cache", default=os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "latentserve"))
    parser.add_argument("--out", default="docs/benchmarks", help="folder for the grids and sample-quality.json")
    parser.add_argument("--command", default="bin/benchmark-fid", help="the command line to record")
    parser.add_argument("--checks-only", action="store_true", help="train or load the classifier, run the self-checks, stop")
    parser.add_argument("--manifests", default="", help="a folder of model versions (<name>/<version>/manifest.json, as "
                        "src/main/resources/shipped-models): write each measured version's figures into its manifest's "
                        "metrics.sampleQuality, where the console shows them")
    args = parser.parse_args()
    # One thread by default: on the shared 2-core machine two threads trained the classifier 2.5-4x slower (OpenMP
    # threads waiting for each other under load); FID_THREADS=2 on an idle machine.
    torch.set_num_threads(int(os.environ.get("FID_THREADS", "1")))
    log = lambda line: print(line, flush=True)
    temperatures = [float(t) for t in args.temperatures.split(",")]
    labels = dict(item.split("=", 1) for item in args.label)

    train_x, train_y, test_x, test_y = classifier.fashion_mnist(args.data)
    net, accuracy, digest = classifier.cached(args.cache, (train_x, train_y, test_x, test_y), log)
    log(f"   test accuracy {accuracy:.4f}")
    log("== self-checks (Frechet distances in squared feature units)")
    floor, halves, checks = self_checks(net, train_x, test_x, log)
    if args.checks_only:
        return
    test_features, test_probabilities = predict(net, test_x)
    test_fit = gaussian_fit(test_features)
    test_confident, test_histogram = describe(test_probabilities)

    os.makedirs(args.out, exist_ok=True)
    # FD estimated from n samples is biased upwards by about O(d / n): the floor at the same n compares like with like.
    train_n = train_x[np.random.default_rng(3).choice(len(train_x), min(args.samples, len(train_x)), replace=False)]
    floor_n = frechet(gaussian_fit(predict(net, train_n)[0]), test_fit)
    log(f"   {len(train_n):,} training images to the test images: {floor_n:.3f}")
    service = Service(os.environ["BASE"], os.environ["KEY"])
    names = args.models.split(",") if args.models else [m["name"] for m in service.json("GET", "/v1/models")]
    log(f"== models: {', '.join(names)}")
    found = samplers(service, names, log)
    results = {}
    for name in found:
        batch, rows = args.batch, {}
        for t in temperatures:
            start = time.perf_counter()
            images, version, batch = draw(service, name, args.samples, t, batch, log)
            seconds = time.perf_counter() - start
            features, probabilities = predict(net, images)
            confident, histogram = describe(probabilities)
            rows[f"{t:g}"] = {"fid": round(frechet(gaussian_fit(features), test_fit), 3), "confidentShare": round(confident, 4),
                              "classHistogram": histogram, "samplesPerSecond": round(len(images) / seconds, 1)}
            log(f"   {name}@{version} temperature {t:g}: FD {rows[f'{t:g}']['fid']:.2f}, confident {confident:.3f}, "
                f"{len(images) / seconds:.1f} samples/s")
        best = min(rows, key=lambda k: rows[k]["fid"])
        manifest = service.json("GET", f"/v1/models/{name.split('@')[0]}/versions/{version}")
        status, grid, _ = service.call("POST", f"/v1/models/{name}/sample",
                                       {"count": 64, "seed": 1, "temperature": float(best)}, accept="image/png")
        grid_path = os.path.join(args.out, f"sample-quality-{name.split('@')[0]}.png")
        if status == 200:
            with open(grid_path, "wb") as out:
                out.write(grid)
        results[f"{name.split('@')[0]}@{version}"] = {
            "family": manifest.get("family"), "label": labels.get(name.split("@")[0], ""),
            "training": manifest.get("training"), "topK": None, "samples": args.samples,
            "bestTemperature": float(best), "grid": grid_path if status == 200 else None, "temperatures": rows}

    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
        "machine": f"{os.cpu_count()} cores, {cpu_name()}, {platform.system()} {platform.release()}",
        "command": args.command, "samplesPerSetting": args.samples, "confidentAbove": CONFIDENT, "classes": classifier.CLASSES,
        "classifier": {"architecture": classifier.ARCHITECTURE, "epochs": classifier.EPOCHS,
                       "testAccuracy": round(accuracy, 4), "features": classifier.FEATURES, "hash": digest},
        "floor": {"trainVsTest": round(floor, 3), "testHalves": round(halves, 3), "trainSamplesVsTest": round(floor_n, 3),
                  "note": "10,000 random training images vs the 10,000 test images; test images 0-4,999 vs 5,000-9,999; "
                          "samplesPerSetting random training images vs the test images"},
        "testImages": {"confidentShare": round(test_confident, 4), "classHistogram": test_histogram},
        "checks": {k: (round(v, 6) if isinstance(v, float) else {kk: round(vv, 3) for kk, vv in v.items()}) for k, v in checks.items()},
        "models": results}
    with open(os.path.join(args.out, "sample-quality.json"), "w") as out:
        json.dump(report, out, indent=2)
        out.write("\n")
    table(report, temperatures, log)
    if args.manifests:
        annotate_manifests(args.manifests, report, log)


def annotate_manifests(folder, report, log):
    """Writes each measured version's figures into metrics.sampleQuality of its manifest under folder, if it is there:
    per temperature the Frechet distance, confident share and class histogram, with what they are measured against."""
    for reference, entry in report["models"].items():
        name, version = reference.split("@")
        path = os.path.join(folder, name, version, "manifest.json")
        if not os.path.exists(path):
            log(f"   no {path}: {reference}'s figures stay in sample-quality.json only")
            continue
        with open(path) as f:
            manifest = json.load(f)
        manifest.setdefault("metrics", {})["sampleQuality"] = {
            "measuredAt": report["date"], "samples": entry["samples"], "bestTemperature": entry["bestTemperature"],
            "classes": report["classes"], "confidentAbove": report["confidentAbove"],
            "classifierTestAccuracy": report["classifier"]["testAccuracy"], "floor": report["floor"]["trainVsTest"],
            "testImages": report["testImages"],
            "temperatures": {t: {k: row[k] for k in ("fid", "confidentShare", "classHistogram")}
                             for t, row in entry["temperatures"].items()}}
        with open(path, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        log(f"   figures written into {path}")


def cpu_name():
    try:
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor()


def table(report, temperatures, log):
    """The figures as the Markdown table BENCHMARKS.md takes."""
    short = ["top", "trou", "pull", "dress", "coat", "sand", "shirt", "sneak", "bag", "boot"]
    log(f"\n== classifier test accuracy {report['classifier']['testAccuracy']:.4f}; floor: training images "
        f"{report['floor']['trainVsTest']:.2f}, test halves {report['floor']['testHalves']:.2f}, "
        f"{report['samplesPerSetting']:,} training images {report['floor']['trainSamplesVsTest']:.2f}")
    log("| model | temperature | Frechet distance | confident share | classes (%: " + " ".join(short) + ") |")
    log("|---|---:|---:|---:|---|")
    log(f"| test images | | | {report['testImages']['confidentShare']:.3f} | "
        + " ".join(f"{100 * h:.0f}" for h in report["testImages"]["classHistogram"]) + " |")
    for model, entry in report["models"].items():
        label = f" ({entry['label']})" if entry["label"] else ""
        for t, row in entry["temperatures"].items():
            best = "**" if float(t) == entry["bestTemperature"] else ""
            log(f"| {model}{label} | {t} | {best}{row['fid']:.2f}{best} | {row['confidentShare']:.3f} | "
                + " ".join(f"{100 * h:.0f}" for h in row["classHistogram"]) + " |")


if __name__ == "__main__":
    main()
