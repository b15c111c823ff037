#!/usr/bin/env bash
# Training throughput (images/s) of edgeopt and PyTorch side by side, per architecture and thread
# count, on Fashion-MNIST batches of 128 with AdamW. edgeopt: the second of two epochs over the
# first N training images (the first epoch warms up the JIT); PyTorch: the same architectures
# (bench/train_torch.py) timed over the same number of steps after warm-up steps.
# Usage: bench/train-throughput.sh [N=6400] [archs="mlp cnn dscnn resnet8"] [threads="1 2"]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-6400}
archs=${2:-"mlp cnn dscnn resnet8"}
threads=${3:-"1 2"}
py=/usr/bin/python3
out=$(mktemp -d)
printf "%-8s %7s %14s %14s %7s\n" arch threads edgeopt_img_s pytorch_img_s ratio
for a in $archs; do
  for t in $threads; do
    "$here/edgeopt" train --arch "$a" --epochs 2 --limit "$n" --threads "$t" --quiet --json -o "$out/$a.onnx" > "$out/$a-$t.json"
    j=$("$py" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["history"][-1]["images_per_second"]))' "$out/$a-$t.json")
    p=$("$py" "$here/bench/train_torch.py" "$a" "$t" "$((n / 128))")
    printf "%-8s %7s %14s %14s %7.2f\n" "$a" "$t" "$j" "$p" "$(echo "$j / $p" | bc -l)"
  done
done
rm -rf "$out"
