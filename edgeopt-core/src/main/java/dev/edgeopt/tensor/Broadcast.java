package dev.edgeopt.tensor;

import java.util.Arrays;

/** Numpy-style multidirectional broadcasting, as ONNX defines it. */
public final class Broadcast {
    private Broadcast() {}

    /** The broadcast shape of the given shapes. @throws IllegalArgumentException when incompatible */
    public static int[] shape(int[]... shapes) {
        int rank = 0;
        for (int[] s : shapes) rank = Math.max(rank, s.length);
        int[] out = new int[rank];
        Arrays.fill(out, 1);
        for (int[] s : shapes) {
            for (int i = 0; i < s.length; i++) {
                int o = rank - s.length + i;
                int d = s[i];
                if (out[o] == 1) out[o] = d;
                else if (d != 1 && d != out[o]) {
                    StringBuilder b = new StringBuilder("shapes");
                    for (int[] x : shapes) b.append(' ').append(Arrays.toString(x));
                    throw new IllegalArgumentException(b.append(" do not broadcast").toString());
                }
            }
        }
        return out;
    }

    /**
     * Strides of {@code in} viewed with the rank of {@code out}: leading and size-1 broadcast axes get
     * stride 0, so {@code sum(idx[k] * strides[k])} is the input element for output index idx.
     */
    public static int[] strides(int[] in, int[] out) {
        int[] s = new int[out.length];
        int[] inStrides = Tensor.strides(in);
        int lead = out.length - in.length;
        for (int i = 0; i < in.length; i++) s[lead + i] = in[i] == 1 && out[lead + i] != 1 ? 0 : inStrides[i];
        return s;
    }

    /**
     * For every output element, the flat offset of the corresponding input element. Allocates; meant
     * for prepare-time precomputation and reference kernels, not for per-inference hot loops.
     */
    public static int[] indexMap(int[] in, int[] out) {
        int n = Tensor.numel(out);
        int[] map = new int[n];
        int[] st = strides(in, out);
        int[] idx = new int[out.length];
        int off = 0;
        for (int i = 0; i < n; i++) {
            map[i] = off;
            for (int k = out.length - 1; k >= 0; k--) {
                idx[k]++;
                off += st[k];
                if (idx[k] < out[k]) break;
                off -= st[k] * idx[k];
                idx[k] = 0;
            }
        }
        return map;
    }
}
