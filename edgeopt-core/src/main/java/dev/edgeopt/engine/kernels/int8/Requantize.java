package dev.edgeopt.engine.kernels.int8;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Requantization: the one implementation in edgeopt of turning an int32 accumulator into an
 * int8/uint8 output. It is TFLite's (and gemmlowp's) reference arithmetic, so the Java int8 kernels,
 * the generated C and TFLite Micro agree bit for bit.
 *
 * <p>Exactly:
 * <ol>
 *   <li><b>Multiplier.</b> A real multiplier {@code m = s_in * s_w / s_out >= 0} (a double) becomes
 *       a pair {@code (M, shift)} with {@code m ~= M * 2^(shift - 31)}: {@code m = f * 2^shift} with
 *       {@code f} in [0.5, 1) ({@link Math#getExponent}-based frexp), {@code M = round(f * 2^31)}
 *       (ties away from zero, as C's {@code std::round}); when {@code M == 2^31} it becomes
 *       {@code 2^30} and {@code shift + 1}. {@code m == 0} gives (0, 0); {@code shift < -31} gives
 *       (0, 0) (the product underflows to 0 anyway); {@code shift > 30} saturates to
 *       {@code (2^31 - 1, 30)}.</li>
 *   <li><b>Scaling.</b> {@code y = RDBP(SRDHM(x * 2^max(shift, 0), M), max(-shift, 0))}, where
 *       <ul>
 *         <li>{@code x * 2^left} is an int32 product (it wraps like TFLite's; callers keep
 *             {@code m < 1}, the usual case, where {@code left == 0});</li>
 *         <li>{@code SRDHM(a, b)} (saturating rounding doubling high multiply) is
 *             {@code floor(a * b / 2^31 + 1/2)} computed in 64 bits, i.e. rounding to nearest with
 *             ties toward +infinity; the single overflow case {@code a == b == -2^31} gives
 *             {@code 2^31 - 1};</li>
 *         <li>{@code RDBP(x, e)} (rounding divide by power of two) is {@code x / 2^e} rounded to
 *             nearest with ties away from zero, for {@code e} in [0, 31].</li>
 *       </ul></li>
 *   <li><b>Output.</b> {@code q = clamp(y + zeroPoint, lo, hi)}, where [lo, hi] is the intersection
 *       of the output type's range and a fused activation's range (Relu: {@code [zeroPoint, hi]}).</li>
 * </ol>
 */
public final class Requantize {
    private Requantize() {}

    /** A quantized multiplier: {@code real ~= multiplier * 2^(shift - 31)}. */
    public record Multiplier(int multiplier, int shift) {
        public double real() { return multiplier * Math.pow(2, shift - 31); }
    }

    /** Step 1 of the class comment. */
    public static Multiplier quantizeMultiplier(double m) {
        if (!(m >= 0) || Double.isInfinite(m)) throw new IllegalArgumentException("multiplier must be finite and >= 0, got " + m);
        if (m == 0) return new Multiplier(0, 0);
        // frexp: m = f * 2^shift with f in [0.5, 1).
        int shift = Math.getExponent(m) + 1;
        double f = m / Math.pow(2, shift);
        if (f < 0.5) { // subnormal m: getExponent reports the minimum exponent
            while (f < 0.5) { f *= 2; shift--; }
        }
        long q = Math.round(f * (1L << 31)); // f > 0, so Math.round's ties-up equals ties away from zero
        if (q == (1L << 31)) {
            q /= 2;
            shift++;
        }
        if (shift < -31) return new Multiplier(0, 0);
        if (shift > 30) return new Multiplier(Integer.MAX_VALUE, 30);
        return new Multiplier((int) q, shift);
    }

    /** floor(a * b / 2^31 + 1/2) in 64 bits, saturating the one overflow case. */
    public static int saturatingRoundingDoublingHighMul(int a, int b) {
        if (a == b && a == Integer.MIN_VALUE) return Integer.MAX_VALUE;
        long ab = (long) a * b;
        long nudge = ab >= 0 ? (1L << 30) : 1 - (1L << 30);
        // Java's long division truncates toward zero, as C's does.
        return (int) ((ab + nudge) / (1L << 31));
    }

    /** x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31]. */
    public static int roundingDivideByPOT(int x, int exponent) {
        if (exponent < 0 || exponent > 31) throw new IllegalArgumentException("exponent must be in [0, 31], got " + exponent);
        int mask = (int) ((1L << exponent) - 1);
        int remainder = x & mask;
        int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> exponent) + (remainder > threshold ? 1 : 0);
    }

    /** Step 2 of the class comment: {@code x * real(M, shift)}, rounded as specified. */
    public static int multiplyByQuantizedMultiplier(int x, int multiplier, int shift) {
        int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
        return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x * (1 << left), multiplier), right);
    }

    /** Steps 2 and 3: an int32 accumulator to an output integer in [lo, hi]. */
    public static int requantize(int acc, int multiplier, int shift, int zeroPoint, int lo, int hi) {
        int y = multiplyByQuantizedMultiplier(acc, multiplier, shift) + zeroPoint;
        return y < lo ? lo : Math.min(y, hi);
    }

    /** Requantizes a run of accumulators into bytes (int8 or uint8 bit patterns). */
    public static void requantize(int[] acc, int accOff, byte[] dst, int dstOff, int n, int multiplier, int shift, int zeroPoint, int lo, int hi) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = (byte) requantize(acc[accOff + i], multiplier, shift, zeroPoint, lo, hi);
    }

    // ------------------------------------------------------------------ vectorized, same arithmetic

    private static final VectorSpecies<Integer> VI = IntVector.SPECIES_256;
    private static final VectorSpecies<Long> VL = LongVector.SPECIES_512;
    private static final VectorSpecies<Byte> VB = ByteVector.SPECIES_64;
    static final int LANES = VI.length();

    /**
     * {@link #requantize(int[], int, byte[], int, int, int, int, int, int, int)} with the Vector API:
     * the same steps lane by lane (64-bit products, the same nudge, truncating division, the same
     * rounding shift), so the bytes are identical; tested against the scalar form.
     */
    public static void requantizeVector(int[] acc, int accOff, byte[] dst, int dstOff, int n, int multiplier, int shift, int zeroPoint, int lo, int hi) {
        int i = 0;
        if (multiplier >= 0) { // always so from quantizeMultiplier; the one SRDHM overflow needs a negative one
            int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
            LongVector m = LongVector.broadcast(VL, multiplier);
            IntVector mask = IntVector.broadcast(VI, (int) ((1L << right) - 1));
            IntVector zp = IntVector.broadcast(VI, zeroPoint), vlo = IntVector.broadcast(VI, lo), vhi = IntVector.broadcast(VI, hi);
            for (; i + LANES <= n; i += LANES) {
                IntVector y = lanes(IntVector.fromArray(VI, acc, accOff + i), left, m, right, mask, zp, vlo, vhi);
                ((ByteVector) y.convertShape(VectorOperators.I2B, VB, 0)).intoArray(dst, dstOff + i);
            }
        }
        for (; i < n; i++) dst[dstOff + i] = (byte) requantize(acc[accOff + i], multiplier, shift, zeroPoint, lo, hi);
    }

    /**
     * Steps 2 and 3 on {@link #LANES} accumulators with one multiplier {@code m >= 0} (as a long
     * vector), {@code left}/{@code right} shifts from its shift and {@code mask = 2^right - 1}; for
     * kernels that have the accumulators in registers. The vector forms here are built on it.
     */
    static IntVector lanes(IntVector x, int left, LongVector m, int right, IntVector mask, IntVector zp, IntVector lo, IntVector hi) {
        if (left > 0) x = x.lanewise(VectorOperators.LSHL, left);
        return roundShift(highMul(x, m), right, mask).add(zp).max(lo).min(hi);
    }

    static final VectorSpecies<Integer> LANE_SPECIES = VI;
    static final VectorSpecies<Long> LONG_SPECIES = VL;
    static final VectorSpecies<Byte> BYTE_SPECIES = VB;

    /**
     * As {@link #requantizeVector(int[], int, byte[], int, int, int, int, int, int, int)} with a
     * multiplier and shift per element: element i uses {@code multiplier[pOff + i]} and
     * {@code shift[pOff + i]} (per-column parameters of a matrix row).
     */
    public static void requantizeVector(int[] acc, int accOff, byte[] dst, int dstOff, int n, int[] multiplier, int[] shift, int pOff,
                                        int zeroPoint, int lo, int hi) {
        int i = 0;
        IntVector zp = IntVector.broadcast(VI, zeroPoint), vlo = IntVector.broadcast(VI, lo), vhi = IntVector.broadcast(VI, hi);
        IntVector zero = IntVector.zero(VI), one = IntVector.broadcast(VI, 1);
        for (; i + LANES <= n; i += LANES) {
            IntVector mv = IntVector.fromArray(VI, multiplier, pOff + i);
            if (mv.compare(VectorOperators.LT, 0).anyTrue()) break; // never from quantizeMultiplier; the scalar tail handles it
            IntVector sv = IntVector.fromArray(VI, shift, pOff + i);
            IntVector left = sv.max(zero), right = sv.neg().max(zero);
            IntVector x = IntVector.fromArray(VI, acc, accOff + i).lanewise(VectorOperators.LSHL, left);
            LongVector m = (LongVector) mv.convertShape(VectorOperators.I2L, VL, 0);
            IntVector mask = one.lanewise(VectorOperators.LSHL, right).sub(one);
            IntVector y = roundShift(highMul(x, m), right, mask).add(zp).max(vlo).min(vhi);
            ((ByteVector) y.convertShape(VectorOperators.I2B, VB, 0)).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) dst[dstOff + i] = (byte) requantize(acc[accOff + i], multiplier[pOff + i], shift[pOff + i], zeroPoint, lo, hi);
    }

    /**
     * SRDHM lane by lane for multipliers >= 0. {@code floor(a*b / 2^31 + 1/2)} is
     * {@code (a*b + 2^30) >> 31} with an arithmetic shift, for either sign of a*b: the same value as
     * the scalar form's nudge-and-truncate, in three operations.
     */
    private static IntVector highMul(IntVector a, LongVector m) {
        LongVector ab = ((LongVector) a.convertShape(VectorOperators.I2L, VL, 0)).mul(m);
        return (IntVector) ab.add(1L << 30).lanewise(VectorOperators.ASHR, 31).convertShape(VectorOperators.L2I, VI, 0);
    }

    /**
     * RDBP with one exponent for all lanes ({@code mask = 2^e - 1}), without compares:
     * {@code threshold = (mask >> 1) - (x >> 31)} (x >> 31 is -1 for negative x) and
     * {@code rem > threshold} is the sign bit of {@code threshold - rem} (both in [0, 2^31)).
     */
    private static IntVector roundShift(IntVector x, int e, IntVector mask) {
        if (e == 0) return x;
        IntVector rem = x.and(mask);
        IntVector threshold = mask.lanewise(VectorOperators.ASHR, 1).sub(x.lanewise(VectorOperators.ASHR, 31));
        return x.lanewise(VectorOperators.ASHR, e).add(threshold.sub(rem).lanewise(VectorOperators.LSHR, 31));
    }

    /** RDBP with an exponent per lane, as above. */
    private static IntVector roundShift(IntVector x, IntVector e, IntVector mask) {
        IntVector rem = x.and(mask);
        IntVector threshold = mask.lanewise(VectorOperators.ASHR, 1).sub(x.lanewise(VectorOperators.ASHR, 31));
        return x.lanewise(VectorOperators.ASHR, e).add(threshold.sub(rem).lanewise(VectorOperators.LSHR, 31));
    }
}
