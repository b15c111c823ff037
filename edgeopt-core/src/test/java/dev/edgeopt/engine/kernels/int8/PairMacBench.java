package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.gemm.GemmJob;
import dev.edgeopt.ir.TensorType;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in benchmark ({@code -Dbench=true}): which int8 multiply-accumulate formulations this JVM
 * turns into fast code, in GMAC/s of the calling thread's CPU time (one thread; other processes
 * then only slow it through shared caches).
 *
 * <p>Part 1, loops over 1024 int16 values: C2 turns the element-wise pair form
 * {@code out[i] += a[2i]*b[2i] + a[2i+1]*b[2i+1]} into {@code vpdpwssd} (AVX-512 VNNI; checked in
 * the disassembly of {@code -XX:CompileCommand=print}), also with two outputs sharing {@code a}; it
 * does not vectorize the reduction form {@code s += ...}, two pair terms in one statement, or a
 * loop-invariant (broadcast) operand, which is what a register-blocked GEMM needs. The Vector API
 * has no pair multiply-add; its int16 multiply needs a widening per product.
 *
 * <p>Part 2, GEMMs of mobilenet_v2's 1x1 layer shapes ({@code C[M,P] = W[M,K] X[K,P]}): the pair
 * form as a GEMM (per pixel pair, every output channel at once, with the pixel's K values repeated
 * so that term t reads them rotated by t: {@code out[c] += Wrot[t][c] . Xrep[c + t]}) against the
 * engine's fp32 GEMM ({@link GemmJob}) on the same shape.
 *
 * <pre>./mvnw -q -o -pl edgeopt-core test -Dtest=PairMacBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench=true</pre>
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class PairMacBench {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    static void pairs(short[] a, short[] b, int[] out, int n) {
        for (int i = 0; i < n; i++) out[i] += a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1];
    }

    static void pairsTwoOut(short[] a, short[] b, short[] d, int[] out, int[] out2, int n) {
        for (int i = 0; i < n; i++) {
            out[i] += a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1];
            out2[i] += a[2 * i] * d[2 * i] + a[2 * i + 1] * d[2 * i + 1];
        }
    }

    static void pairsTwoTerms(short[] a, short[] b, short[] c, short[] d, int[] out, int n) {
        for (int i = 0; i < n; i++) out[i] += (a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1]) + (c[2 * i] * d[2 * i] + c[2 * i + 1] * d[2 * i + 1]);
    }

    static void pairsBroadcast(short w0, short w1, short[] b, int[] out, int n) {
        for (int i = 0; i < n; i++) out[i] += w0 * b[2 * i] + w1 * b[2 * i + 1];
    }

    static int pairsReduce(short[] a, short[] b, int n) {
        int s = 0;
        for (int i = 0; i < n; i++) s += a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1];
        return s;
    }

    static int intDot(int[] a, int[] b, int n) {
        int s = 0;
        for (int i = 0; i < n; i++) s += a[i] * b[i];
        return s;
    }

    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I32 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F32 = FloatVector.SPECIES_512;

    /** Vector API: int16 products (exact for int8 operands), widened to int32 and added. */
    static int vectorShortDot(short[] a, short[] b, int n) {
        IntVector acc = IntVector.zero(I32);
        for (int i = 0; i + S16.length() <= n; i += S16.length()) {
            ShortVector p = ShortVector.fromArray(S16, a, i).mul(ShortVector.fromArray(S16, b, i));
            acc = acc.add((IntVector) p.convertShape(VectorOperators.S2I, I32, 0)).add((IntVector) p.convertShape(VectorOperators.S2I, I32, 1));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float vectorFloatDot(float[] a, float[] b, int n) {
        FloatVector acc = FloatVector.zero(F32), acc2 = FloatVector.zero(F32);
        for (int i = 0; i + 2 * F32.length() <= n; i += 2 * F32.length()) {
            acc = FloatVector.fromArray(F32, a, i).fma(FloatVector.fromArray(F32, b, i), acc);
            acc2 = FloatVector.fromArray(F32, a, i + F32.length()).fma(FloatVector.fromArray(F32, b, i + F32.length()), acc2);
        }
        return acc.add(acc2).reduceLanes(VectorOperators.ADD);
    }

    interface Body { long run(); }

    /** GMAC/s of the best of 7 rounds, each {@code reps} calls, in thread CPU time. */
    static double gmacs(long macsPerCall, int reps, Body b) {
        long best = Long.MAX_VALUE, sink = 0;
        for (int round = 0; round < 7; round++) {
            long t0 = MX.getCurrentThreadCpuTime();
            for (int i = 0; i < reps; i++) sink += b.run();
            best = Math.min(best, MX.getCurrentThreadCpuTime() - t0);
        }
        if (sink == 42) System.out.print(""); // keeps the results live
        return (double) macsPerCall * reps / best;
    }

    @Test
    void loops() {
        int n = 1024;
        SplittableRandom r = new SplittableRandom(1);
        short[] a = new short[n], b = new short[n], c = new short[n], d = new short[n];
        int[] ai = new int[n], bi = new int[n], out = new int[n / 2], out2 = new int[n / 2];
        float[] af = new float[n], bf = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (short) r.nextInt(-127, 128);
            b[i] = (short) r.nextInt(-128, 128);
            c[i] = (short) r.nextInt(-127, 128);
            d[i] = (short) r.nextInt(-128, 128);
            ai[i] = a[i];
            bi[i] = b[i];
            af[i] = a[i];
            bf[i] = b[i];
        }
        int reps = 100_000;
        System.out.printf("load %.1f; GMAC/s per thread (CPU time), %d int8 products per call%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), n);
        System.out.printf("  pair element-wise (vpdpwssd)       %6.1f%n", gmacs(n, reps, () -> { pairs(a, b, out, n / 2); return out[1]; }));
        System.out.printf("  pair element-wise, 2 outputs       %6.1f%n", gmacs(2L * n, reps, () -> { pairsTwoOut(a, b, d, out, out2, n / 2); return out2[1]; }));
        System.out.printf("  pair, 2 terms in one statement     %6.1f%n", gmacs(2L * n, reps, () -> { pairsTwoTerms(a, b, c, d, out, n / 2); return out[1]; }));
        System.out.printf("  pair, broadcast operand            %6.1f%n", gmacs(n, reps, () -> { pairsBroadcast(a[3], a[4], b, out, n / 2); return out[1]; }));
        System.out.printf("  pair reduction                     %6.1f%n", gmacs(n, reps, () -> pairsReduce(a, b, n / 2)));
        System.out.printf("  int32 dot reduction (auto)         %6.1f%n", gmacs(n, reps, () -> intDot(ai, bi, n)));
        System.out.printf("  Vector API int16 mul + widen       %6.1f%n", gmacs(n, reps, () -> vectorShortDot(a, b, n)));
        System.out.printf("  Vector API fp32 FMA dot            %6.1f%n", gmacs(n, reps, () -> (long) vectorFloatDot(af, bf, n)));
    }

    /**
     * The micro-kernel layout with register-sized accumulators: a tile of 16 pixels x 4 output
     * channels, each accumulator an int[16] (one 512-bit register), the input pairs interleaved per
     * pixel ({@code xp[j][16][2]}) and each weight pair broadcast to a 32-short row
     * ({@code wb[c][j][32]}), so the inner loop is exactly the element-wise pair idiom with a trip
     * count of one vector.
     */
    static void tile16x4(short[] xp, short[] wb, int k2, int[] a0, int[] a1, int[] a2, int[] a3) {
        int ws = k2 * 32;
        for (int j = 0; j < k2; j++) {
            int o = j * 32;
            for (int i = 0; i < 16; i++) {
                int x0 = xp[o + 2 * i], x1 = xp[o + 2 * i + 1];
                a0[i] += x0 * wb[o + 2 * i] + x1 * wb[o + 2 * i + 1];
                a1[i] += x0 * wb[ws + o + 2 * i] + x1 * wb[ws + o + 2 * i + 1];
                a2[i] += x0 * wb[2 * ws + o + 2 * i] + x1 * wb[2 * ws + o + 2 * i + 1];
                a3[i] += x0 * wb[3 * ws + o + 2 * i] + x1 * wb[3 * ws + o + 2 * i + 1];
            }
        }
    }

    /** As {@link #tile16x4} with one channel: the statement C2 vectorizes in a long loop, here 16 trips. */
    static void tile16x1(short[] xp, short[] wb, int k2, int[] a0) {
        for (int j = 0; j < k2; j++) {
            int o = j * 32;
            for (int i = 0; i < 16; i++) a0[i] += xp[o + 2 * i] * wb[o + 2 * i] + xp[o + 2 * i + 1] * wb[o + 2 * i + 1];
        }
    }

    @Test
    void registerTilesAndRowLengths() {
        SplittableRandom r = new SplittableRandom(2);
        int k = 128, k2 = k / 2;
        short[] xp = new short[k2 * 32], wb = new short[4 * k2 * 32];
        for (int i = 0; i < xp.length; i++) xp[i] = (short) r.nextInt(-128, 128);
        for (int i = 0; i < wb.length; i++) wb[i] = (short) r.nextInt(-127, 128);
        int[] a0 = new int[16], a1 = new int[16], a2 = new int[16], a3 = new int[16];
        System.out.printf("load %.1f; GMAC/s per thread (CPU time)%n", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf("  register tile 16 px x 4 ch, K=%d     %6.1f%n", k, gmacs(16L * 4 * k, 200_000, () -> { tile16x4(xp, wb, k2, a0, a1, a2, a3); return a0[1] + a3[2]; }));
        System.out.printf("  register tile 16 px x 1 ch, K=%d     %6.1f%n", k, gmacs(16L * k, 400_000, () -> { tile16x1(xp, wb, k2, a0); return a0[1]; }));
        // The element-wise idiom as a GEMM row block: 4096 products per call in rows of n pairs.
        int big = 1 << 16;
        short[] a = new short[big], b = new short[big];
        int[] out = new int[big];
        for (int i = 0; i < big; i++) {
            a[i] = (short) r.nextInt(-128, 128);
            b[i] = (short) r.nextInt(-127, 128);
        }
        for (int n : new int[] {16, 64, 256, 1024, 4096}) {
            int terms = Math.max(1, 4096 / n);
            System.out.printf("  element-wise rows of %4d pairs       %6.1f%n", n, gmacs(2L * n * terms, 20_000, () -> {
                for (int j = 0; j < terms; j++) pairsAt(a, (j * 2 * n) & (big - 1 - 2 * n), b, j & 7, out, n);
                return out[3];
            }));
        }
    }

    static void pairsAt(short[] a, int ao, short[] b, int bo, int[] out, int n) {
        for (int i = 0; i < n; i++) out[i] += a[ao + 2 * i] * b[bo + 2 * i] + a[ao + 2 * i + 1] * b[bo + 2 * i + 1];
    }

    /** The pair form as a GEMM: out[c] for two pixels at once, every channel, K/2 rotated terms. */
    static final class PairGemm {
        final int m, k, p, k2, mp;
        final short[] wrot; // [k2][2 * mp]: term t, channel c holds W[c][2j], W[c][2j+1] with j = (c + t) mod k2
        final short[] xt; // [p][k] activations, pixel-major
        final short[] rep0, rep1; // one pixel's k values repeated to 2 * (mp + k2)
        final int[] out0, out1;

        PairGemm(short[] w, short[] x, int m, int k, int p) {
            this.m = m;
            this.k = k;
            this.p = p;
            k2 = k / 2;
            mp = (m + 15) / 16 * 16;
            wrot = new short[k2 * 2 * mp];
            for (int t = 0; t < k2; t++) {
                for (int c = 0; c < m; c++) {
                    int j = (c + t) % k2;
                    wrot[t * 2 * mp + 2 * c] = w[c * k + 2 * j];
                    wrot[t * 2 * mp + 2 * c + 1] = w[c * k + 2 * j + 1];
                }
            }
            xt = new short[p * k];
            for (int kk = 0; kk < k; kk++) for (int i = 0; i < p; i++) xt[i * k + kk] = x[kk * p + i];
            rep0 = new short[2 * (mp + k2)];
            rep1 = new short[2 * (mp + k2)];
            out0 = new int[mp];
            out1 = new int[mp];
        }

        long run(int[] y) {
            for (int i = 0; i < p; i += 2) {
                int i1 = Math.min(i + 1, p - 1);
                for (int q = 0; q < rep0.length; q += k) {
                    int len = Math.min(k, rep0.length - q);
                    System.arraycopy(xt, i * k, rep0, q, len);
                    System.arraycopy(xt, i1 * k, rep1, q, len);
                }
                java.util.Arrays.fill(out0, 0);
                java.util.Arrays.fill(out1, 0);
                for (int t = 0; t < k2; t++) {
                    rotatedTerm(wrot, t * 2 * mp, rep0, 2 * t, out0, mp);
                    rotatedTerm(wrot, t * 2 * mp, rep1, 2 * t, out1, mp);
                }
                for (int c = 0; c < m; c++) {
                    y[c * p + i] = out0[c];
                    y[c * p + i1] = out1[c];
                }
            }
            return y[0];
        }

        // One output array per loop: with two (sharing the weight loads) C2 left this loop scalar.
        static void rotatedTerm(short[] w, int wo, short[] x, int xo, int[] o, int n) {
            for (int i = 0; i < n; i++) o[i] += w[wo + 2 * i] * x[xo + 2 * i] + w[wo + 2 * i + 1] * x[xo + 2 * i + 1];
        }
    }

    @Test
    void mobilenetPointwiseShapes() {
        int[][] shapes = {{32, 16, 12544}, {16, 96, 12544}, {96, 24, 3136}, {24, 144, 3136}, {144, 32, 784}, {32, 192, 784},
            {192, 64, 196}, {64, 384, 196}, {384, 96, 196}, {96, 576, 196}, {576, 160, 49}, {160, 960, 49}, {960, 320, 49}, {320, 1280, 49}};
        try (ThreadPool pool = new ThreadPool(1)) {
            System.out.printf("load %.1f; 1x1 conv as GEMM, one thread, GMAC/s (CPU time)%n%-22s %10s %10s %8s%n",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), "K -> M @ P", "pair GEMM", "fp32", "ratio");
            for (int[] s : shapes) {
                int k = s[0], m = s[1], p = s[2];
                SplittableRandom r = new SplittableRandom(k * 31L + m);
                short[] w = new short[m * k], x = new short[k * p];
                float[] wf = new float[m * k], xf = new float[k * p], yf = new float[m * p];
                for (int i = 0; i < w.length; i++) wf[i] = w[i] = (short) r.nextInt(-127, 128);
                for (int i = 0; i < x.length; i++) xf[i] = x[i] = (short) r.nextInt(-128, 128);
                PairGemm pg = new PairGemm(w, x, m, k, p);
                int[] y = new int[m * p];
                // B (the activations) is packed per run, as in the engine's conv.
                Scratch scratch = new Scratch();
                KernelContext kc = new KernelContext(null, 13, new TensorType[0], new TensorType[0], null, pool, scratch);
                GemmJob job = new GemmJob(kc, m, p, k, wf, 0, k, 1, 1f, null, 0, p, 1, p);
                scratch.seal();
                job.b = xf;
                job.c = yf;
                long macs = (long) m * k * p;
                int reps = (int) Math.max(3, 2e8 / macs);
                double pair = gmacs(macs, reps, () -> pg.run(y));
                double fp = gmacs(macs, reps, () -> { job.run(); return (long) yf[0]; });
                // Both compute the same exact integers (|sums| < 2^24).
                for (int i = 0; i < y.length; i += 97) {
                    if (y[i] != (int) yf[i]) throw new AssertionError("pair GEMM and fp32 GEMM differ at " + i + ": " + y[i] + " vs " + yf[i]);
                }
                System.out.printf("%-22s %10.1f %10.1f %8.2f%n", k + " -> " + m + " @ " + p, pair, fp, pair / fp);
            }
        }
    }
}
