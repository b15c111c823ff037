package dev.edgeopt.engine.kernels.int8;

/**
 * When int8 products may be summed in float32 without a rounding error.
 *
 * <p>float32 represents every integer of magnitude up to 2^24 exactly, and a fused multiply-add
 * rounds only its final result. So if every partial sum of {@code x_k * w_k} over a run of K terms
 * stays within 2^24 in magnitude, float32 FMAs compute the integer sum exactly, in any order, and
 * casting the result to int gives the int32 accumulator bit for bit. A bound on every partial sum
 * is {@code K * max|x| * max|w|}; runs longer than {@link #maxRun} are split and their sums added
 * in int32.
 *
 * <p>This is how the fast int8 kernels run their multiply-accumulate on the fp32 GEMM and
 * depthwise kernels: on this JVM the 16-bit pair instructions (vpmaddwd / vpdpwssd) are only
 * emitted for an element-wise loop shape whose memory traffic keeps it below the register-blocked
 * fp32 FMA kernels (see {@code PairMacBench}), while the integer results must stay exact.
 */
final class ExactFloat {
    private ExactFloat() {}

    static final int LIMIT = 1 << 24;

    /** The longest run of products of magnitude {@code <= maxX * maxW} whose sums stay exact. */
    static int maxRun(int maxX, int maxW) {
        long p = (long) maxX * maxW;
        return p == 0 ? Integer.MAX_VALUE : (int) Math.max(1, LIMIT / p);
    }

    /** The largest {@code |x - zp|} of an int8/uint8 value. */
    static int maxDistance(boolean unsigned, int zp) {
        int lo = unsigned ? 0 : -128, hi = unsigned ? 255 : 127;
        return Math.max(Math.abs(zp - lo), Math.abs(hi - zp));
    }
}
