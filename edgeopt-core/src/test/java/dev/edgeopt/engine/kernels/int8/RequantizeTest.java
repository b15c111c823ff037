package dev.edgeopt.engine.kernels.int8;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Requantize against exact BigInteger/BigDecimal restatements of its specification. */
class RequantizeTest {
    private static final int[] EDGES = {Integer.MIN_VALUE, Integer.MIN_VALUE + 1, -(1 << 30) - 1, -(1 << 30), -(1 << 30) + 1,
        -65536, -3, -2, -1, 0, 1, 2, 3, 65535, (1 << 30) - 1, 1 << 30, (1 << 30) + 1, Integer.MAX_VALUE - 1, Integer.MAX_VALUE};

    /** x * M / 2^(31 - shift) rounded half toward +infinity (floor(v + 1/2)), saturated to int32. */
    static int mulRef(int x, int multiplier, int shift) {
        BigDecimal v = new BigDecimal(BigInteger.valueOf(x).multiply(BigInteger.valueOf(multiplier)))
                .divide(new BigDecimal(BigInteger.ONE.shiftLeft(31 - shift)));
        BigInteger r = v.add(new BigDecimal("0.5")).setScale(0, RoundingMode.FLOOR).toBigIntegerExact();
        return r.max(BigInteger.valueOf(Integer.MIN_VALUE)).min(BigInteger.valueOf(Integer.MAX_VALUE)).intValueExact();
    }

