#!/usr/bin/python3
"""Generates the shape-chain test model for edgeopt's shape family (ShapeChainModelTest).

A PyTorch module with a dynamic batch whose export contains the Shape -> Gather -> Unsqueeze ->
Concat -> Reshape chains, Transpose, Slice, Concat, Flatten, Unsqueeze and Squeeze. Writes the model
and, for batches 2 and 5, a seeded input and PyTorch's outputs as .npy files.

Run with Debian's python (torch 1.13, onnx 1.12):
    /usr/bin/python3 tools/gen_shape_chain.py edgeopt-onnx/src/test/resources/dev/edgeopt/onnx
"""
import os
import sys

import numpy as np
import torch


class ShapeChain(torch.nn.Module):
    def forward(self, x):
        n = x.size(0)
        y = x.view(n, -1)
        z = y.reshape(n, 3, 4).transpose(1, 2)
        z = z[:, 1:, :]
        w = torch.cat([z, z], dim=1)
        return w.flatten(1), torch.squeeze(x.unsqueeze(1), 1)


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    m = ShapeChain()
    torch.onnx.export(m, (torch.randn(2, 3, 4),), os.path.join(out, "shape_chain.onnx"),
                      input_names=["x"], output_names=["y", "s"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}, "s": {0: "N"}}, opset_version=13)
    for batch in (2, 5):
        x = torch.randn(batch, 3, 4)
        y, s = m(x)
        np.save(os.path.join(out, f"shape_chain.b{batch}.in.npy"), x.numpy())
        np.save(os.path.join(out, f"shape_chain.b{batch}.y.npy"), y.detach().numpy())
        np.save(os.path.join(out, f"shape_chain.b{batch}.s.npy"), s.detach().numpy())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
