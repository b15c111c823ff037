package dev.edgeopt.engine.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A prepared N-d strided copy: {@code dst[dOff + sum(i_k * ds_k)] = src[sOff + sum(i_k * ss_k)]} over
 * an index space. Transpose, Slice, Expand, Tile, DepthToSpace, SpaceToDepth and Pad are all this
 * one copy with different strides, so they share its fast paths: axes of size 1 are dropped and
 * adjacent axes that are contiguous in both source and destination are merged at preparation,
 * which turns most slices and concatenation-like copies into a few long {@link System#arraycopy}
 * runs, and a batched 2-D transpose (NCHW to NHWC and back) is copied in cache-sized tiles.
 *
 * <p>Instances hold a counter array; {@link #run} does not allocate and is not reentrant.
 */
final class StridedCopy {
    private static final int TILE = 64;

    private final int[] dims, ss, ds;
    private final int rank;
    private final int[] idx;
    private final boolean tiled;

    /** A copy over {@code dims} with source strides {@code ss}, writing the destination densely (row-major). */
    static StridedCopy dense(int[] dims, int[] ss) {
        return new StridedCopy(dims, ss, dev.edgeopt.tensor.Tensor.strides(dims));
    }

    StridedCopy(int[] dims, int[] srcStrides, int[] dstStrides) {
        int n = dims.length;
        int[] d = new int[n], s = new int[n], t = new int[n];
        int r = 0;
        boolean empty = false;
        for (int i = 0; i < n; i++) {
            if (dims[i] == 0) empty = true;
            if (dims[i] == 1) continue;
            if (r > 0 && s[r - 1] == srcStrides[i] * dims[i] && t[r - 1] == dstStrides[i] * dims[i]) {
                // Axis i continues axis r-1 in both arrays: one longer axis.
                d[r - 1] *= dims[i];
                s[r - 1] = srcStrides[i];
                t[r - 1] = dstStrides[i];
                continue;
            }
            d[r] = dims[i];
            s[r] = srcStrides[i];
            t[r] = dstStrides[i];
            r++;
        }
        if (empty) r = -1;
        this.rank = r;
        this.dims = Arrays.copyOf(d, Math.max(r, 0));
        this.ss = Arrays.copyOf(s, Math.max(r, 0));
        this.ds = Arrays.copyOf(t, Math.max(r, 0));
        this.idx = new int[Math.max(r, 1)];
        // A transpose of the last two axes: reads along one axis are contiguous, writes along the other.
        this.tiled = r >= 2 && this.ss[r - 1] != 1 && this.ds[r - 1] == 1 && this.ss[r - 2] == 1 && this.ds[r - 2] != 1
                && this.dims[r - 1] >= 8 && this.dims[r - 2] >= 8;
    }

    /** Below this many elements a parallel transpose costs more in hand-off than it saves. */
    private static final int PARALLEL_MIN = 1 << 16;

    // Per-run arguments of a parallel tiled copy, read by the task body built once at construction.
    private Object pSrc, pDst;
    private int pSo, pDo;
    private final java.util.function.IntConsumer tileTask = this::tileTask;

    /**
     * As {@link #run(Object, int, Object, int)}, spreading a large tiled transpose over the pool by
     * row bands of tiles; other copies are memory-bound runs and stay on the calling thread.
     */
    void run(Object src, int sOff, Object dst, int dOff, dev.edgeopt.engine.ThreadPool pool) {
        if (!tiled || pool == null || pool.threads() == 1 || elements() < PARALLEL_MIN) {
            run(src, sOff, dst, dOff);
            return;
        }
        pSrc = src;
        pDst = dst;
        pSo = sOff;
        pDo = dOff;
        try {
            pool.parallelFor(outerCount() * ceilDiv(dims[rank - 2], TILE), tileTask);
        } finally {
            pSrc = null;
            pDst = null;
        }
    }

    private long elements() {
        long n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    private int outerCount() {
        int n = 1;
        for (int k = 0; k < rank - 2; k++) n *= dims[k];
        return n;
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    /** One band: TILE rows of axis r-2 of one outer index, all of axis r-1. */
    private void tileTask(int t) {
        int p = dims[rank - 2], q = dims[rank - 1];
        int bands = ceilDiv(p, TILE);
        int o = t / bands, p0 = (t % bands) * TILE, p1 = Math.min(p, p0 + TILE);
        int so = pSo, dof = pDo;
        for (int k = rank - 3; k >= 0; k--) {
            int i = o % dims[k];
            o /= dims[k];
            so += i * ss[k];
            dof += i * ds[k];
        }
        int sq = ss[rank - 1], dp = ds[rank - 2];
        so += p0;
        dof += p0 * dp;
        if (pSrc instanceof float[] a && pDst instanceof float[] b) {
            transposeFloat(a, so, b, dof, p1 - p0, q, sq, dp);
        } else {
            for (int i = 0; i < p1 - p0; i++) Move.strided(pSrc, so + i, sq, pDst, dof + i * dp, 1, q);
        }
    }

    /** Number of merged axes (-1 when the copy is empty); exposed for tests of the fast paths. */
    int mergedRank() { return rank; }

    boolean isTiled() { return tiled; }

    void run(Object src, int sOff, Object dst, int dOff) {
        if (rank < 0) return;
        if (rank == 0) {
            System.arraycopy(src, sOff, dst, dOff, 1);
            return;
        }
        int outer = tiled ? rank - 2 : rank - 1;
        Arrays.fill(idx, 0);
        int so = sOff, dof = dOff;
        while (true) {
            if (tiled) tile(src, so, dst, dof); else Move.strided(src, so, ss[rank - 1], dst, dof, ds[rank - 1], dims[rank - 1]);
            int k = outer - 1;
            for (; k >= 0; k--) {
                idx[k]++;
                so += ss[k];
                dof += ds[k];
                if (idx[k] < dims[k]) break;
                so -= ss[k] * dims[k];
                dof -= ds[k] * dims[k];
                idx[k] = 0;
            }
            if (k < 0) return;
        }
    }

    /**
     * One 2-D transpose: axis r-2 (p) is contiguous in the source, axis r-1 (q) in the
     * destination. Cache-sized tiles keep the strided side resident; floats take the vector block
     * path of {@link #transposeFloat}, other dtypes strided rows.
     */
    private void tile(Object src, int so, Object dst, int dof) {
        int p = dims[rank - 2], q = dims[rank - 1];
        int sq = ss[rank - 1], dp = ds[rank - 2];
        if (src instanceof float[] a && dst instanceof float[] b) {
            transposeFloat(a, so, b, dof, p, q, sq, dp);
            return;
        }
        for (int p0 = 0; p0 < p; p0 += TILE) {
            int p1 = Math.min(p, p0 + TILE);
            for (int q0 = 0; q0 < q; q0 += TILE) {
                int q1 = Math.min(q, q0 + TILE);
                for (int i = p0; i < p1; i++) Move.strided(src, so + i + q0 * sq, sq, dst, dof + i * dp + q0, 1, q1 - q0);
            }
        }
    }

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    // Two-source lane selections of an 8x8 transpose in three rounds (interleave pairs, then
    // quads, then halves); each is one vpermt2ps where the hardware has it.
    private static final FloatVector IL = lanes(0, 8, 1, 9, 2, 10, 3, 11), IH = lanes(4, 12, 5, 13, 6, 14, 7, 15);
    private static final FloatVector QL = lanes(0, 1, 8, 9, 2, 3, 10, 11), QH = lanes(4, 5, 12, 13, 6, 7, 14, 15);
    private static final FloatVector HL = lanes(0, 1, 2, 3, 8, 9, 10, 11), HH = lanes(4, 5, 6, 7, 12, 13, 14, 15);

    private static FloatVector lanes(float... v) { return FloatVector.fromArray(F8, v, 0); }

    /**
     * {@code b[dof + i*dp + j] = a[so + i + j*sq]} for i < p, j < q: 8x8 blocks transposed in
     * vector registers (measured 1.5 to 2.5 times faster than 4x4 scalar blocks, themselves 2 to 3
     * times faster than a plain tiled loop), scalar loops for the edges.
     */
    static void transposeFloat(float[] a, int so, float[] b, int dof, int p, int q, int sq, int dp) {
        for (int p0 = 0; p0 < p; p0 += TILE) {
            int p1 = Math.min(p, p0 + TILE);
            for (int q0 = 0; q0 < q; q0 += TILE) {
                int q1 = Math.min(q, q0 + TILE);
                int i = p0;
                for (; i + 8 <= p1; i += 8) {
                    int j = q0;
                    for (; j + 8 <= q1; j += 8) block8(a, so + i + j * sq, sq, b, dof + i * dp + j, dp);
                    for (; j < q1; j++) {
                        for (int k = i; k < i + 8; k++) b[dof + k * dp + j] = a[so + k + j * sq];
                    }
                }
                for (; i < p1; i++) {
                    for (int j = q0; j < q1; j++) b[dof + i * dp + j] = a[so + i + j * sq];
                }
            }
        }
    }

    /** Reads 8 rows of 8 at {@code s + k*sq}, writes their columns as 8 rows at {@code d + m*dp}. */
    private static void block8(float[] a, int s, int sq, float[] b, int d, int dp) {
        FloatVector r0 = FloatVector.fromArray(F8, a, s), r1 = FloatVector.fromArray(F8, a, s + sq);
        FloatVector r2 = FloatVector.fromArray(F8, a, s + 2 * sq), r3 = FloatVector.fromArray(F8, a, s + 3 * sq);
        FloatVector r4 = FloatVector.fromArray(F8, a, s + 4 * sq), r5 = FloatVector.fromArray(F8, a, s + 5 * sq);
        FloatVector r6 = FloatVector.fromArray(F8, a, s + 6 * sq), r7 = FloatVector.fromArray(F8, a, s + 7 * sq);
        FloatVector u0 = IL.selectFrom(r0, r1), u1 = IH.selectFrom(r0, r1), u2 = IL.selectFrom(r2, r3), u3 = IH.selectFrom(r2, r3);
        FloatVector u4 = IL.selectFrom(r4, r5), u5 = IH.selectFrom(r4, r5), u6 = IL.selectFrom(r6, r7), u7 = IH.selectFrom(r6, r7);
        FloatVector v0 = QL.selectFrom(u0, u2), v1 = QH.selectFrom(u0, u2), v2 = QL.selectFrom(u1, u3), v3 = QH.selectFrom(u1, u3);
        FloatVector w0 = QL.selectFrom(u4, u6), w1 = QH.selectFrom(u4, u6), w2 = QL.selectFrom(u5, u7), w3 = QH.selectFrom(u5, u7);
        HL.selectFrom(v0, w0).intoArray(b, d);
        HH.selectFrom(v0, w0).intoArray(b, d + dp);
        HL.selectFrom(v1, w1).intoArray(b, d + 2 * dp);
        HH.selectFrom(v1, w1).intoArray(b, d + 3 * dp);
        HL.selectFrom(v2, w2).intoArray(b, d + 4 * dp);
        HH.selectFrom(v2, w2).intoArray(b, d + 5 * dp);
        HL.selectFrom(v3, w3).intoArray(b, d + 6 * dp);
        HH.selectFrom(v3, w3).intoArray(b, d + 7 * dp);
    }
}