    @Test
    void scalingRoundsOnceLikeExactArithmetic() {
        int[] multipliers = {0, 1, 1 << 30, (1 << 30) + 1, 1518500250, Integer.MAX_VALUE - 1, Integer.MAX_VALUE};
        for (int shift = -31; shift <= 30; shift++) {
            for (int m : multipliers) for (int x : EDGES) assertEquals(mulRef(x, m, shift), Requantize.multiplyByQuantizedMultiplier(x, m, shift), x + " * " + m + " @ " + shift);
        }
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 200_000; i++) {
            int x = i % 3 == 0 ? r.nextInt(-100_000, 100_000) : r.nextInt(), m = r.nextInt(1 << 30, Integer.MAX_VALUE), shift = r.nextInt(-31, 31);
            assertEquals(mulRef(x, m, shift), Requantize.multiplyByQuantizedMultiplier(x, m, shift), x + " * " + m + " @ " + shift);
        }
        // Ties go toward +infinity: 3 * 0.5 = 1.5 -> 2, -3 * 0.5 = -1.5 -> -1.
        assertEquals(2, Requantize.multiplyByQuantizedMultiplier(3, 1 << 30, 0));
        assertEquals(-1, Requantize.multiplyByQuantizedMultiplier(-3, 1 << 30, 0));
        // One rounding, not two: 5 * 0.25 = 1.25 -> 1, where TFLite's default double rounding gives
        // round(round(5 / 2) / 2) = round(3 / 2) = 2.
        assertEquals(1, Requantize.multiplyByQuantizedMultiplier(5, 1 << 30, -1));
        assertThrows(IllegalArgumentException.class, () -> Requantize.multiplyByQuantizedMultiplier(1, 1 << 30, 31));
        assertThrows(IllegalArgumentException.class, () -> Requantize.multiplyByQuantizedMultiplier(1, 1 << 30, -32));
    }

    @Test
    void multiplierIsNormalizedAndAccurate() {
        assertEquals(new Requantize.Multiplier(1 << 30, 0), Requantize.quantizeMultiplier(0.5));
        assertEquals(new Requantize.Multiplier(1 << 30, 1), Requantize.quantizeMultiplier(1.0));
        assertEquals(new Requantize.Multiplier(1 << 30, -1), Requantize.quantizeMultiplier(0.25));
        assertEquals(new Requantize.Multiplier(0, 0), Requantize.quantizeMultiplier(0));
        assertEquals(new Requantize.Multiplier(0, 0), Requantize.quantizeMultiplier(1e-12));
        assertEquals(new Requantize.Multiplier(Integer.MAX_VALUE, 30), Requantize.quantizeMultiplier(1e12));
        // Rounds up to 2^31: renormalized to 2^30 with the next shift.
        assertEquals(new Requantize.Multiplier(1 << 30, 0), Requantize.quantizeMultiplier(Math.nextDown(1.0) / 2 + 1e-17));
        assertThrows(IllegalArgumentException.class, () -> Requantize.quantizeMultiplier(-1));
        assertThrows(IllegalArgumentException.class, () -> Requantize.quantizeMultiplier(Double.NaN));
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 100_000; i++) {
            double m = Math.pow(2, r.nextDouble(-30, 0)) * r.nextDouble(0.5, 1);
            Requantize.Multiplier q = Requantize.quantizeMultiplier(m);
            assertTrue(q.multiplier() >= (1 << 30), "normalized");
            assertTrue(Math.abs(q.real() - m) <= m * 0x1p-31, m + " -> " + q);
        }
    }

    @Test
    void requantizeIsWithinOneOfTheRealProductAndClamps() {
        SplittableRandom r = new SplittableRandom(13);
        for (int i = 0; i < 100_000; i++) {
            double m = Math.pow(2, r.nextDouble(-20, 0));
            Requantize.Multiplier q = Requantize.quantizeMultiplier(m);
            int acc = r.nextInt(-(1 << 24), 1 << 24);
            int got = Requantize.multiplyByQuantizedMultiplier(acc, q.multiplier(), q.shift());
            int want = mulRef(acc, q.multiplier(), q.shift());
            assertEquals(want, got);
            assertTrue(Math.abs(got - acc * m) <= 0.5 + Math.abs(acc * m) * 0x1p-30, acc + " * " + m + " -> " + got);
        }
        Requantize.Multiplier half = Requantize.quantizeMultiplier(0.5);
        assertEquals(127, Requantize.requantize(1000, half.multiplier(), half.shift(), 0, -128, 127));
        assertEquals(-128, Requantize.requantize(-1000, half.multiplier(), half.shift(), 0, -128, 127));
        // A fused Relu clamps at the zero point.
        assertEquals(-5, Requantize.requantize(-40, half.multiplier(), half.shift(), -5, -5, 127));
        assertEquals(13, Requantize.requantize(37, half.multiplier(), half.shift(), -6, -128, 127)); // 18.5 -> 19 (toward +infinity), + -6
        assertEquals(-24, Requantize.requantize(-37, half.multiplier(), half.shift(), -6, -128, 127)); // -18.5 -> -18, + -6
        byte[] out = new byte[3];
        Requantize.requantize(new int[] {9, 100, 600}, 0, out, 0, 3, half.multiplier(), half.shift(), 0, 0, 255);
        assertEquals(5, out[0]);
        assertEquals(50, out[1]);
        assertEquals(255, out[2] & 0xFF);
    }

    static String hex(byte[] a, int off, int n) { return java.util.HexFormat.of().formatHex(a, off, off + n); }

    /** The vectorized forms give the scalar form's bytes on edge and random accumulators and multipliers. */
    @Test
    void vectorFormsEqualScalarForm() {
        SplittableRandom r = new SplittableRandom(11);
        int n = 203; // not a multiple of the lane count: the scalar tail runs too
        int[] acc = new int[n + 5];
        byte[] want = new byte[n + 5], got = new byte[n + 5], got2 = new byte[n + 5];
        int[] mult = new int[n + 5], shift = new int[n + 5];
        double[] reals = {0, 1e-12, 1e-9, 3e-6, 0.000123, 0.0039, 0.25, 0.5, 0.75, 0.999999, 1, 1.5, 3.7, 1000, 1e9};
        for (int round = 0; round < 400; round++) {
            for (int i = 0; i < acc.length; i++) {
                acc[i] = switch (r.nextInt(4)) {
                    case 0 -> EDGES[r.nextInt(EDGES.length)];
                    case 1 -> r.nextInt(-70000, 70000);
                    case 2 -> r.nextInt(-(1 << 20), 1 << 20);
                    default -> r.nextInt();
                };
                double m = round % 3 == 0 ? reals[r.nextInt(reals.length)] : Math.exp(r.nextDouble(-25, 3));
                Requantize.Multiplier q = Requantize.quantizeMultiplier(m);
                mult[i] = q.multiplier();
                shift[i] = q.shift();
            }
            int zp = r.nextInt(-128, 256), lo = r.nextBoolean() ? -128 : 0, hi = lo == 0 ? 255 : 127;
            if (round % 5 == 0) lo = Math.min(hi, zp); // a fused Relu's range
            int off = r.nextInt(3), p = r.nextInt(n);
            for (int i = 0; i < n; i++) want[off + i] = (byte) Requantize.requantize(acc[off + i], mult[p], shift[p], zp, lo, hi);
            Requantize.requantizeVector(acc, off, got, off, n, mult[p], shift[p], zp, lo, hi);
            assertEquals(hex(want, off, n), hex(got, off, n), "per-run multiplier " + mult[p] + " shift " + shift[p]);
            for (int i = 0; i < n; i++) want[off + i] = (byte) Requantize.requantize(acc[off + i], mult[off + i], shift[off + i], zp, lo, hi);
            Requantize.requantizeVector(acc, off, got2, off, n, mult, shift, off, zp, lo, hi);
            assertEquals(hex(want, off, n), hex(got2, off, n), "per-element multipliers");
        }
    }

    /** Step 1 restated exactly for num/den: frexp by comparison, M = round(f 2^31) half up. */
    static long ratioRef(int num, int den) {
        if (num == 0) return 0;
        BigDecimal m = new BigDecimal(num).divide(new BigDecimal(den), 80, RoundingMode.HALF_EVEN);
        int shift = 0;
        while (m.compareTo(BigDecimal.ONE.scaleByPowerOfTen(0).multiply(new BigDecimal(BigInteger.ONE.shiftLeft(Math.max(shift, 0))))
                .divide(new BigDecimal(BigInteger.ONE.shiftLeft(Math.max(-shift, 0))))) >= 0) shift++;
        while (m.compareTo(new BigDecimal(BigInteger.ONE.shiftLeft(Math.max(shift - 1, 0))).divide(new BigDecimal(BigInteger.ONE.shiftLeft(Math.max(1 - shift, 0))))) < 0) shift--;
        // m in [2^(shift-1), 2^shift): M = round(num 2^(31 - shift) / den), exactly in integers.
        BigInteger n = BigInteger.valueOf(num), d = BigInteger.valueOf(den);
        int e = 31 - shift;
        if (e >= 0) n = n.shiftLeft(e);
        else d = d.shiftLeft(-e);
        BigInteger q = n.shiftLeft(1).add(d).divide(d.shiftLeft(1));
        if (q.equals(BigInteger.ONE.shiftLeft(31))) {
            q = q.shiftRight(1);
            shift++;
        }
        if (shift < -31) return 0;
        if (shift > 30) return (long) Integer.MAX_VALUE << 32 | 30;
        return q.longValueExact() << 32 | (shift & 0xFFFFFFFFL);
    }

    @Test
    void ratioMultiplierIsExactStepOne() {
        SplittableRandom r = new SplittableRandom(11);
        int[] edges = {1, 2, 3, 255, 256, 257, 65535, 65536, (1 << 30) - 1, 1 << 30, (1 << 30) + 1, Integer.MAX_VALUE};
        for (int a : edges) for (int b : edges) assertEquals(ratioRef(a, b), Requantize.quantizeRatioPacked(a, b), a + "/" + b);
        for (int i = 0; i < 20_000; i++) {
            int a = i % 2 == 0 ? r.nextInt(1, 65537) : r.nextInt(1, Integer.MAX_VALUE), b = r.nextInt(1, Integer.MAX_VALUE);
            long want = ratioRef(a, b);
            assertEquals(want, Requantize.quantizeRatioPacked(a, b), a + "/" + b);
            // The same pair as the double path, except where the double quotient itself rounded.
            Requantize.Multiplier viaDouble = Requantize.quantizeMultiplier((double) a / b), exact = Requantize.quantizeRatio(a, b);
            assertTrue(viaDouble.shift() == exact.shift() && Math.abs(viaDouble.multiplier() - exact.multiplier()) <= 1
                    || viaDouble.real() == exact.real(), a + "/" + b);
        }
        assertEquals(new Requantize.Multiplier(1 << 30, 1), Requantize.quantizeRatio(1, 1));
        assertEquals(new Requantize.Multiplier(1 << 30, -7), Requantize.quantizeRatio(1, 256));
        assertEquals(0, Requantize.quantizeRatioPacked(0, 7));
        assertThrows(IllegalArgumentException.class, () -> Requantize.quantizeRatioPacked(1, 0));
    }
    /** SmallOperand is multiplyByQuantizedMultiplier(d << 20, M, shift) for every |d| <= 255, wherever of() accepts. */
    @Test
    void smallOperandIsExactOverItsDomain() {
        SplittableRandom r = new SplittableRandom(21);
        int accepted = 0;
        for (int c = 0; c < 3000; c++) {
            int shift = r.nextInt(-31, 31), m = c % 10 == 0 ? (c % 20 == 0 ? 1 << 30 : Integer.MAX_VALUE) : r.nextInt(1 << 30, Integer.MAX_VALUE);
            int left = c % 3 == 0 ? r.nextInt(0, 23) : 20;
            Requantize.SmallOperand f = Requantize.SmallOperand.of(new Requantize.Multiplier(m, shift), left);
            if (f == null) continue;
            accepted++;
            for (int d = -255; d <= 255; d++) {
                assertEquals(Requantize.multiplyByQuantizedMultiplier(d << left, m, shift), f.apply(d), d + " << " + left + " * " + m + " @ " + shift);
            }
        }
        // Every Add input multiplier (real in (0, 0.5], so shift <= 0) with the left shift of 20 is accepted.
        for (int shift = -20; shift <= 0; shift++) {
            assertTrue(Requantize.SmallOperand.of(new Requantize.Multiplier(Integer.MAX_VALUE, shift), 20) != null, "shift " + shift);
        }
        assertTrue(accepted > 1000, accepted + " accepted");
    }

    /** WideOperand is multiplyByQuantizedMultiplier(s, M, shift) for |s| < 2^28 and t = 31 - shift in [31, 60]. */
    @Test
    void wideOperandIsExactOverItsDomain() {
        SplittableRandom r = new SplittableRandom(22);
        int[] sEdges = {-(1 << 28) + 1, -(1 << 28) + 2, -(1 << 14) - 1, -(1 << 14), -16385, -1, 0, 1, 16383, 16384, 16385, (1 << 28) - 2, (1 << 28) - 1};
        for (int shift = -29; shift <= 0; shift++) {
            for (int k = 0; k < 40; k++) {
                int m = k == 0 ? 0 : k == 1 ? 1 << 30 : k == 2 ? Integer.MAX_VALUE : r.nextInt(1 << 30, Integer.MAX_VALUE);
                Requantize.WideOperand f = Requantize.WideOperand.of(new Requantize.Multiplier(m, shift));
                assertTrue(f != null);
                for (int s : sEdges) assertEquals(Requantize.multiplyByQuantizedMultiplier(s, m, shift), f.apply(s), s + " * " + m + " @ " + shift);
                for (int i = 0; i < 5000; i++) {
                    int s = r.nextInt(-(1 << 28) + 1, 1 << 28);
                    assertEquals(Requantize.multiplyByQuantizedMultiplier(s, m, shift), f.apply(s), s + " * " + m + " @ " + shift);
                }
                // Operands right at a rounding tie and one either side: s * M = (j + 1/2) 2^t.
                int t = 31 - shift;
                for (int j = -40; j <= 40 && m != 0; j++) {
                    java.math.BigInteger tie = java.math.BigInteger.valueOf(2L * j + 1).shiftLeft(t - 1);
                    java.math.BigInteger[] qr = tie.divideAndRemainder(java.math.BigInteger.valueOf(m));
                    long s0 = qr[0].longValueExact();
                    for (long s = s0 - 1; s <= s0 + 1; s++) {
                        if (Math.abs(s) >= 1 << 28) continue;
                        assertEquals(Requantize.multiplyByQuantizedMultiplier((int) s, m, shift), f.apply((int) s), s + " * " + m + " @ " + shift);
                    }
                }
            }
        }
        assertTrue(Requantize.WideOperand.of(new Requantize.Multiplier(1 << 30, 1)) == null);
        assertTrue(Requantize.WideOperand.of(new Requantize.Multiplier(1 << 30, -30)) == null);
    }
}
