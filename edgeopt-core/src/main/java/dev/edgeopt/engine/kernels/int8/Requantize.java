package dev.edgeopt.engine.kernels.int8;

/**
 * Requantization: the one implementation in edgeopt of turning an int32 accumulator into an
 * int8/uint8 output. It is TFLite's reference arithmetic in its single-rounding form (the
 * {@code TFLITE_SINGLE_ROUNDING} build of TFLite's {@code MultiplyByQuantizedMultiplier}, the same
 * as CMSIS-NN's {@code CMSIS_NN_USE_SINGLE_ROUNDING}), so the Java int8 kernels, the generated C
 * and a TFLite Micro built that way agree bit for bit. Single rather than TFLite's default double
 * rounding (SRDHM, then a rounding shift) because double rounding is off by one step on
 * near-ties, which flipped 0.2-0.3% of argmaxes against ONNX Runtime on the reference models;
 * one rounding of the exact 64-bit product agrees with ORT's float requantization except on exact
 * ties.
 *
 * <p>Exactly:
 * <ol>
 *   <li><b>Multiplier.</b> A real multiplier {@code m = s_in * s_w / s_out >= 0} (a double) becomes
 *       a pair {@code (M, shift)} with {@code m ~= M * 2^(shift - 31)}: {@code m = f * 2^shift} with
 *       {@code f} in [0.5, 1) ({@link Math#getExponent}-based frexp), {@code M = round(f * 2^31)}
 *       (ties away from zero, as C's {@code std::round}); when {@code M == 2^31} it becomes
 *       {@code 2^30} and {@code shift + 1}. {@code m == 0} gives (0, 0); {@code shift < -31} gives
 *       (0, 0) (the product underflows to 0 anyway); {@code shift > 30} saturates to
 *       {@code (2^31 - 1, 30)}. So {@code shift} is in [-31, 30].</li>
 *   <li><b>Scaling.</b> With {@code t = 31 - shift} (in [1, 62]):
 *       {@code y = (x * M + 2^(t-1)) >> t}, the product exact in 64 bits and {@code >>} arithmetic,
 *       i.e. {@code x * M / 2^t} rounded to nearest with ties toward +infinity, saturated to int32.
 *       </li>
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

    /**
     * Step 1 for the rational multiplier {@code m = num / den}, computed exactly in integers (no
     * float division), for kernels that need a new multiplier at run time (QLinearSoftmax, once per
     * row). The result is step 1's pair for the exact quotient: {@code f = num / (den 2^shift)} in
     * [0.5, 1), {@code M = round(f 2^31)} ties away from zero, with the same {@code 2^31},
     * underflow and saturation rules. Packed as {@code M << 32 | (shift & 0xFFFFFFFF)} so a run-time
     * caller allocates nothing; {@link #quantizeRatio} unpacks it.
     *
     * @param num in [0, 2^31)
     * @param den in [1, 2^31)
     */
    public static long quantizeRatioPacked(int num, int den) {
        if (num < 0 || den < 1) throw new IllegalArgumentException("ratio needs num >= 0 and den >= 1, got " + num + "/" + den);
        if (num == 0) return 0;
        // Normalize so that b <= a < 2b, then m = (a / b) * 2^(-p) and f = a / 2b.
        long a = num, b = den;
        int p = Long.numberOfLeadingZeros(a) - Long.numberOfLeadingZeros(b);
        if (p >= 0) a <<= p;
        else b <<= -p;
        if (a < b) {
            a <<= 1;
            p++;
        }
        int shift = 1 - p;
        // a, b < 2^32 and a < 2b, so a * 2^31 + b < 2^63.
        long q = ((a << 31) + b) / (b << 1);
        if (q == (1L << 31)) {
            q >>= 1;
            shift++;
        }
        if (shift < -31) return 0;
        if (shift > 30) return (long) Integer.MAX_VALUE << 32 | 30;
        return q << 32 | (shift & 0xFFFFFFFFL);
    }

    /** {@link #quantizeRatioPacked} as a {@link Multiplier}. */
    public static Multiplier quantizeRatio(int num, int den) {
        long r = quantizeRatioPacked(num, den);
        return new Multiplier((int) (r >>> 32), (int) r);
    }

    private static void checkShift(int shift) {
        if (shift < -31 || shift > 30) throw new IllegalArgumentException("shift must be in [-31, 30], got " + shift);
    }

    /** Step 2 of the class comment: {@code x * real(M, shift)}, rounded once as specified. */
    public static int multiplyByQuantizedMultiplier(int x, int multiplier, int shift) {
        checkShift(shift);
        int t = 31 - shift;
        long y = ((long) x * multiplier + (1L << (t - 1))) >> t;
        return y < Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) Math.min(y, Integer.MAX_VALUE);
    }

    /** Steps 2 and 3: an int32 accumulator to an output integer in [lo, hi]. */
    public static int requantize(int acc, int multiplier, int shift, int zeroPoint, int lo, int hi) {
        int y = multiplyByQuantizedMultiplier(acc, multiplier, shift);
        long z = (long) y + zeroPoint;
        return z < lo ? lo : (int) Math.min(z, hi);
    }

    /** Requantizes a run of accumulators into bytes (int8 or uint8 bit patterns). */
    public static void requantize(int[] acc, int accOff, byte[] dst, int dstOff, int n, int multiplier, int shift, int zeroPoint, int lo, int hi) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = (byte) requantize(acc[accOff + i], multiplier, shift, zeroPoint, lo, hi);
    }

    // ------------------------------------------------------------------ rows, same arithmetic

    /*
     * The row forms below are plain loops written so that C2 vectorizes them (64-bit lanes: the
     * exact product, the same rounding constant and arithmetic shift, the clamp before narrowing),
     * so the bytes are the scalar form's (RequantizeTest, the fast kernels against the reference
     * loops). They were Vector API code before; in whole models C2 sometimes did not inline a
     * helper taking vectors, or materialized the broadcast vectors, and each row then allocated
     * (Int8EngineAllocationTest). Auto-vectorized loops cannot box anything, and measured as fast
     * (0.25 ns per element against 0.29 for the Vector API form, one thread).
     *
     * Clamping p + zeroPoint to [lo, hi] in 64 bits equals step 3 after step 2's saturation to
     * int32, because [lo, hi] lies within int32.
     */

    /** {@link #requantize(int[], int, byte[], int, int, int, int, int, int, int)}, vectorized by C2. */
    public static void requantizeVector(int[] acc, int accOff, byte[] dst, int dstOff, int n, int multiplier, int shift, int zeroPoint, int lo, int hi) {
        checkShift(shift);
        int t = 31 - shift;
        long round = 1L << (t - 1);
        for (int i = 0; i < n; i++) {
            long p = ((long) acc[accOff + i] * multiplier + round) >> t;
            dst[dstOff + i] = (byte) Math.min(Math.max(p + zeroPoint, lo), hi);
        }
    }

    /**
     * Requantizes accumulators held as exact integers in float32 (the fast kernels' GEMM output):
     * element i's accumulator is {@code bias + sum over chunks h of (int) src[so + h * chunkStride + i]},
     * added in int32 (wrapping, as the scalar form).
     */
    static void requantizeSums(float[] src, int so, int chunks, int chunkStride, int bias, byte[] dst, int d, int n,
                               int multiplier, int shift, int zeroPoint, int lo, int hi) {
        checkShift(shift);
        int t = 31 - shift;
        long round = 1L << (t - 1);
        if (chunks == 1) { // the usual case, a loop C2 vectorizes
            for (int i = 0; i < n; i++) {
                long p = ((long) ((int) src[so + i] + bias) * multiplier + round) >> t;
                dst[d + i] = (byte) Math.min(Math.max(p + zeroPoint, lo), hi);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            int acc = bias;
            for (int h = 0; h < chunks; h++) acc += (int) src[so + h * chunkStride + i];
            long p = ((long) acc * multiplier + round) >> t;
            dst[d + i] = (byte) Math.min(Math.max(p + zeroPoint, lo), hi);
        }
    }

    /**
     * As {@link #requantizeVector(int[], int, byte[], int, int, int, int, int, int, int)} with a
     * multiplier and shift per element: element i uses {@code multiplier[pOff + i]} and
     * {@code shift[pOff + i]} (per-column parameters of a matrix row).
     */
    public static void requantizeVector(int[] acc, int accOff, byte[] dst, int dstOff, int n, int[] multiplier, int[] shift, int pOff,
                                        int zeroPoint, int lo, int hi) {
        for (int i = 0; i < n; i++) checkShift(shift[pOff + i]);
        for (int i = 0; i < n; i++) {
            int t = 31 - shift[pOff + i];
            long p = ((long) acc[accOff + i] * multiplier[pOff + i] + (1L << (t - 1))) >> t;
            dst[dstOff + i] = (byte) Math.min(Math.max(p + zeroPoint, lo), hi);
        }
    }
}
