#!/usr/bin/python3
# Golden values for LRN with even window sizes, which ONNX Runtime rejects (it requires odd sizes)
# and ONNX's node tests do not cover. Straight from the ONNX operator text:
#   square_sum[n, c, ...] = sum(X[n, i, ...] ** 2) for i in
#       [max(0, c - floor((size - 1) / 2)), min(C - 1, c + ceil((size - 1) / 2))]
#   Y = X / (bias + alpha / size * square_sum) ** beta
# Run: /usr/bin/python3 tools/golden/lrn_even_size.py  (prints the Java arrays used in LrnGoldenTest)
import math
import numpy as np

x = np.array([math.sin(0.7 * i) * 2 for i in range(2 * 5 * 3)], dtype=np.float32).reshape(2, 5, 3)
alpha, beta, bias = 0.3, 0.75, 1.5
for size in (2, 4):
    c = x.shape[1]
    sq = np.zeros_like(x, dtype=np.float64)
    lo, hi = (size - 1) // 2, math.ceil((size - 1) / 2)
    for ch in range(c):
        for i in range(max(0, ch - lo), min(c - 1, ch + hi) + 1):
            sq[:, ch] += x[:, i].astype(np.float64) ** 2
    y = (x / (bias + alpha / size * sq) ** beta).astype(np.float32)
    print("size %d: {%s}" % (size, ", ".join("%.9gf" % v for v in y.ravel())))
