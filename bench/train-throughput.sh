#!/usr/bin/env bash
# Training throughput (images/s) of edgeopt and PyTorch side by side, per architecture and thread
# count. Both sides do the same work: two epochs over the first N Fashion-MNIST training images
# (already decoded in memory), shuffled batches of 128, the last partial batch dropped, softmax
# cross-entropy, AdamW; the figure is the second epoch (the first warms up the JIT / allocators).
# The timed loop is batch gather + forward + loss + backward + optimizer step on both sides.
#
# PyTorch runs with OpenBLAS (Debian's libopenblas0-openmp) for its dense layers, as a user's
# PyTorch would: Debian's default libblas.so.3 is the unoptimized reference BLAS, which makes
# PyTorch's Linear layers ~20x slower (mlp ~1,900 instead of ~34,000 images/s on 1 thread).
# Convolutions go through oneDNN either way. The OpenMP build shares torch's own OpenMP threads
# (THREADS of them) instead of adding a second pool.
# mlp runs over at least 25,600 images (a step takes ~2 ms; fewer steps would time the JIT's warm-up).
# Usage: bench/train-throughput.sh [N=6400] [archs="mlp cnn dscnn resnet8"] [threads="1 2"]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
nn=${1:-6400}
archs=${2:-"mlp cnn dscnn resnet8"}
threads=${3:-"1 2"}
py=/usr/bin/python3
openblas=/usr/lib/x86_64-linux-gnu/openblas-openmp
if [ ! -e "$openblas/libblas.so.3" ]; then
  echo "PyTorch needs OpenBLAS for a fair figure: apt-get install libopenblas0-openmp" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s %7s %6s %14s %14s %7s\n" arch threads N edgeopt_img_s pytorch_img_s ratio
for a in $archs; do
  n=$nn
  # An mlp step is ~2 ms: with N images it would be timed before the JIT has compiled its kernels.
  [ "$a" = mlp ] && [ "$n" -lt 25600 ] && n=25600
  for t in $threads; do
    "$here/edgeopt" train --arch "$a" --epochs 2 --limit "$n" --threads "$t" --quiet --json -o "$out/$a.onnx" > "$out/$a-$t.json"
    j=$("$py" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["history"][-1]["images_per_second"]))' "$out/$a-$t.json")
    p=$(LD_LIBRARY_PATH="$openblas" OMP_NUM_THREADS="$t" "$py" "$here/bench/train_torch.py" "$a" "$t" "$n")
    printf "%-8s %7s %6s %14s %14s %7.2f\n" "$a" "$t" "$n" "$j" "$p" "$(echo "$j / $p" | bc -l)"
  done
done
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
