package dev.edgeopt.engine.kernels.conv;

import dev.edgeopt.engine.kernels.gemm.Sgemm;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The zero-padded, stride-deinterleaved copy of one input plane that the direct conv kernels
 * ({@link DepthwiseConv}, {@link DirectConv}) read: padded row {@code r} holds its columns
 * {@code q, q+sw, q+2sw...} contiguously for each phase {@code q < sw}, so input column
 * {@code ow*sw + kw} of every output column is at {@code phase(kw % sw)[ow + kw / sw]} and a vector
 * of consecutive outputs reads consecutive floats for every tap (no dilation). {@link #fill} writes only the
 * positions that hold input: the padding is the same for every plane and is zeroed once per run.
 */
final class PaddedPlane {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = S.length();
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    private static final int LW = W.length();
    /** Floats a fill may write past the plane's last row (whole-vector row copies). */
    static final int SPARE = Math.max(L, LW);
    // Two-vector shuffles taking the even (odd) lanes of (a, b): negative indices select from b.
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i < L ? 2 * i : 2 * i - 2 * L);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1 < L ? 2 * i + 1 : 2 * i + 1 - 2 * L);
    // Bytes to floats: 8 bytes to 8 floats, 16 to 16.
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64, B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256, I16 = IntVector.SPECIES_512;
    /** 16-lane row copies: only where the hardware has 16 lanes natively. */
    private static final boolean wideCopy = FloatVector.SPECIES_PREFERRED.length() >= LW;

    private final ConvShape s;
    /** Floats per phase of a padded row, per padded row, and padded rows per plane. */
    final int phaseLen, rowLen, rows;
    /** Where tap kw of output column 0 sits in a padded row. */
    final int[] colOff;

    PaddedPlane(ConvShape s) {
        this.s = s;
        phaseLen = s.ow + (s.kw - 1) / s.sw;
        rowLen = s.sw * phaseLen;
        rows = (s.oh - 1) * s.sh + s.kh;
        colOff = new int[s.kw];
        for (int kw = 0; kw < s.kw; kw++) colOff[kw] = (kw % s.sw) * phaseLen + kw / s.sw;
    }

    /** Floats of one padded plane. */
    int size() { return rows * rowLen; }

    /**
     * Copies one input plane into the padded buffer. Only positions that hold input are written:
     * the padding positions are the same for every plane and were zeroed once per run.
     */
    void fill(float[] xa, int xo, float[] pad, int po) {
        int n = Math.min(s.w, s.sw * phaseLen - s.pw); // input columns that some output reads
        if (s.sw == 1 && n >= L) {
            fillStride1(xa, xo, pad, po, n);
            return;
        }
        if (s.sw == 2 && s.pw == 1 && (s.kw & 1) == 1 && n == s.w && n == 2 * (phaseLen - 1) && phaseLen == L) {
            // 14-wide stride-2 planes: one 16-float load per row splits into the row's 7 odd input
            // columns (phase 0, indices 1..7; the 8th lane lands on phase 1 index 0 and is
            // overwritten next) and its 7 even ones (phase 1, indices 0..6). The 8th even lane (the
            // next row's first float) lands on phase 1 index 7, read only by output lane 7, which
            // is past the row and never kept (an odd kernel width keeps valid outputs off it).
            int hEnd = Math.min(s.h, rows - s.ph);
            int d = po + s.ph * rowLen, src = xo;
            for (int r = 0; r < hEnd; r++, d += rowLen, src += s.w) {
                if (src + 2 * L <= xa.length) {
                    FloatVector v0 = FloatVector.fromArray(S, xa, src), v1 = FloatVector.fromArray(S, xa, src + L);
                    v0.rearrange(ODD, v1).intoArray(pad, d + 1);
                    v0.rearrange(EVEN, v1).intoArray(pad, d + phaseLen);
                } else {
                    for (int c = 0; c < n; c++) pad[d + ((c + 1) & 1) * phaseLen + ((c + 1) >> 1)] = xa[src + c];
                }
            }
            return;
        }
        if (n < 2 * L && s.sw == 2) {
            // Narrow stride-2 planes (14x14 and smaller): one flat loop over the plane, because a
            // loop per row costs more than the row's copy.
            int hEnd = Math.min(s.h, rows - s.ph), total = hEnd * n;
            int d = po + s.ph * rowLen, src = xo, c = 0;
            // Logical column lc = c + pw sits at phase lc & 1, index lc >> 1.
            int shift = 1, mask = 1;
            for (int k = 0; k < total; k++) {
                int lc = c + s.pw;
                pad[d + (lc & mask) * phaseLen + (lc >> shift)] = xa[src + c];
                if (++c == n) {
                    c = 0;
                    d += rowLen;
                    src += s.w;
                }
            }
            return;
        }
        for (int ih = 0; ih < s.h; ih++) {
            int r = ih + s.ph;
            if (r >= rows) break;
            int d = po + r * rowLen, src = xo + ih * s.w;
            if (s.sw == 1) {
                // Rows narrower than a vector (7x7 planes): one whole vector; the floats past the
                // row land on its right padding and the next row's left padding, zeroed again at
                // once, and on the next row's data, written after.
                int dd = d + s.pw;
                if (src + L <= xa.length) {
                    FloatVector.fromArray(S, xa, src).intoArray(pad, dd);
                    for (int i = n; i < L; i++) pad[dd + i] = 0f;
                } else {
                    for (int i = 0; i < n; i++) pad[dd + i] = xa[src + i];
                }
            } else if (s.sw == 2) {
                // Even input columns go to phase (pw & 1), odd ones to the other phase.
                int de = d + (s.pw & 1) * phaseLen + (s.pw >> 1), dodd = d + ((s.pw + 1) & 1) * phaseLen + ((s.pw + 1) >> 1);
                int c = 0;
                for (; c + 2 * L <= n; c += 2 * L) {
                    FloatVector v0 = FloatVector.fromArray(S, xa, src + c), v1 = FloatVector.fromArray(S, xa, src + c + L);
                    v0.rearrange(EVEN, v1).intoArray(pad, de + (c >> 1));
                    v0.rearrange(ODD, v1).intoArray(pad, dodd + (c >> 1));
                }
                for (; c < n; c++) pad[((c & 1) == 0 ? de : dodd) + (c >> 1)] = xa[src + c];
            } else {
                for (int c = 0; c < n; c++) {
                    int lc = c + s.pw;
                    pad[d + (lc % s.sw) * phaseLen + lc / s.sw] = xa[src + c];
                }
            }
        }
    }

    /** {@link #fill} for stride 1: plain row copies (kept apart so each form compiles on its own profile). */
    private void fillStride1(float[] xa, int xo, float[] pad, int po, int n) {
        for (int ih = 0; ih < s.h; ih++) {
            int r = ih + s.ph;
            if (r >= rows) break;
            int d = po + r * rowLen, src = xo + ih * s.w;
            int dd = d + s.pw;
            int nw = Sgemm.roundUp(n, LW), nv = Sgemm.roundUp(n, L);
            if (n >= 12 && wideCopy && src + nw <= xa.length) {
                // Whole 16-lane vectors even for the ragged end of 14- and 28-wide rows: the
                // floats past the row land on its right padding and the next row's left padding
                // (and data), which are zeroed again at once; the next row's data is written after.
                for (int i = 0; i < n; i += LW) FloatVector.fromArray(W, xa, src + i).intoArray(pad, dd + i);
                for (int i = n; i < nw; i++) pad[dd + i] = 0f;
            } else if (src + nv <= xa.length) {
                for (int i = 0; i < n; i += L) FloatVector.fromArray(S, xa, src + i).intoArray(pad, dd + i);
                for (int i = n; i < nv; i++) pad[dd + i] = 0f;
            } else {
                for (int i = 0; i < n; i++) pad[dd + i] = xa[src + i];
            }
        }
    }

    /**
     * {@link #fill} from int8 ({@code unsigned} false) or uint8 input: each value becomes
     * {@code x - zp} in float, exact (int8 kernels sum these exactly in float, see the int8
     * package's {@code ExactFloat}), so the padding's 0 stands for the zero point. Converting while
     * filling saves a pass that writes the whole input in float and reads it back.
     */
    void fill(byte[] xa, int xo, boolean unsigned, int zp, float[] pad, int po) {
        int n = Math.min(s.w, s.sw * phaseLen - s.pw); // input columns that some output reads
        int hEnd = Math.min(s.h, rows - s.ph), mask = unsigned ? 0xFF : -1;
        IntVector z8 = IntVector.broadcast(I8, zp);
        if (s.sw == 1) {
            IntVector z16 = IntVector.broadcast(I16, zp);
            boolean wide = n >= 12 && wideCopy;
            for (int ih = 0; ih < hEnd; ih++) {
                int dd = po + (ih + s.ph) * rowLen + s.pw, src = xo + ih * s.w, i = 0;
                // Whole vectors even for a ragged row end, as in fillStride1: what lands past the
                // row (its right padding, the next row's left padding and data) is zeroed again at
                // once, the next row's data written after.
                if (wide) {
                    for (; i < n && src + i + 16 <= xa.length; i += 16) {
                        IntVector v = (IntVector) ByteVector.fromArray(B16, xa, src + i).convertShape(VectorOperators.B2I, I16, 0);
                        if (unsigned) v = v.and(0xFF);
                        ((FloatVector) v.sub(z16).convertShape(VectorOperators.I2F, W, 0)).intoArray(pad, dd + i);
                    }
                }
                for (; i < n && src + i + 8 <= xa.length; i += 8) {
                    IntVector v = (IntVector) ByteVector.fromArray(B8, xa, src + i).convertShape(VectorOperators.B2I, I8, 0);
                    if (unsigned) v = v.and(0xFF);
                    ((FloatVector) v.sub(z8).convertShape(VectorOperators.I2F, S, 0)).intoArray(pad, dd + i);
                }
                for (; i < n; i++) pad[dd + i] = (xa[src + i] & mask) - zp;
                for (int e = n; e < i; e++) pad[dd + e] = 0f;
            }
            return;
        }
        if (s.sw == 2 && s.pw == 1 && (s.kw & 1) == 1 && n == s.w && n == 2 * (phaseLen - 1) && phaseLen == L) {
            // 14-wide rows: the 16-value split of fill's float form (see there), from 16 bytes.
            int d = po + s.ph * rowLen, src = xo;
            for (int r = 0; r < hEnd; r++, d += rowLen, src += s.w) {
                if (src + 2 * L <= xa.length) {
                    IntVector i0 = (IntVector) ByteVector.fromArray(B8, xa, src).convertShape(VectorOperators.B2I, I8, 0);
                    IntVector i1 = (IntVector) ByteVector.fromArray(B8, xa, src + L).convertShape(VectorOperators.B2I, I8, 0);
                    if (unsigned) {
                        i0 = i0.and(0xFF);
                        i1 = i1.and(0xFF);
                    }
                    FloatVector v0 = (FloatVector) i0.sub(z8).convertShape(VectorOperators.I2F, S, 0);
                    FloatVector v1 = (FloatVector) i1.sub(z8).convertShape(VectorOperators.I2F, S, 0);
                    v0.rearrange(ODD, v1).intoArray(pad, d + 1);
                    v0.rearrange(EVEN, v1).intoArray(pad, d + phaseLen);
                } else {
                    for (int c = 0; c < n; c++) pad[d + ((c + 1) & 1) * phaseLen + ((c + 1) >> 1)] = (xa[src + c] & mask) - zp;
                }
            }
            return;
        }
        for (int ih = 0; ih < hEnd; ih++) {
            int d = po + (ih + s.ph) * rowLen, src = xo + ih * s.w;
            if (s.sw == 2) {
                // Even input columns go to phase (pw & 1), odd ones to the other phase.
                int de = d + (s.pw & 1) * phaseLen + (s.pw >> 1), dodd = d + ((s.pw + 1) & 1) * phaseLen + ((s.pw + 1) >> 1);
                int c = 0;
                for (; c + 2 * L <= n; c += 2 * L) {
                    IntVector i0 = (IntVector) ByteVector.fromArray(B8, xa, src + c).convertShape(VectorOperators.B2I, I8, 0);
                    IntVector i1 = (IntVector) ByteVector.fromArray(B8, xa, src + c + L).convertShape(VectorOperators.B2I, I8, 0);
                    if (unsigned) {
                        i0 = i0.and(0xFF);
                        i1 = i1.and(0xFF);
                    }
                    FloatVector v0 = (FloatVector) i0.sub(z8).convertShape(VectorOperators.I2F, S, 0);
                    FloatVector v1 = (FloatVector) i1.sub(z8).convertShape(VectorOperators.I2F, S, 0);
                    v0.rearrange(EVEN, v1).intoArray(pad, de + (c >> 1));
                    v0.rearrange(ODD, v1).intoArray(pad, dodd + (c >> 1));
                }
                for (; c < n; c++) pad[((c & 1) == 0 ? de : dodd) + (c >> 1)] = (xa[src + c] & mask) - zp;
            } else {
                for (int c = 0; c < n; c++) {
                    int lc = c + s.pw;
                    pad[d + (lc % s.sw) * phaseLen + lc / s.sw] = (xa[src + c] & mask) - zp;
                }
            }
        }
    }
}
