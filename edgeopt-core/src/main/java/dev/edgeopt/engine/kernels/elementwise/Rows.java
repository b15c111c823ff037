package dev.edgeopt.engine.kernels.elementwise;

import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;

/**
 * A broadcast of several inputs to one output shape, split into rows: the output is {@code rows}
 * contiguous runs of {@code inner} elements, and within a run each input either advances with the
 * output (step 1) or repeats one element (step 0). Same-shape operands are one row of steps 1,
 * scalars one row of step 0, per-channel operands (e.g. [C,1,1] against [N,C,H,W]) rows of H*W with
 * step 0. The inner loop is thus always a vector-friendly same-shape or scalar loop; only the row
 * starts need a table, computed once at prepare time.
 */
public final class Rows {
    public final int size;
    public final int inner;
    public final int rows;
    /** Per input: its step inside a row (0 or 1). */
    public final int[] step;
    /** Per input: the element offset of each row's first element (relative to the tensor window). */
    public final int[][] rowStart;

    public Rows(int[] out, int[]... ins) {
        this.size = Tensor.numel(out);
        int r = out.length;
        int[][] st = new int[ins.length][];
        for (int k = 0; k < ins.length; k++) st[k] = Broadcast.strides(ins[k], out);
        int[] outStrides = Tensor.strides(out);
        // Grow the inner run from the last axis while every input keeps one mode: contiguous with the
        // output, or constant.
        step = new int[ins.length];
        java.util.Arrays.fill(step, -1);
        int split = r;
        long innerLen = 1;
        for (int d = r - 1; d >= 0; d--) {
            if (out[d] == 1) { split = d; continue; }
            boolean ok = true;
            int[] mode = step.clone();
            for (int k = 0; k < ins.length && ok; k++) {
                int m = st[k][d] == 0 ? 0 : st[k][d] == outStrides[d] && contiguousTail(st[k], outStrides, d, out) ? 1 : -2;
                if (m == -2 || (mode[k] != -1 && mode[k] != m)) ok = false;
                mode[k] = m;
            }
            if (!ok) break;
            System.arraycopy(mode, 0, step, 0, mode.length);
            innerLen *= out[d];
            split = d;
        }
        for (int k = 0; k < step.length; k++) if (step[k] < 0) step[k] = 1;
        this.inner = size == 0 ? 1 : (int) innerLen;
        this.rows = size == 0 ? 0 : size / inner;
        rowStart = new int[ins.length][rows];
        int[] prefix = java.util.Arrays.copyOf(out, split);
        int[] idx = new int[split];
        for (int row = 0; row < rows; row++) {
            for (int k = 0; k < ins.length; k++) {
                int off = 0;
                for (int d = 0; d < split; d++) off += idx[d] * st[k][d];
                rowStart[k][row] = off;
            }
            for (int d = split - 1; d >= 0; d--) {
                if (++idx[d] < prefix[d]) break;
                idx[d] = 0;
            }
        }
    }

    /** True when the input's strides from axis d on equal the output's (the input is not broadcast there). */
    private static boolean contiguousTail(int[] st, int[] outStrides, int d, int[] out) {
        for (int i = d; i < st.length; i++) if (out[i] != 1 && st[i] != outStrides[i]) return false;
        return true;
    }
}
