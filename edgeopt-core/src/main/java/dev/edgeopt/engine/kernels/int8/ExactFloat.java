package dev.edgeopt.engine.kernels.int8;

import static jdk.incubator.vector.VectorOperators.SUB;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * When int8 products may be summed in float32 without a rounding error.
 *
 * <p>float32 represents every integer of magnitude up to 2^24 exactly, and a fused multiply-add
 * rounds only its final result. So if every partial sum of {@code x_k * w_k} over a run of K terms
 * stays within 2^24 in magnitude, float32 FMAs compute the integer sum exactly, in any order, and
 * casting the result to int gives the int32 accumulator bit for bit. A bound on every partial sum
 * is {@code max|x| * sum_k |w_k|}; K is split into {@link #chunks} that keep it, and their sums
 * are added in int32.
 *
 * <p>This is how the fast int8 kernels run their multiply-accumulate on the fp32 GEMM and
 * depthwise kernels: on this JVM the 16-bit pair instructions (vpmaddwd / vpdpwssd) are only
 * emitted for an element-wise loop shape whose memory traffic keeps it below the register-blocked
 * fp32 FMA kernels (see {@code PairMacBench}), while the integer results must stay exact.
 */
final class ExactFloat {
    private ExactFloat() {}


    // The widest vectors for the input conversion (16 lanes with AVX-512: 30% faster than 8).
    private static final VectorSpecies<Float> FP = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IP = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BP = VectorSpecies.of(byte.class, jdk.incubator.vector.VectorShape.forBitSize(FP.vectorBitSize() / 4));

    private static final VectorSpecies<Float> FH = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> IH = IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> BH = ByteVector.SPECIES_64;

    static final int LIMIT = 1 << 24;

    /**
     * The fewest equal chunks of K (chunk h is {@code [k*h/chunks, k*(h+1)/chunks)}) such that, in
     * every channel, {@code maxX * sum |w|} over each chunk is at most 2^24. That bounds every
     * partial sum of the chunk's products whatever the order of summation, so each chunk's float
     * sum is exact. Bounding by the channel's own weights rather than {@code K * max|x| * max|w|}
     * keeps most layers in one chunk: per-channel weights use their full range in few taps (on
     * mobilenet_v2 the 576- and 960-deep layers needed two chunks by the coarse bound).
     * Weight (channel c, depth i) is {@code w[off + c * cs + i * ks]}.
     */
    static int chunks(float[] w, int off, int channels, int k, int cs, int ks, int maxX) {
        for (int chunks = 1; ; chunks++) {
            if (fits(w, off, channels, k, cs, ks, maxX, chunks)) return chunks;
        }
    }

    private static boolean fits(float[] w, int off, int channels, int k, int cs, int ks, int maxX, int chunks) {
        for (int c = 0; c < channels; c++) {
            for (int h = 0; h < chunks; h++) {
                long sum = 0;
                for (int i = (int) ((long) k * h / chunks), e = (int) ((long) k * (h + 1) / chunks); i < e; i++) {
                    sum += (long) Math.abs(w[off + c * cs + i * ks]) * maxX;
                }
                if (sum > LIMIT) return false; // one product is at most 255 * 255 < 2^24, so chunks = k always fits
            }
        }
        return true;
    }

    /** The largest {@code |x - zp|} of an int8/uint8 value. */
    static int maxDistance(boolean unsigned, int zp) {
        int lo = unsigned ? 0 : -128, hi = unsigned ? 255 : 127;
        return Math.max(Math.abs(zp - lo), Math.abs(hi - zp));
    }

    /**
     * {@code dst[i] = (int) src[i] + add} (or {@code +=} when {@code accumulate}) for exact integer
     * sums; plain loops, which C2 vectorizes and which cannot allocate (a Vector API form
     * sometimes boxed a vector per call in whole models).
     */
    static void toInt(float[] src, int so, int[] dst, int d, int n, int add, boolean accumulate) {
        if (accumulate) {
            for (int i = 0; i < n; i++) dst[d + i] += (int) src[so + i] + add;
        } else {
            for (int i = 0; i < n; i++) dst[d + i] = (int) src[so + i] + add;
        }
    }

    /** {@code dst[i] = x - zp} for int8 ({@code unsigned} false) or uint8 bytes; vectorized. */
    static void toFloat(byte[] src, int so, float[] dst, int d, int n, boolean unsigned, int zp) {
        int i = 0;
        IntVector z = IntVector.broadcast(IP, zp);
        for (; i + BP.length() <= n; i += BP.length()) {
            IntVector v = (IntVector) ByteVector.fromArray(BP, src, so + i).convertShape(VectorOperators.B2I, IP, 0);
            if (unsigned) v = v.and(0xFF);
            ((FloatVector) v.lanewise(SUB, z).convertShape(VectorOperators.I2F, FP, 0)).intoArray(dst, d + i);
        }
        if (BP.length() > BH.length()) { // im2col rows are short (28 or 14 wide): an 8-lane step before the scalar tail
            IntVector zh = IntVector.broadcast(IH, zp);
            for (; i + BH.length() <= n; i += BH.length()) {
                IntVector v = (IntVector) ByteVector.fromArray(BH, src, so + i).convertShape(VectorOperators.B2I, IH, 0);
                if (unsigned) v = v.and(0xFF);
                ((FloatVector) v.lanewise(SUB, zh).convertShape(VectorOperators.I2F, FH, 0)).intoArray(dst, d + i);
            }
        }
        int mask = unsigned ? 0xFF : -1;
        for (; i < n; i++) dst[d + i] = (src[so + i] & mask) - zp;
    }
}
