"""PyTorch training throughput of edgeopt's reference architectures (see dev.edgeopt.models.Architectures).

Usage: train_torch.py ARCH THREADS N -> prints the images/s of the second of two epochs over the
first N Fashion-MNIST training images (the first epoch warms up), batch 128, AdamW, the last partial
batch dropped: the same work as `edgeopt train --arch ARCH --epochs 2 --limit N`, whose second-epoch
figure train-throughput.sh reads. The images are decoded into one float tensor before timing; the
timed loop gathers each shuffled batch, runs forward, loss, backward and the optimizer step.
Same layer sizes as edgeopt's builders at width 1.
"""
import gzip
import sys
import time

import numpy as np
import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist"


def cbr(cin, cout, k, s, groups=1):
    return [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class Residual(nn.Module):
    def __init__(self, cin, cout, s):
        super().__init__()
        self.body = nn.Sequential(*cbr(cin, cout, 3, s), nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.short = nn.Identity() if s == 1 and cin == cout else nn.Conv2d(cin, cout, 1, s, 0)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.body(x) + self.short(x))


def build(arch):
    if arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
    if arch == "cnn":
        return nn.Sequential(*cbr(1, 32, 3, 1), *cbr(32, 64, 3, 2), *cbr(64, 128, 3, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
    if arch == "dscnn":
        layers = cbr(1, 32, 3, 1)
        c = 32
        for out, s in [(64, 2), (128, 1), (128, 2), (256, 1)]:
            layers += cbr(c, c, 3, s, groups=c) + cbr(c, out, 1, 1)
            c = out
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10))
    if arch == "resnet8":
        return nn.Sequential(*cbr(1, 16, 3, 1), Residual(16, 16, 1), Residual(16, 32, 2), Residual(32, 64, 2),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    raise SystemExit("unknown arch " + arch)


def load(n):
    with gzip.open(DATA + "/train-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:n]
    with gzip.open(DATA + "/train-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
    return torch.from_numpy(x.astype(np.float32) / 255), torch.from_numpy(y.astype(np.int64))


def main():
    arch, threads, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    batch = 128
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y = load(n)
    model = build(arch)
    opt = torch.optim.AdamW(model.parameters(), lr=0.003, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    steps = n // batch
    for epoch in range(2):
        order = torch.randperm(n)
        t0 = time.perf_counter()
        for b in range(steps):
            idx = order[b * batch:(b + 1) * batch]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
        dt = time.perf_counter() - t0
    print(round(steps * batch / dt))


if __name__ == "__main__":
    main()
