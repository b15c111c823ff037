package dev.edgeopt.engine.kernels.gemm;

import dev.edgeopt.engine.kernels.Activation;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.MIN;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM in the BLIS style: {@code C[M,N] (+)= A[M,K] * B[K,N]} with A and B copied
 * into packed panels (A in panels of {@link #MR} rows, B in panels of {@link #NR} columns, both in
 * blocks of {@link #KC} along K), and a register-blocked micro-kernel that keeps an MR x NR tile of
 * C in 12 vector registers while it streams one A panel and one B panel.
 *
 * <p>Why packing: the micro-kernel then reads both operands sequentially with unit stride whatever
 * the original layout (transposed, im2col'd, strided), and a constant operand (weights) is packed
 * once when the kernel is created. The packed layout of a whole operand is: K block {@code p}
 * (starting at {@code pc = p*KC}, {@code kc = min(KC, K-pc)} deep) at {@code pc * roundUp(M, MR)}
 * for A (resp. {@code roundUp(N, NR)} for B), panel {@code i} of that block at
 * {@code i * MR * kc}, element {@code (row r, depth k)} at {@code k * MR + r}; zero-padded past M
 * (resp. N) so the micro-kernel never branches on edges.
 *
 * <p>An optional epilogue (a per-row bias, a per-column bias, an {@link Activation}) is applied to
 * each tile right after its last K block is accumulated, while the tile is in L1.
 *
 * <p>Why every vector operation is written {@code v.lanewise(OP, ...)}: FloatVector's convenience
 * methods ({@code add}, {@code fma}, {@code max}, {@code min}) are final and dispatch inside the
 * JDK, at one call site shared by every caller in the JVM. Once other code runs another vector size
 * (the depthwise and direct convs use 8-lane vectors beside these 16-lane ones), that site's
 * profile holds two classes. A micro-kernel's loop alone uses up C2's inlining budget for its
 * method, so the calls after the loop are inlined late, where the vectors' classes are no longer
 * known and C2 follows those profiles: it inlines both classes, merges their results, and boxes
 * the merged vector once per tile (6.5-22.6 KB per inference on the reference models after
 * mobilenet_v2 ran in the same JVM). {@code lanewise} called here dispatches at our own call site,
 * which only ever sees this species, and returns the concrete class, so the store that follows
 * ({@code intoArray}, which also dispatches inside the JDK) binds directly. For the same reason an
 * accumulator is never stored as it is (a loop variable's class is unknown when the store is
 * inlined late) but as the result of an operation called here: adding C, a bias, or -0 (which
 * leaves every value, -0 included, unchanged). And each kernel is one loop and its stores
 * ({@link #microFull}, {@link #microFullLoad}, {@link #microTile}, ...), leaving few calls to inline
 * late. {@code ModelAllocationTest} (edgeopt-onnx) checks whole models after other shapes ran.
 */
public final class Sgemm {
    private Sgemm() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Rows of the register tile. */
    public static final int MR = 6;
    /** Columns of the register tile: two vectors. */
    public static final int NR = 2 * L;
    /** Depth of a K block: an A panel (MR x KC) and a B panel (KC x NR) together stay in L1. */
    public static final int KC = 256;
    /** Rows of A per L2 block. */
    public static final int MC = 16 * MR;
    /** Columns of B per packed block (a multiple of NR). */
    public static final int NC = 16 * NR;

    public static int roundUp(int x, int m) { return (x + m - 1) / m * m; }

    /** Floats of a whole packed A (M x K). */
    public static int packedASize(int m, int k) { return roundUp(m, MR) * k; }

    /** Floats of a whole packed B (K x N). */
    public static int packedBSize(int k, int n) { return roundUp(n, NR) * k; }

    /**
     * Packs all of A, element (i, k) read at {@code src[off + i*rs + k*cs]} and scaled by
     * {@code scale}, into the whole-operand layout at {@code dst[dOff]}.
     */
    public static void packA(float[] src, int off, int rs, int cs, int m, int k, float scale, float[] dst, int dOff) {
        int mp = roundUp(m, MR);
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            packABlock(src, off + pc * cs, rs, cs, m, kc, scale, dst, dOff + pc * mp);
        }
    }

    /** Packs rows [0, m) and depth [0, kc) of A (already offset) into panels at {@code dst[dOff]}. */
    static void packABlock(float[] src, int off, int rs, int cs, int m, int kc, float scale, float[] dst, int dOff) {
        for (int i0 = 0; i0 < m; i0 += MR) {
            int mr = Math.min(MR, m - i0);
            int base = dOff + i0 * kc;
            if (cs == 1 && mr == MR && scale == 1f) {
                for (int r = 0; r < MR; r++) {
                    int s = off + (i0 + r) * rs;
                    for (int kk = 0; kk < kc; kk++) dst[base + kk * MR + r] = src[s + kk];
                }
                continue;
            }
            for (int kk = 0; kk < kc; kk++) {
                int d = base + kk * MR;
                int s = off + i0 * rs + kk * cs;
                for (int r = 0; r < mr; r++) dst[d + r] = src[s + r * rs] * scale;
                for (int r = mr; r < MR; r++) dst[d + r] = 0f;
            }
        }
    }

    /** Packs all of B, element (k, j) read at {@code src[off + k*rs + j*cs]} and scaled. */
    public static void packB(float[] src, int off, int rs, int cs, int k, int n, float scale, float[] dst, int dOff) {
        int np = roundUp(n, NR);
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            packBBlock(src, off + pc * rs, rs, cs, kc, n, scale, dst, dOff + pc * np);
        }
    }

    /** Packs depth [0, kc) and columns [0, n) of B (already offset) into panels at {@code dst[dOff]}. */
    static void packBBlock(float[] src, int off, int rs, int cs, int kc, int n, float scale, float[] dst, int dOff) {
        for (int j0 = 0; j0 < n; j0 += NR) {
            int nr = Math.min(NR, n - j0);
            int base = dOff + j0 * kc;
            if (cs == 1 && nr == NR && scale == 1f) {
                int s = off + j0;
                for (int kk = 0; kk < kc; kk++, s += rs) {
                    int d = base + kk * NR;
                    System.arraycopy(src, s, dst, d, NR);
                }
                continue;
            }
            for (int kk = 0; kk < kc; kk++) {
                int d = base + kk * NR;
                int s = off + kk * rs + j0 * cs;
                for (int c = 0; c < nr; c++) dst[d + c] = src[s + c * cs] * scale;
                for (int c = nr; c < NR; c++) dst[d + c] = 0f;
            }
        }
    }

    /**
     * One register tile of a GEMM block, for every blocked loop ({@link GemmJob}, {@link SerialGemm}):
     * tiles whose epilogue fits in registers, and partial-M tiles with no epilogue on this K block
     * (biases zero, no clamp), go to {@link #microEp}; everything else to {@link #micro}.
     * {@code row0}/{@code col0} index the tile in C's bias coordinates; {@code ep} is null when the
     * epilogue is the identity.
     */
    static void tile(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, int mr, int nr,
                     boolean load, boolean last, Epilogue ep, int row0, int col0, float[] tile) {
        boolean epHere = last && ep != null;
        if (mr > 1 && nr == NR && (epHere ? ep.inRegisters : mr < MR)) {
            microEp(kc, a, ao, b, bo, c, co, ldc, mr, load,
                    epHere && ep.rowBias != null ? ep.rowBias : ZEROS, epHere && ep.rowBias != null ? ep.rowBiasOff + row0 : 0,
                    epHere && ep.colBias != null ? ep.colBias : ZEROS, epHere && ep.colBias != null ? ep.colBiasOff + col0 : 0,
                    epHere ? ep.lo : Float.NEGATIVE_INFINITY, epHere ? ep.hi : Float.POSITIVE_INFINITY, tile);
        } else {
            micro(kc, a, ao, b, bo, c, co, ldc, mr, nr, load, last, ep, row0, col0, tile);
        }
    }

    /**
     * Computes the tile {@code C[i0+r, j0+c]} for r < mr, c < nr from one A panel and one B panel.
     * With {@code load}, adds to what C holds; with {@code last}, applies the epilogue.
     */
    static void micro(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, int mr, int nr,
                      boolean load, boolean last, Epilogue ep, int row0, int col0, float[] tile) {
        if (mr == 1) {
            microRow(kc, a, ao, b, bo, tile);
            copyTile(tile, c, co, ldc, 1, nr, load);
            if (last && ep != null) ep.apply(c, co, ldc, 1, nr, row0, col0);
            return;
        }
        if (nr <= L) {
            // A last panel at most one vector wide (N = 196 leaves 4 columns, N = 784 leaves 16):
            // half the FMAs of the two-vector tile.
            microHalf(kc, a, ao, b, bo, tile);
            copyTile(tile, c, co, ldc, mr, nr, load);
            if (last && ep != null) ep.apply(c, co, ldc, mr, nr, row0, col0);
            return;
        }
        if (mr <= 4 && nr == NR) {
            // A last panel of 2-4 rows (M = 16 leaves 4, M = 32 leaves 2): the full tile would
            // multiply zero padding (18 rows for 16) and copy the result out through a scalar loop.
            microUpTo4(kc, a, ao, b, bo, c, co, ldc, mr, load);
            if (last && ep != null) ep.apply(c, co, ldc, mr, nr, row0, col0);
            return;
        }
        if (mr == MR && nr == NR) {
            if (load) microFullLoad(kc, a, ao, b, bo, c, co, ldc);
            else microFull(kc, a, ao, b, bo, c, co, ldc);
        } else {
            microTile(kc, a, ao, b, bo, tile);
            copyTile(tile, c, co, ldc, mr, nr, load);
        }
        if (last && ep != null) ep.apply(c, co, ldc, mr, nr, row0, col0);
    }

    /** A full 6 x 2-vector tile straight into C, overwriting it. */
    private static void microFull(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c00 = x.lanewise(FMA, b0, c00);
            c01 = x.lanewise(FMA, b1, c01);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.lanewise(FMA, b0, c10);
            c11 = x.lanewise(FMA, b1, c11);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.lanewise(FMA, b0, c20);
            c21 = x.lanewise(FMA, b1, c21);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.lanewise(FMA, b0, c30);
            c31 = x.lanewise(FMA, b1, c31);
            x = FloatVector.broadcast(S, a[ao + 4]);
            c40 = x.lanewise(FMA, b0, c40);
            c41 = x.lanewise(FMA, b1, c41);
            x = FloatVector.broadcast(S, a[ao + 5]);
            c50 = x.lanewise(FMA, b0, c50);
            c51 = x.lanewise(FMA, b1, c51);
        }
        FloatVector z = FloatVector.broadcast(S, -0f); // each store takes the result of an operation called here
        c00.lanewise(ADD, z).intoArray(c, co);
        c01.lanewise(ADD, z).intoArray(c, co + L);
        c10.lanewise(ADD, z).intoArray(c, co + ldc);
        c11.lanewise(ADD, z).intoArray(c, co + ldc + L);
        c20.lanewise(ADD, z).intoArray(c, co + 2 * ldc);
        c21.lanewise(ADD, z).intoArray(c, co + 2 * ldc + L);
        c30.lanewise(ADD, z).intoArray(c, co + 3 * ldc);
        c31.lanewise(ADD, z).intoArray(c, co + 3 * ldc + L);
        c40.lanewise(ADD, z).intoArray(c, co + 4 * ldc);
        c41.lanewise(ADD, z).intoArray(c, co + 4 * ldc + L);
        c50.lanewise(ADD, z).intoArray(c, co + 5 * ldc);
        c51.lanewise(ADD, z).intoArray(c, co + 5 * ldc + L);
    }

    /** A full 6 x 2-vector tile added to what C holds. */
    private static void microFullLoad(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c00 = x.lanewise(FMA, b0, c00);
            c01 = x.lanewise(FMA, b1, c01);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.lanewise(FMA, b0, c10);
            c11 = x.lanewise(FMA, b1, c11);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.lanewise(FMA, b0, c20);
            c21 = x.lanewise(FMA, b1, c21);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.lanewise(FMA, b0, c30);
            c31 = x.lanewise(FMA, b1, c31);
            x = FloatVector.broadcast(S, a[ao + 4]);
            c40 = x.lanewise(FMA, b0, c40);
            c41 = x.lanewise(FMA, b1, c41);
            x = FloatVector.broadcast(S, a[ao + 5]);
            c50 = x.lanewise(FMA, b0, c50);
            c51 = x.lanewise(FMA, b1, c51);
        }
        c00.lanewise(ADD, FloatVector.fromArray(S, c, co)).intoArray(c, co);
        c01.lanewise(ADD, FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
        c10.lanewise(ADD, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
        c11.lanewise(ADD, FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
        c20.lanewise(ADD, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
        c21.lanewise(ADD, FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
        c30.lanewise(ADD, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
        c31.lanewise(ADD, FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
        c40.lanewise(ADD, FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
        c41.lanewise(ADD, FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
        c50.lanewise(ADD, FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
        c51.lanewise(ADD, FloatVector.fromArray(S, c, co + 5 * ldc + L)).intoArray(c, co + 5 * ldc + L);
    }

    /** A full 6 x 2-vector tile into {@code tile}, for partial tiles the caller copies out. */
    private static void microTile(int kc, float[] a, int ao, float[] b, int bo, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c00 = x.lanewise(FMA, b0, c00);
            c01 = x.lanewise(FMA, b1, c01);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.lanewise(FMA, b0, c10);
            c11 = x.lanewise(FMA, b1, c11);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.lanewise(FMA, b0, c20);
            c21 = x.lanewise(FMA, b1, c21);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.lanewise(FMA, b0, c30);
            c31 = x.lanewise(FMA, b1, c31);
            x = FloatVector.broadcast(S, a[ao + 4]);
            c40 = x.lanewise(FMA, b0, c40);
            c41 = x.lanewise(FMA, b1, c41);
            x = FloatVector.broadcast(S, a[ao + 5]);
            c50 = x.lanewise(FMA, b0, c50);
            c51 = x.lanewise(FMA, b1, c51);
        }
        FloatVector z = FloatVector.broadcast(S, -0f); // each store takes the result of an operation called here
        c00.lanewise(ADD, z).intoArray(tile, 0);
        c01.lanewise(ADD, z).intoArray(tile, L);
        c10.lanewise(ADD, z).intoArray(tile, NR);
        c11.lanewise(ADD, z).intoArray(tile, NR + L);
        c20.lanewise(ADD, z).intoArray(tile, 2 * NR);
        c21.lanewise(ADD, z).intoArray(tile, 2 * NR + L);
        c30.lanewise(ADD, z).intoArray(tile, 3 * NR);
        c31.lanewise(ADD, z).intoArray(tile, 3 * NR + L);
        c40.lanewise(ADD, z).intoArray(tile, 4 * NR);
        c41.lanewise(ADD, z).intoArray(tile, 4 * NR + L);
        c50.lanewise(ADD, z).intoArray(tile, 5 * NR);
        c51.lanewise(ADD, z).intoArray(tile, 5 * NR + L);
    }

    /**
     * Rows 0..mr-1 (2 <= mr <= 4) of a full-width tile straight into C. Each element accumulates
     * the same FMAs in the same k order as the 6-row tile, so results are bit-identical to it.
     */
    private static void microUpTo4(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, int mr, boolean load) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c00 = x.lanewise(FMA, b0, c00);
            c01 = x.lanewise(FMA, b1, c01);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.lanewise(FMA, b0, c10);
            c11 = x.lanewise(FMA, b1, c11);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.lanewise(FMA, b0, c20);
            c21 = x.lanewise(FMA, b1, c21);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.lanewise(FMA, b0, c30);
            c31 = x.lanewise(FMA, b1, c31);
        }
        // Each stored vector is the result of an operation called here (see the class comment).
        FloatVector z = FloatVector.broadcast(S, -0f);
        if (load) {
            c00.lanewise(ADD, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c01.lanewise(ADD, FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
            c10.lanewise(ADD, FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
            c11.lanewise(ADD, FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
        } else {
            c00.lanewise(ADD, z).intoArray(c, co);
            c01.lanewise(ADD, z).intoArray(c, co + L);
            c10.lanewise(ADD, z).intoArray(c, co + ldc);
            c11.lanewise(ADD, z).intoArray(c, co + ldc + L);
        }
        if (mr > 2) {
            int d = co + 2 * ldc;
            if (load) {
                c20.lanewise(ADD, FloatVector.fromArray(S, c, d)).intoArray(c, d);
                c21.lanewise(ADD, FloatVector.fromArray(S, c, d + L)).intoArray(c, d + L);
            } else {
                c20.lanewise(ADD, z).intoArray(c, d);
                c21.lanewise(ADD, z).intoArray(c, d + L);
            }
        }
        if (mr > 3) {
            int d = co + 3 * ldc;
            if (load) {
                c30.lanewise(ADD, FloatVector.fromArray(S, c, d)).intoArray(c, d);
                c31.lanewise(ADD, FloatVector.fromArray(S, c, d + L)).intoArray(c, d + L);
            } else {
                c30.lanewise(ADD, z).intoArray(c, d);
                c31.lanewise(ADD, z).intoArray(c, d + L);
            }
        }
    }

    /**
     * One row of a tile (a GEMM with M = 1, such as a classifier at batch 1) into {@code tile}:
     * 2 FMAs per packed B row instead of the full tile's 12, so the loop runs at the speed B
     * streams in. Two accumulator pairs (even and odd k) halve the FMA latency chain.
     */
    static void microRow(int kc, float[] a, int ao, float[] b, int bo, float[] tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, d0 = c0, d1 = c0;
        int k = 0;
        for (; k + 1 < kc; k += 2, ao += 2 * MR, bo += 2 * NR) {
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c0 = x.lanewise(FMA, FloatVector.fromArray(S, b, bo), c0);
            c1 = x.lanewise(FMA, FloatVector.fromArray(S, b, bo + L), c1);
            FloatVector y = FloatVector.broadcast(S, a[ao + MR]);
            d0 = y.lanewise(FMA, FloatVector.fromArray(S, b, bo + NR), d0);
            d1 = y.lanewise(FMA, FloatVector.fromArray(S, b, bo + NR + L), d1);
        }
        if (k < kc) {
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c0 = x.lanewise(FMA, FloatVector.fromArray(S, b, bo), c0);
            c1 = x.lanewise(FMA, FloatVector.fromArray(S, b, bo + L), c1);
        }
        c0.lanewise(ADD, d0).intoArray(tile, 0);
        c1.lanewise(ADD, d1).intoArray(tile, L);
    }

    /** The first vector of each row of an MR x NR tile (columns 0..L-1) into {@code tile}. */
    private static void microHalf(int kc, float[] a, int ao, float[] b, int bo, float[] tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            c0 = FloatVector.broadcast(S, a[ao]).lanewise(FMA, b0, c0);
            c1 = FloatVector.broadcast(S, a[ao + 1]).lanewise(FMA, b0, c1);
            c2 = FloatVector.broadcast(S, a[ao + 2]).lanewise(FMA, b0, c2);
            c3 = FloatVector.broadcast(S, a[ao + 3]).lanewise(FMA, b0, c3);
            c4 = FloatVector.broadcast(S, a[ao + 4]).lanewise(FMA, b0, c4);
            c5 = FloatVector.broadcast(S, a[ao + 5]).lanewise(FMA, b0, c5);
        }
        FloatVector z = FloatVector.broadcast(S, -0f); // stores a result of an operation called here
        c0.lanewise(ADD, z).intoArray(tile, 0);
        c1.lanewise(ADD, z).intoArray(tile, NR);
        c2.lanewise(ADD, z).intoArray(tile, 2 * NR);
        c3.lanewise(ADD, z).intoArray(tile, 3 * NR);
        c4.lanewise(ADD, z).intoArray(tile, 4 * NR);
        c5.lanewise(ADD, z).intoArray(tile, 5 * NR);
    }

    private static void copyTile(float[] tile, float[] c, int co, int ldc, int mr, int nr, boolean load) {
        for (int r = 0; r < mr; r++) {
            int d = co + r * ldc, s = r * NR;
            if (load) {
                for (int j = 0; j < nr; j++) c[d + j] += tile[s + j];
            } else {
                for (int j = 0; j < nr; j++) c[d + j] = tile[s + j];
            }
        }
    }

    /** Zeros standing in for an absent bias, at least {@code max(MR, NR)} long. */
    static final float[] ZEROS = new float[Math.max(MR, NR)];

    /**
     * A full tile's last K block with the epilogue: bias, then a clamp (covers none, Relu and Clip),
     * applied while the tile is in L1. A per-row pass over C after the store would cost more than
     * the whole tile when K is small (MobileNet's 16- and 24-channel expansions). Absent biases are
     * passed as {@link #ZEROS}. Also takes a last panel of M ({@code mr < MR} rows, e.g. 16 output
     * channels = 6 + 6 + 4), which would otherwise go through a scalar copy of every tile.
     *
     * <p>Why three methods: one method for every mr and both loads, branching on them after the K
     * loop (where its calls are inlined late, see the class comment), boxed the rows' vectors in
     * some JVM histories, 39-73 KB per inference of an InvertedResidual block
     * (InvertedResidualAllocationTest, failing in every run after the int8 depthwise tests ran
     * first). A full tile on its only K block keeps the epilogue in registers, in two 3-row halves;
     * the last of several K blocks adds into C and then makes a row pass over it; a last panel of M
     * goes through {@code tile} and the same row pass (every tile through {@code tile} cost
     * mobilenet_v2 5-7%). Every path keeps the element order of the one-method version:
     * {@code clamp(((acc [+ C]) + colBias) + rowBias)}.
     */
    static void microEp(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, int mr, boolean load,
                        float[] rb, int ro, float[] cbias, int cbo, float lo, float hi, float[] tile) {
        if (mr < MR) {
            microTile(kc, a, ao, b, bo, tile);
            epilogueRows(tile, 0, NR, c, co, ldc, mr, load, rb, ro, cbias, cbo, lo, hi);
        } else if (load) {
            microEpFullLoad(kc, a, ao, b, bo, c, co, ldc, rb, ro, cbias, cbo, lo, hi);
        } else {
            microEpFull(kc, a, ao, b, bo, c, co, ldc, rb, ro, cbias, cbo, lo, hi);
        }
    }

    /**
     * A full tile on its only K block with the epilogue in registers, as two 3-row halves: with
     * all 12 accumulators in one method, the epilogue's calls after the K loop are inlined late
     * (see the class comment) and C2 boxed vectors; summing the biases before the loop and clamping
     * in a pass of its own avoided that but cost mobilenet_v2 5-7%. Each half reads the B panel
     * again from L1; the element order is unchanged: {@code clamp((acc + colBias) + rowBias)}.
     */
    private static void microEpFull(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc,
                                    float[] rb, int ro, float[] cbias, int cbo, float lo, float hi) {
        microEpHalf(kc, a, ao, b, bo, c, co, ldc, rb, ro, cbias, cbo, lo, hi);
        microEpHalf(kc, a, ao + 3, b, bo, c, co + 3 * ldc, ldc, rb, ro + 3, cbias, cbo, lo, hi);
    }

    /** Rows r..r+2 of a full tile ({@code ao} and {@code co} already at row r) with the epilogue in registers. */
    private static void microEpHalf(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc,
                                    float[] rb, int ro, float[] cbias, int cbo, float lo, float hi) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c00 = x.lanewise(FMA, b0, c00);
            c01 = x.lanewise(FMA, b1, c01);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.lanewise(FMA, b0, c10);
            c11 = x.lanewise(FMA, b1, c11);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.lanewise(FMA, b0, c20);
            c21 = x.lanewise(FMA, b1, c21);
        }
        FloatVector cb0 = FloatVector.fromArray(S, cbias, cbo), cb1 = FloatVector.fromArray(S, cbias, cbo + L);
        FloatVector vlo = FloatVector.broadcast(S, lo), vhi = FloatVector.broadcast(S, hi);
        FloatVector r0 = FloatVector.broadcast(S, rb[ro]), r1 = FloatVector.broadcast(S, rb[ro + 1]), r2 = FloatVector.broadcast(S, rb[ro + 2]);
        c00.lanewise(ADD, cb0).lanewise(ADD, r0).lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(c, co);
        c01.lanewise(ADD, cb1).lanewise(ADD, r0).lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(c, co + L);
        c10.lanewise(ADD, cb0).lanewise(ADD, r1).lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(c, co + ldc);
        c11.lanewise(ADD, cb1).lanewise(ADD, r1).lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(c, co + ldc + L);
        c20.lanewise(ADD, cb0).lanewise(ADD, r2).lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(c, co + 2 * ldc);
        c21.lanewise(ADD, cb1).lanewise(ADD, r2).lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(c, co + 2 * ldc + L);
    }

    /**
     * A full tile added to what C holds (the last of several K blocks), then the biases and the
     * clamp as a row pass over the rows just stored (in L1): with the bias adds and the clamp after
     * the K loop of {@link #microFullLoad}, or C and the biases summed before it, C2 still boxed.
     */
    private static void microEpFullLoad(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc,
                                        float[] rb, int ro, float[] cbias, int cbo, float lo, float hi) {
        microFullLoad(kc, a, ao, b, bo, c, co, ldc);
        epilogueRows(c, co, ldc, c, co, ldc, MR, false, rb, ro, cbias, cbo, lo, hi);
    }

    /**
     * Rows 0..mr-1 of {@code t} (row r at {@code to + r * ts}; the tile buffer, or C itself) into C:
     * {@code clamp(((t [+ C]) + colBias) + rowBias, lo, hi)}.
     */
    private static void epilogueRows(float[] t, int to, int ts, float[] c, int co, int ldc, int mr, boolean load,
                                     float[] rb, int ro, float[] cbias, int cbo, float lo, float hi) {
        FloatVector cb0 = FloatVector.fromArray(S, cbias, cbo);
        FloatVector cb1 = FloatVector.fromArray(S, cbias, cbo + L);
        FloatVector vlo = FloatVector.broadcast(S, lo), vhi = FloatVector.broadcast(S, hi);
        // Two loops rather than one with a conditional load: no vector merges two paths.
        if (load) {
            for (int r = 0; r < mr; r++) {
                int d = co + r * ldc, s = to + r * ts;
                FloatVector rv = FloatVector.broadcast(S, rb[ro + r]);
                FloatVector.fromArray(S, t, s).lanewise(ADD, FloatVector.fromArray(S, c, d)).lanewise(ADD, cb0).lanewise(ADD, rv)
                        .lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(c, d);
                FloatVector.fromArray(S, t, s + L).lanewise(ADD, FloatVector.fromArray(S, c, d + L)).lanewise(ADD, cb1).lanewise(ADD, rv)
                        .lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(c, d + L);
            }
        } else {
            for (int r = 0; r < mr; r++) {
                int d = co + r * ldc, s = to + r * ts;
                FloatVector rv = FloatVector.broadcast(S, rb[ro + r]);
                FloatVector.fromArray(S, t, s).lanewise(ADD, cb0).lanewise(ADD, rv).lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(c, d);
                FloatVector.fromArray(S, t, s + L).lanewise(ADD, cb1).lanewise(ADD, rv).lanewise(MAX, vlo).lanewise(MIN, vhi).intoArray(c, d + L);
            }
        }
    }

    /**
     * Bias and activation applied to finished tiles. Fields are set per run by the owning kernel
     * (bias arrays live in tensors), so the object is created once.
     */
    public static final class Epilogue {
        public float[] rowBias;
        public int rowBiasOff;
        public float[] colBias;
        public int colBiasOff;
        private Activation act = Activation.NONE;
        private float p0, p1;
        /** Bounds of the clamp that the register epilogue applies (none, Relu and Clip are clamps). */
        float lo = Float.NEGATIVE_INFINITY, hi = Float.POSITIVE_INFINITY;
        boolean inRegisters = true;

        public boolean isIdentity() { return rowBias == null && colBias == null && act == Activation.NONE; }

        /** Sets the activation and its parameters (see {@link Activation#apply}). */
        public void setActivation(Activation a, float p0, float p1) {
            this.act = a;
            this.p0 = p0;
            this.p1 = p1;
            inRegisters = a == Activation.NONE || a == Activation.RELU || a == Activation.CLIP;
            lo = a == Activation.RELU ? 0f : a == Activation.CLIP ? p0 : Float.NEGATIVE_INFINITY;
            hi = a == Activation.CLIP ? p1 : Float.POSITIVE_INFINITY;
        }

        void apply(float[] c, int co, int ldc, int mr, int nr, int row0, int col0) {
            for (int r = 0; r < mr; r++) {
                int o = co + r * ldc;
                if (rowBias != null) {
                    float bv = rowBias[rowBiasOff + row0 + r];
                    FloatVector vb = FloatVector.broadcast(S, bv);
                    int j = 0;
                    for (; j + L <= nr; j += L) FloatVector.fromArray(S, c, o + j).lanewise(ADD, vb).intoArray(c, o + j);
                    for (; j < nr; j++) c[o + j] += bv;
                }
                if (colBias != null) {
                    int bo = colBiasOff + col0;
                    for (int j = 0; j < nr; j++) c[o + j] += colBias[bo + j];
                }
                act.applyInPlace(c, o, nr, p0, p1);
            }
        }
    }
}
