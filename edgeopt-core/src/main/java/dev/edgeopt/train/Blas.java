package dev.edgeopt.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The few dense float routines training needs. One matrix-product kernel serves every GEMM of the
 * forward and backward passes: {@code A} is read through a row and a column stride, so a transposed
 * left operand costs nothing; a transposed right operand is materialized with {@link #transpose}
 * first (linear cost next to the product).
 *
 * <p>The kernel keeps a 4x2-vector tile of C in registers and streams rows of B, which is what the
 * JIT turns into broadcast-FMA sequences. It is single-threaded: callers parallelize over batch
 * samples or row blocks so that reductions stay in a fixed order (determinism).
 */
public final class Blas {
    private Blas() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /**
     * {@code C[M,N] (+)= A[M,K] * B[K,N]}. {@code A[i,k] = a[aOff + i*aRs + k*aCs]}, B and C are
     * row-major with leading dimensions {@code ldb} and {@code ldc}.
     */
    public static void gemm(int m, int n, int k, float[] a, int aOff, int aRs, int aCs,
                            float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        int i = 0;
        for (; i + 4 <= m; i += 4) rows4(i, n, k, a, aOff, aRs, aCs, b, bOff, ldb, c, cOff, ldc, accumulate);
        for (; i < m; i++) rows1(i, n, k, a, aOff, aRs, aCs, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    private static void rows4(int i, int n, int k, float[] a, int aOff, int aRs, int aCs,
                              float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean acc) {
        int a0 = aOff + i * aRs, a1 = a0 + aRs, a2 = a1 + aRs, a3 = a2 + aRs;
        int c0 = cOff + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        int j = 0;
        for (; j + 2 * L <= n; j += 2 * L) {
            FloatVector x00, x01, x10, x11, x20, x21, x30, x31;
            if (acc) {
                x00 = FloatVector.fromArray(S, c, c0 + j); x01 = FloatVector.fromArray(S, c, c0 + j + L);
                x10 = FloatVector.fromArray(S, c, c1 + j); x11 = FloatVector.fromArray(S, c, c1 + j + L);
                x20 = FloatVector.fromArray(S, c, c2 + j); x21 = FloatVector.fromArray(S, c, c2 + j + L);
                x30 = FloatVector.fromArray(S, c, c3 + j); x31 = FloatVector.fromArray(S, c, c3 + j + L);
            } else {
                x00 = x01 = x10 = x11 = x20 = x21 = x30 = x31 = FloatVector.zero(S);
            }
            int bo = bOff + j;
            for (int p = 0; p < k; p++, bo += ldb) {
                FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + L);
                int q = p * aCs;
                FloatVector v = FloatVector.broadcast(S, a[a0 + q]);
                x00 = b0.fma(v, x00); x01 = b1.fma(v, x01);
                v = FloatVector.broadcast(S, a[a1 + q]);
                x10 = b0.fma(v, x10); x11 = b1.fma(v, x11);
                v = FloatVector.broadcast(S, a[a2 + q]);
                x20 = b0.fma(v, x20); x21 = b1.fma(v, x21);
                v = FloatVector.broadcast(S, a[a3 + q]);
                x30 = b0.fma(v, x30); x31 = b1.fma(v, x31);
            }
            x00.intoArray(c, c0 + j); x01.intoArray(c, c0 + j + L);
            x10.intoArray(c, c1 + j); x11.intoArray(c, c1 + j + L);
            x20.intoArray(c, c2 + j); x21.intoArray(c, c2 + j + L);
            x30.intoArray(c, c3 + j); x31.intoArray(c, c3 + j + L);
        }
        for (; j + L <= n; j += L) {
            FloatVector x0, x1, x2, x3;
            if (acc) {
                x0 = FloatVector.fromArray(S, c, c0 + j); x1 = FloatVector.fromArray(S, c, c1 + j);
                x2 = FloatVector.fromArray(S, c, c2 + j); x3 = FloatVector.fromArray(S, c, c3 + j);
            } else {
                x0 = x1 = x2 = x3 = FloatVector.zero(S);
            }
            int bo = bOff + j;
            for (int p = 0; p < k; p++, bo += ldb) {
                FloatVector b0 = FloatVector.fromArray(S, b, bo);
                int q = p * aCs;
                x0 = b0.fma(FloatVector.broadcast(S, a[a0 + q]), x0);
                x1 = b0.fma(FloatVector.broadcast(S, a[a1 + q]), x1);
                x2 = b0.fma(FloatVector.broadcast(S, a[a2 + q]), x2);
                x3 = b0.fma(FloatVector.broadcast(S, a[a3 + q]), x3);
            }
            x0.intoArray(c, c0 + j); x1.intoArray(c, c1 + j); x2.intoArray(c, c2 + j); x3.intoArray(c, c3 + j);
        }
        for (; j < n; j++) {
            float s0 = acc ? c[c0 + j] : 0, s1 = acc ? c[c1 + j] : 0, s2 = acc ? c[c2 + j] : 0, s3 = acc ? c[c3 + j] : 0;
            int bo = bOff + j;
            for (int p = 0; p < k; p++, bo += ldb) {
                float bv = b[bo];
                int q = p * aCs;
                s0 += a[a0 + q] * bv; s1 += a[a1 + q] * bv; s2 += a[a2 + q] * bv; s3 += a[a3 + q] * bv;
            }
            c[c0 + j] = s0; c[c1 + j] = s1; c[c2 + j] = s2; c[c3 + j] = s3;
        }
    }

    private static void rows1(int i, int n, int k, float[] a, int aOff, int aRs, int aCs,
                              float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean acc) {
        int a0 = aOff + i * aRs, c0 = cOff + i * ldc;
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector x = acc ? FloatVector.fromArray(S, c, c0 + j) : FloatVector.zero(S);
            int bo = bOff + j;
            for (int p = 0; p < k; p++, bo += ldb) x = FloatVector.fromArray(S, b, bo).fma(FloatVector.broadcast(S, a[a0 + p * aCs]), x);
            x.intoArray(c, c0 + j);
        }
        for (; j < n; j++) {
            float s = acc ? c[c0 + j] : 0;
            int bo = bOff + j;
            for (int p = 0; p < k; p++, bo += ldb) s += a[a0 + p * aCs] * b[bo];
            c[c0 + j] = s;
        }
    }

    /**
     * Lane-wise partial dot products of row pairs, accumulated into vectors:
     * {@code acc[accOff + i*accRs + j*accCs + l] += sum over q = l (mod L) of a[aOff + i*lda + q] * b[bOff + j*ldb + q]}
     * for {@code i < mi, j < nj, q < len} (a tail of {@code len % L} goes into lane 0).
     *
     * <p>Both operands reduce along their contiguous dimension (a convolution's weight gradient:
     * unrolled input rows against output-gradient rows, over pixels), so nothing is transposed or
     * packed; the lanes are summed once per step by the caller, not once per product, which would
     * cost as much as the product itself at short lengths.
     */
    public static void dotLanes(int mi, int nj, int len, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float[] acc, int accOff, int accRs, int accCs) {
        int vl = len - len % L;
        int i = 0;
        for (; i + 4 <= mi; i += 4) {
            int j = 0;
            for (; j + 4 <= nj; j += 4) dot4x4(vl, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, acc, accOff + i * accRs + j * accCs, accRs, accCs);
            for (; j < nj; j++) {
                for (int ii = i; ii < i + 4; ii++) dot1x1(vl, a, aOff + ii * lda, b, bOff + j * ldb, acc, accOff + ii * accRs + j * accCs);
            }
        }
        for (; i < mi; i++) {
            for (int j = 0; j < nj; j++) dot1x1(vl, a, aOff + i * lda, b, bOff + j * ldb, acc, accOff + i * accRs + j * accCs);
        }
        if (vl < len) {
            for (i = 0; i < mi; i++) {
                for (int j = 0; j < nj; j++) {
                    int ao = aOff + i * lda, bo = bOff + j * ldb;
                    float s = 0f;
                    for (int q = vl; q < len; q++) s += a[ao + q] * b[bo + q];
                    acc[accOff + i * accRs + j * accCs] += s;
                }
            }
        }
    }

    private static void dot1x1(int vl, float[] a, int ao, float[] b, int bo, float[] acc, int d) {
        FloatVector x = FloatVector.fromArray(S, acc, d);
        for (int q = 0; q < vl; q += L) x = FloatVector.fromArray(S, a, ao + q).fma(FloatVector.fromArray(S, b, bo + q), x);
        x.intoArray(acc, d);
    }

    private static void dot4x4(int vl, float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] acc, int d, int rs, int cs) {
        FloatVector x00 = FloatVector.zero(S), x01 = x00, x02 = x00, x03 = x00, x10 = x00, x11 = x00, x12 = x00, x13 = x00;
        FloatVector x20 = x00, x21 = x00, x22 = x00, x23 = x00, x30 = x00, x31 = x00, x32 = x00, x33 = x00;
        int a1 = ao + lda, a2 = a1 + lda, a3 = a2 + lda, b1 = bo + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        for (int q = 0; q < vl; q += L) {
            FloatVector u0 = FloatVector.fromArray(S, b, bo + q), u1 = FloatVector.fromArray(S, b, b1 + q);
            FloatVector u2 = FloatVector.fromArray(S, b, b2 + q), u3 = FloatVector.fromArray(S, b, b3 + q);
            FloatVector v = FloatVector.fromArray(S, a, ao + q);
            x00 = v.fma(u0, x00); x01 = v.fma(u1, x01); x02 = v.fma(u2, x02); x03 = v.fma(u3, x03);
            v = FloatVector.fromArray(S, a, a1 + q);
            x10 = v.fma(u0, x10); x11 = v.fma(u1, x11); x12 = v.fma(u2, x12); x13 = v.fma(u3, x13);
            v = FloatVector.fromArray(S, a, a2 + q);
            x20 = v.fma(u0, x20); x21 = v.fma(u1, x21); x22 = v.fma(u2, x22); x23 = v.fma(u3, x23);
            v = FloatVector.fromArray(S, a, a3 + q);
            x30 = v.fma(u0, x30); x31 = v.fma(u1, x31); x32 = v.fma(u2, x32); x33 = v.fma(u3, x33);
        }
        // Written out rather than looped over an array of vectors, which C2 would box.
        int r1 = d + rs, r2 = r1 + rs, r3 = r2 + rs;
        x00.add(FloatVector.fromArray(S, acc, d)).intoArray(acc, d);
        x01.add(FloatVector.fromArray(S, acc, d + cs)).intoArray(acc, d + cs);
        x02.add(FloatVector.fromArray(S, acc, d + 2 * cs)).intoArray(acc, d + 2 * cs);
        x03.add(FloatVector.fromArray(S, acc, d + 3 * cs)).intoArray(acc, d + 3 * cs);
        x10.add(FloatVector.fromArray(S, acc, r1)).intoArray(acc, r1);
        x11.add(FloatVector.fromArray(S, acc, r1 + cs)).intoArray(acc, r1 + cs);
        x12.add(FloatVector.fromArray(S, acc, r1 + 2 * cs)).intoArray(acc, r1 + 2 * cs);
        x13.add(FloatVector.fromArray(S, acc, r1 + 3 * cs)).intoArray(acc, r1 + 3 * cs);
        x20.add(FloatVector.fromArray(S, acc, r2)).intoArray(acc, r2);
        x21.add(FloatVector.fromArray(S, acc, r2 + cs)).intoArray(acc, r2 + cs);
        x22.add(FloatVector.fromArray(S, acc, r2 + 2 * cs)).intoArray(acc, r2 + 2 * cs);
        x23.add(FloatVector.fromArray(S, acc, r2 + 3 * cs)).intoArray(acc, r2 + 3 * cs);
        x30.add(FloatVector.fromArray(S, acc, r3)).intoArray(acc, r3);
        x31.add(FloatVector.fromArray(S, acc, r3 + cs)).intoArray(acc, r3 + cs);
        x32.add(FloatVector.fromArray(S, acc, r3 + 2 * cs)).intoArray(acc, r3 + 2 * cs);
        x33.add(FloatVector.fromArray(S, acc, r3 + 3 * cs)).intoArray(acc, r3 + 3 * cs);
    }

    /** {@code dst[j*rows + i] = src[srcOff + i*ld + j]} for a rows x cols block (blocked for cache). */
    public static void transpose(float[] src, int srcOff, int ld, int rows, int cols, float[] dst, int dstOff) {
        final int bs = 32;
        for (int i0 = 0; i0 < rows; i0 += bs) {
            int i1 = Math.min(rows, i0 + bs);
            for (int j0 = 0; j0 < cols; j0 += bs) {
                int j1 = Math.min(cols, j0 + bs);
                for (int i = i0; i < i1; i++) {
                    int s = srcOff + i * ld;
                    for (int j = j0; j < j1; j++) dst[dstOff + j * rows + i] = src[s + j];
                }
            }
        }
    }

    /** {@code y[yo..yo+n) += alpha * x[xo..xo+n)}. */
    public static void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
        int i = 0;
        FloatVector av = FloatVector.broadcast(S, alpha);
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** Sum of {@code x[xo..xo+n)} in a fixed association order. */
    public static float sum(float[] x, int xo, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + L <= n; i += L) acc = acc.add(FloatVector.fromArray(S, x, xo + i));
        float s = lanes(acc);
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    /** Dot product of two runs, in a fixed association order. */
    public static float dot(int n, float[] x, int xo, float[] y, int yo) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + L <= n; i += L) acc = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), acc);
        float s = lanes(acc);
        for (; i < n; i++) s += x[xo + i] * y[yo + i];
        return s;
    }

    /** Sum of (x - mu)^2 over a run. */
    public static float sumSquaredDeviation(float[] x, int xo, int n, float mu) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + L <= n; i += L) {
            FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(mu);
            acc = d.fma(d, acc);
        }
        float s = lanes(acc);
        for (; i < n; i++) {
            float d = x[xo + i] - mu;
            s += d * d;
        }
        return s;
    }

    /** y = x * a + b over a run. */
    public static void scaleShift(int n, float[] x, int xo, float a, float b, float[] y, int yo) {
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xo + i).fma(a, b).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = x[xo + i] * a + b;
    }

    /** y = max(0, x * a + b) over a run (BatchNormalization with a Relu folded in). */
    public static void scaleShiftRelu(int n, float[] x, int xo, float a, float b, float[] y, int yo) {
        int i = 0;
        FloatVector zero = FloatVector.zero(S);
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xo + i).fma(a, b).max(zero).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = Math.max(0f, x[xo + i] * a + b);
    }

    /**
     * {@code out[0] = sum(g)}, {@code out[1] = sum(g * x)} over a run, in one pass (BatchNormalization's
     * backward reductions), each in the association order of {@link #sum} and {@link #dot}. With
     * {@code relu}, only where {@code x * ra + rb > 0}: where {@link #scaleShiftRelu} output a
     * positive value (a folded Relu), recomputed with the same operations (fused in the vector
     * part, separate in the tail) so the mask is bit for bit the forward's, without reading the output.
     */
    public static void sumAndDot(int n, float[] g, int go, float[] x, int xo, boolean relu, float ra, float rb, float[] out) {
        int i = 0;
        FloatVector s0 = FloatVector.zero(S), s1 = s0, zero = s0;
        for (; i + L <= n; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, go + i), xv = FloatVector.fromArray(S, x, xo + i);
            if (relu) gv = zero.blend(gv, xv.fma(ra, rb).compare(VectorOperators.GT, 0f));
            s0 = s0.add(gv);
            s1 = gv.fma(xv, s1);
        }
        float a = lanes(s0), b = lanes(s1);
        for (; i < n; i++) {
            if (relu && !(x[xo + i] * ra + rb > 0f)) continue;
            a += g[go + i];
            b += g[go + i] * x[xo + i];
        }
        out[0] = a;
        out[1] = b;
    }

    /** gx += g where y > 0 over a run (the gradient through a folded Relu). */
    public static void maskedAdd(int n, float[] g, int go, float[] y, int yo, float[] gx, int gxo) {
        int i = 0;
        FloatVector zero = FloatVector.zero(S);
        for (; i + L <= n; i += L) {
            FloatVector gv = zero.blend(FloatVector.fromArray(S, g, go + i), FloatVector.fromArray(S, y, yo + i).compare(VectorOperators.GT, 0f));
            gv.add(FloatVector.fromArray(S, gx, gxo + i)).intoArray(gx, gxo + i);
        }
        for (; i < n; i++) if (y[yo + i] > 0f) gx[gxo + i] += g[go + i];
    }

    /** y = max(0, y) over a run. */
    public static void reluInPlace(int n, float[] y, int yo) {
        int i = 0;
        FloatVector zero = FloatVector.zero(S);
        for (; i + L <= n; i += L) FloatVector.fromArray(S, y, yo + i).max(zero).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = Math.max(0f, y[yo + i]);
    }

    /**
     * gx += ag * g' + ax * x + c over a run, with g' = g where {@code x * ra + rb > 0}, else 0
     * (BatchNormalization + Relu; the mask as in {@link #sumAndDot}).
     */
    public static void bnBackwardMasked(int n, float[] g, int go, float ra, float rb, float ag, float[] x, int xo, float ax, float c, float[] gx, int gxo) {
        int i = 0;
        FloatVector zero = FloatVector.zero(S);
        for (; i + L <= n; i += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            FloatVector gv = zero.blend(FloatVector.fromArray(S, g, go + i), xv.fma(ra, rb).compare(VectorOperators.GT, 0f));
            FloatVector v = gv.fma(FloatVector.broadcast(S, ag), xv.fma(ax, c));
            v.add(FloatVector.fromArray(S, gx, gxo + i)).intoArray(gx, gxo + i);
        }
        for (; i < n; i++) gx[gxo + i] += ag * (x[xo + i] * ra + rb > 0f ? g[go + i] : 0f) + ax * x[xo + i] + c;
    }

    /** gx += ag * g + ax * x + c over a run (BatchNormalization's input gradient). */
    public static void bnBackward(int n, float[] g, int go, float ag, float[] x, int xo, float ax, float c, float[] gx, int gxo) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(S, g, go + i).fma(FloatVector.broadcast(S, ag), FloatVector.fromArray(S, x, xo + i).fma(ax, c));
            v.add(FloatVector.fromArray(S, gx, gxo + i)).intoArray(gx, gxo + i);
        }
        for (; i < n; i++) gx[gxo + i] += ag * g[go + i] + ax * x[xo + i] + c;
    }

    /**
     * Sum of the lanes left to right. {@code reduceLanes(ADD)} may associate floats in any order, and
     * the interpreter and the JIT do differ, which would make a run depend on JIT timing.
     */
    static float lanes(FloatVector v) {
        float s = 0;
        for (int i = 0; i < L; i++) s += v.lane(i);
        return s;
    }
}
