"""The Fashion-MNIST classifier whose penultimate layer gives bin/lib/fid.py its features: trained once and cached under
a hash of this file, so a change here retrains it and a change elsewhere does not. Needs torch (Debian's 1.13) and numpy.
"""
import gzip
import hashlib
import os
import time

import numpy as np
import torch
from torch import nn

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FEATURES = 128
EPOCHS = 4
ARCHITECTURE = "3 conv blocks (16, 32, 64 channels, 3x3, batch norm, max-pool), 128-d ReLU features, 10 logits"


def idx(path):
    """An IDX file (gzip) as a numpy array: images (n, 28, 28) uint8 or labels (n,) uint8."""
    raw = gzip.open(path).read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist(folder):
    """(train images, train labels, test images, test labels); images (n, 1, 28, 28) float32 in [0, 1]."""
    def images(name):
        return (idx(os.path.join(folder, name)).astype(np.float32) / 255)[:, None]
    def labels(name):
        return idx(os.path.join(folder, name)).astype(np.int64)
    return (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


class Classifier(nn.Module):
    """Input (n, 1, 28, 28) in [0, 1]; body: features (n, 128) after ReLU; head: logits (n, 10). Three conv blocks
    (28 -> 14 -> 7 -> 3). Small on purpose: on the shared 2-core machine a 32/64/128 version trained at a third of
    the speed."""

    def __init__(self):
        super().__init__()
        def block(c_in, c_out):
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2)]
        self.body = nn.Sequential(*block(1, 16), *block(16, 32), *block(32, 64), nn.Flatten(),
                                  nn.Linear(64 * 3 * 3, FEATURES), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(FEATURES, 10))

    def forward(self, x):
        return self.head(self.body(x))


@torch.no_grad()
def predict(net, images):
    """(features (n, 128) float64, class probabilities (n, 10)) of images (n, 1, 28, 28) in [0, 1]."""
    net.eval()
    features, probabilities = [], []
    for i in range(0, len(images), 1000):
        f = net.body(torch.from_numpy(np.ascontiguousarray(images[i:i + 1000], dtype=np.float32)))
        features.append(f.double().numpy())
        probabilities.append(torch.softmax(net.head(f), 1).numpy())
    return np.concatenate(features), np.concatenate(probabilities)


def train(train_x, train_y, test_x, test_y, log):
    """EPOCHS epochs of Adam (lr 1e-3, halved each epoch after the second), batch 128, seed 0. Returns the net and its
    test accuracy (share of the 10,000 test images whose most probable class is the label)."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    net = Classifier()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: 1.0 if e < 2 else 0.5 ** (e - 1))
    for epoch in range(1, EPOCHS + 1):
        net.train()
        start, order, total = time.perf_counter(), rng.permutation(len(train_x)), 0.0
        for i in range(0, len(order), 128):
            batch = order[i:i + 128]
            loss = nn.functional.cross_entropy(net(torch.from_numpy(train_x[batch])), torch.from_numpy(train_y[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        schedule.step()
        seconds = time.perf_counter() - start
        accuracy = float((predict(net, test_x)[1].argmax(1) == test_y).mean())
        log(f"   epoch {epoch}: train loss {total / len(order):.4f}, test accuracy {accuracy:.4f}, "
            f"{len(order) / seconds:,.0f} img/s")
    return net, accuracy


def cached(cache, data, log):
    """(net, test accuracy, hash): trained once per version of this file, kept as cache/fid-classifier-<hash>.pt."""
    digest = hashlib.sha256(open(__file__, "rb").read()).hexdigest()[:16]
    path = os.path.join(cache, f"fid-classifier-{digest}.pt")
    net = Classifier()
    if os.path.exists(path):
        saved = torch.load(path)
        net.load_state_dict(saved["weights"])
        log(f"== classifier: cached {path}, test accuracy {saved['accuracy']:.4f}")
        return net, saved["accuracy"], digest
    log(f"== classifier: training {EPOCHS} epochs on the 60,000 training images (to be cached as {path})")
    net, accuracy = train(*data, log)
    os.makedirs(cache, exist_ok=True)
    torch.save({"weights": net.state_dict(), "accuracy": accuracy}, path + ".tmp")
    os.replace(path + ".tmp", path)
    return net, accuracy, digest
