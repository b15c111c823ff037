package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * QLinearAdd and QLinearMul with numpy broadcasting, in TFLite's int8 arithmetic (all through
 * {@link Requantize}):
 * <ul>
 *   <li>Add: each input, minus its zero point and shifted left by {@value #LEFT_SHIFT} bits for
 *       headroom, is scaled by {@code s_i / (2 max(s_a, s_b))}; the sum is scaled by
 *       {@code 2 max(s_a, s_b) / (2^20 s_c)} and offset by the output zero point;</li>
 *   <li>Mul: {@code (a - z_a)(b - z_b)}, shifted left by {@link QParam#headroom}, is requantized by
 *       {@code s_a s_b / s_c} over that shift.</li>
 * </ul>
 * Add over equal shapes, the common residual case, runs in 64-bit vector lanes (the fixed-point
 * products need 62 bits), bit-identical to the scalar path.
 */
final class QLinearBinary implements Kernel {
    static final int LEFT_SHIFT = 20;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final VectorSpecies<Long> L = LongVector.SPECIES_256;

    private final boolean mul;
    private final QParam pa, pb, pc;
    private final int ma, sa, mb, sb, mc, sc;
    private final int lo, hi, mulShift;
    private final int[] aMap, bMap;
    private final boolean vector;

    QLinearBinary(KernelContext kc, boolean mul) {
        this.mul = mul;
        pa = QParam.of(kc, 1, 2, kc.inDtype(0));
        pb = QParam.of(kc, 4, 5, kc.inDtype(3));
        pc = QParam.of(kc, 6, 7, kc.outDtype(0));
        if (pa.unsigned() != pc.unsigned() || pb.unsigned() != pc.unsigned()) throw kc.fail("inputs and output must all be int8 or all uint8");
        lo = pc.qmin();
        hi = pc.qmax();
        mulShift = mul ? QParam.headroom(255L * 255, (double) pa.scale() * pb.scale() / pc.scale()) : 0;
        if (mul) {
            Requantize.Multiplier m = Requantize.quantizeMultiplier((double) pa.scale() * pb.scale() / pc.scale() / (1L << mulShift));
            mc = m.multiplier();
            sc = m.shift();
            ma = sa = mb = sb = 0;
        } else {
            double twiceMax = 2.0 * Math.max(pa.scale(), pb.scale());
            Requantize.Multiplier a = Requantize.quantizeMultiplier(pa.scale() / twiceMax);
            Requantize.Multiplier b = Requantize.quantizeMultiplier(pb.scale() / twiceMax);
            Requantize.Multiplier c = Requantize.quantizeMultiplier(twiceMax / ((1 << LEFT_SHIFT) * (double) pc.scale()));
            ma = a.multiplier();
            sa = a.shift();
            mb = b.multiplier();
            sb = b.shift();
            mc = c.multiplier();
            sc = c.shift();
        }
        int[] as = kc.inShape(0), bs = kc.inShape(3), ys = kc.outShape(0);
        boolean same = Arrays.equals(as, ys) && Arrays.equals(bs, ys);
        aMap = same ? null : Broadcast.indexMap(as, ys);
        bMap = same ? null : Broadcast.indexMap(bs, ys);
        // The vector lanes compute in 64 bits; the scalar path wraps a left-shifted int32 like
        // TFLite, so the two agree only when no multiplier shifts left (always, for Add).
        vector = same && !mul && sa <= 0 && sb <= 0 && sc <= 0;
    }

    /** One output element from two input integers (zero points not yet removed). */
    int apply(int a, int b) {
        if (mul) return Requantize.requantize(((a - pa.zeroPoint()) * (b - pb.zeroPoint())) << mulShift, mc, sc, pc.zeroPoint(), lo, hi);
        int x = Requantize.multiplyByQuantizedMultiplier((a - pa.zeroPoint()) << LEFT_SHIFT, ma, sa);
        int y = Requantize.multiplyByQuantizedMultiplier((b - pb.zeroPoint()) << LEFT_SHIFT, mb, sb);
        return Requantize.requantize(x + y, mc, sc, pc.zeroPoint(), lo, hi);
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        byte[] a = in[0].bytes(), b = in[3].bytes(), y = out[0].bytes();
        int ao = in[0].offset(), bo = in[3].offset(), yo = out[0].offset(), n = out[0].size();
        boolean u = pc.unsigned();
        if (aMap == null) {
            int i = vector ? addVector(a, ao, b, bo, y, yo, n) : 0;
            for (; i < n; i++) y[yo + i] = (byte) apply(QParam.at(a, ao + i, u), QParam.at(b, bo + i, u));
        } else {
            for (int i = 0; i < n; i++) y[yo + i] = (byte) apply(QParam.at(a, ao + aMap[i], u), QParam.at(b, bo + bMap[i], u));
        }
    }

    /** Add over equal shapes, 8 elements at a time; returns how many were done. */
    int addVector(byte[] a, int ao, byte[] b, int bo, byte[] y, int yo, int n) {
        int i = 0;
        for (; i + B.length() <= n; i += B.length()) {
            ByteVector va = ByteVector.fromArray(B, a, ao + i), vb = ByteVector.fromArray(B, b, bo + i);
            ByteVector r = half(va, vb, 0).or(half(va, vb, 1));
            r.intoArray(y, yo + i);
        }
        return i;
    }

    private ByteVector half(ByteVector va, ByteVector vb, int part) {
        LongVector x = widen(va, part, pa.zeroPoint()), z = widen(vb, part, pb.zeroPoint());
        LongVector s = scale(x, ma, sa).add(scale(z, mb, sb));
        LongVector r = scale(s, mc, sc).add(pc.zeroPoint()).max(lo).min(hi);
        return (ByteVector) r.convertShape(VectorOperators.L2B, B, part == 0 ? 0 : -1);
    }

    private LongVector widen(ByteVector v, int part, int zp) {
        LongVector x = (LongVector) v.convertShape(VectorOperators.B2L, L, part);
        if (pc.unsigned()) x = x.and(0xFFL);
        return x.sub(zp).lanewise(VectorOperators.LSHL, LEFT_SHIFT);
    }

    /**
     * {@link Requantize#multiplyByQuantizedMultiplier} for {@code shift <= 0} on int32 values held
     * in long lanes: SRDHM is {@code (x M + 2^30) >> 31} (floor), then the rounding right shift.
     */
    private static LongVector scale(LongVector x, int m, int shift) {
        LongVector v = x.mul(m).add(1L << 30).lanewise(VectorOperators.ASHR, 31);
        int e = -shift;
        if (e == 0) return v;
        long mask = (1L << e) - 1;
        LongVector rem = v.and(mask);
        // threshold = mask / 2, plus one for negative values (v >> 63 is -1 there).
        LongVector thr = v.lanewise(VectorOperators.ASHR, 63).neg().add(mask >> 1);
        return v.lanewise(VectorOperators.ASHR, e).add(1L, rem.compare(VectorOperators.GT, thr));
    }
}
