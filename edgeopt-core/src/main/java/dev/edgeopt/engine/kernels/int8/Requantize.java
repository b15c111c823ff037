package dev.edgeopt.engine.kernels.int8;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

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

    // ------------------------------------------------------------------ int32-only forms

    /*
     * The same steps 2 and 3 rewritten with int32 operations only, for operands of bounded size, so
     * that they run in int lanes (AVX2/AVX-512 have no exact 64-bit lane product C2 uses here; a
     * byte-to-long widening loop did not vectorize). Both rest on floor(floor(u / 2^p) / 2^q) =
     * floor(u / 2^(p+q)) for integers u, and on splitting the multiplier (and, for wide operands,
     * the operand) into high and low parts whose partial products fit in 31 bits. They are exact,
     * not approximations: RequantizeTest compares them with the 64-bit forms over their whole domain.
     */

    /**
     * {@code multiplyByQuantizedMultiplier(d << leftShift, M, shift)} for {@code |d| <= 255} (an 8-bit
     * value minus a zero point) as {@code (d * high + round + ((d * low) >> lowBits)) >> shift}:
     * with {@code k = 31 - shift - leftShift} and {@code p = min(16, k - 1)}, {@code high = M >> p},
     * {@code low = M mod 2^p}, {@code round = 2^(k-1-p)}: the product {@code d * M + 2^(k-1)} is
     * {@code (d * high + round) 2^p + d * low}, and floor division by {@code 2^k} is floor
     * division by {@code 2^p}, then by {@code 2^(k-p)}.
     */
    public record SmallOperand(int high, int low, int lowBits, int round, int shift) {
        /** The split form of (M, shift) after a left shift, or null when k is outside [2, 46] or the terms overflow. */
        public static SmallOperand of(Multiplier m, int leftShift) {
            int k = 31 - m.shift() - leftShift;
            if (k < 2 || k > 46 || leftShift < 0 || leftShift > 22) return null;
            int p = Math.min(16, k - 1);
            int high = m.multiplier() >> p, low = m.multiplier() & ((1 << p) - 1);
            if (k - 1 - p > 29 || k - p > 31 || (long) 255 * high + (1L << (k - 1 - p)) + 255 >= 1L << 31) return null;
            return new SmallOperand(high, low, p, 1 << (k - 1 - p), k - p);
        }

        public int apply(int d) { return (d * high + round + ((d * low) >> lowBits)) >> shift; }
    }

    /**
     * {@code multiplyByQuantizedMultiplier(s, M, shift)} for {@code |s| < 2^28} (a sum of two
     * rescaled 8-bit operands, or a product of two) when {@code t = 31 - shift} is in [31, 60]:
     * with {@code s = sh 2^14 + sl} ({@code 0 <= sl < 2^14}) and {@code M = mh 2^16 + ml},
     * {@code s M = sh mh 2^30 + (sh ml 2^14 + sl mh 2^16 + sl ml)}. The low group divided by
     * {@code 2^16} is {@code v = sl mh + ((sh ml + ((sl ml) >> 14)) >> 2)}, so the result is
     * {@code (sh mh + (v >> 14) + 2^(t-31)) >> (t - 30)}; every partial term is below 2^31.
     */
    public record WideOperand(int high, int low, int round, int shift) {
        /** The split form of (M, shift), or null when t is outside [31, 60]. */
        public static WideOperand of(Multiplier m) {
            int t = 31 - m.shift();
            if (t < 31 || t > 60) return null;
            return new WideOperand(m.multiplier() >>> 16, m.multiplier() & 0xFFFF, 1 << (t - 31), t - 30);
        }

        public int apply(int s) {
            int sh = s >> 14, sl = s & 0x3FFF;
            int v = sl * high + ((sh * low + ((sl * low) >> 14)) >> 2);
            return (sh * high + (v >> 14) + round) >> shift;
        }
    }

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(I.vectorBitSize() / 4));
    /** Below this many elements the rows run the scalar forms (a vector method called on small inputs stays in C1, where vectors are boxed). */
    static final int VECTOR_MIN = 2048;

    /**
     * TFLite's int8 Add over two rows of 8-bit values (int8, or uint8 when {@code unsigned}):
     * {@code y = clamp(out(xa(a - za) + xb(b - zb)) + zc, lo, hi)}, where {@code xa}, {@code xb}
     * and {@code out} are the int32 forms of the three multipliers. Large rows run in int vector
     * lanes (C2 leaves a byte-to-int widening loop scalar).
     */
    public static void addRow(byte[] a, int ao, byte[] b, int bo, byte[] y, int yo, int n, boolean unsigned, int za, SmallOperand xa,
                              int zb, SmallOperand xb, WideOperand out, int zc, int lo, int hi) {
        int i = n >= VECTOR_MIN ? binaryVector(false, a, ao, b, bo, y, yo, n, unsigned, za, xa, zb, xb, out, zc, lo, hi) : 0;
        int mask = unsigned ? 0xFF : -1;
        for (; i < n; i++) {
            int s = xa.apply((a[ao + i] & mask) - za) + xb.apply((b[bo + i] & mask) - zb);
            y[yo + i] = (byte) Math.min(Math.max(out.apply(s) + zc, lo), hi);
        }
    }

    /** TFLite's int8 Mul over two rows: {@code y = clamp(out((a - za)(b - zb)) + zc, lo, hi)}. */
    public static void mulRow(byte[] a, int ao, byte[] b, int bo, byte[] y, int yo, int n, boolean unsigned, int za, int zb,
                              WideOperand out, int zc, int lo, int hi) {
        int i = n >= VECTOR_MIN ? binaryVector(true, a, ao, b, bo, y, yo, n, unsigned, za, null, zb, null, out, zc, lo, hi) : 0;
        int mask = unsigned ? 0xFF : -1;
        for (; i < n; i++) {
            int s = ((a[ao + i] & mask) - za) * ((b[bo + i] & mask) - zb);
            y[yo + i] = (byte) Math.min(Math.max(out.apply(s) + zc, lo), hi);
        }
    }

    /** The whole vectors of {@link #addRow} or {@link #mulRow}, in one body (no helper taking vectors); returns how many elements it did. */
    private static int binaryVector(boolean mul, byte[] a, int ao, byte[] b, int bo, byte[] y, int yo, int n, boolean unsigned, int za,
                                    SmallOperand xa, int zb, SmallOperand xb, WideOperand out, int zc, int lo, int hi) {
        int mask = unsigned ? 0xFF : -1;
        int ah = mul ? 0 : xa.high(), al = mul ? 0 : xa.low(), alb = mul ? 0 : xa.lowBits(), ar = mul ? 0 : xa.round(), as = mul ? 0 : xa.shift();
        int bh = mul ? 0 : xb.high(), bl = mul ? 0 : xb.low(), blb = mul ? 0 : xb.lowBits(), br = mul ? 0 : xb.round(), bs = mul ? 0 : xb.shift();
        int oh = out.high(), ol = out.low(), or = out.round(), os = out.shift();
        int step = I.length(), i = 0;
        for (; i + step <= n; i += step) {
            IntVector va = ((IntVector) ByteVector.fromArray(B, a, ao + i).convertShape(VectorOperators.B2I, I, 0)).and(mask).sub(za);
            IntVector vb = ((IntVector) ByteVector.fromArray(B, b, bo + i).convertShape(VectorOperators.B2I, I, 0)).and(mask).sub(zb);
            IntVector s;
            if (mul) {
                s = va.mul(vb);
            } else {
                IntVector x = va.mul(ah).add(ar).add(va.mul(al).lanewise(VectorOperators.ASHR, alb)).lanewise(VectorOperators.ASHR, as);
                IntVector z = vb.mul(bh).add(br).add(vb.mul(bl).lanewise(VectorOperators.ASHR, blb)).lanewise(VectorOperators.ASHR, bs);
                s = x.add(z);
            }
            IntVector sh = s.lanewise(VectorOperators.ASHR, 14), sl = s.and(0x3FFF);
            IntVector v = sl.mul(oh).add(sh.mul(ol).add(sl.mul(ol).lanewise(VectorOperators.ASHR, 14)).lanewise(VectorOperators.ASHR, 2));
            IntVector q = sh.mul(oh).add(v.lanewise(VectorOperators.ASHR, 14)).add(or).lanewise(VectorOperators.ASHR, os).add(zc).max(lo).min(hi);
            ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoArray(y, yo + i);
        }
        return i;
    }
}
