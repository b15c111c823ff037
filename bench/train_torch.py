"""PyTorch training throughput of edgeopt's reference architectures (see dev.edgeopt.models.Architectures).

Usage: train_torch.py ARCH THREADS STEPS  -> prints images/s of STEPS AdamW steps of batch 128 on
random 1x28x28 inputs, after 5 warm-up steps. Same layer sizes as edgeopt's builders at width 1.
"""
import sys
import time

import torch
import torch.nn as nn


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


def main():
    arch, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(arch)
    opt = torch.optim.AdamW(model.parameters(), lr=0.003, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(128, 1, 28, 28)
    y = torch.randint(0, 10, (128,))
    model.train()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(5):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    print(round(steps * 128 / (time.perf_counter() - t0)))


if __name__ == "__main__":
    main()
