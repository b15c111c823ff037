package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.tensor.Broadcast;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * QLinearAdd and QLinearMul with numpy broadcasting, in TFLite's int8 arithmetic (all through
 * {@link Requantize}):
 * <ul>
 *   <li>Add: each input, minus its zero point and shifted left by {@value #LEFT_SHIFT} bits for
 *       headroom, is scaled by {@code s_i / (2 max(s_a, s_b))}; the sum is scaled by
 *       {@code 2 max(s_a, s_b) / (2^20 s_c)} and offset by the output zero point;</li>
 *   <li>Mul: {@code (a - z_a)(b - z_b)} is requantized by {@code s_a s_b / s_c}.</li>
 * </ul>
 * An output depends only on the two 8-bit inputs, so the kernel tabulates {@link #apply} for all
 * 65,536 pairs at creation (64 KB) and runs one table load per element. Vector arithmetic was
 * slower: the fixed-point products need 64-bit lanes, which AVX2 cannot multiply (Int8ModelBench, load ~12:
 * mobilenet_v2's residual Adds took 1.68 ms in long vector lanes, 0.29 ms with the table).
 */
final class QLinearBinary implements Kernel {
    static final int LEFT_SHIFT = 20;

    private final boolean mul;
    private final QParams.Scalar pa, pb, pc;
    private final int ma, sa, mb, sb, mc, sc;
    private final int lo, hi;
    private final int[] aMap, bMap;
    /** Every output as a function of both inputs' bit patterns: {@code table[(a & 0xFF) << 8 | (b & 0xFF)]}. */
    private final byte[] table = new byte[1 << 16];

    QLinearBinary(KernelContext kc, boolean mul) {
        this.mul = mul;
        pa = QParams.scalar(kc, 1, 2, kc.inDtype(0));
        pb = QParams.scalar(kc, 4, 5, kc.inDtype(3));
        pc = QParams.scalar(kc, 6, 7, kc.outDtype(0));
        if (pa.unsigned() != pc.unsigned() || pb.unsigned() != pc.unsigned()) throw kc.fail("inputs and output must all be int8 or all uint8");
        lo = pc.qmin();
        hi = pc.qmax();
        if (mul) {
            Requantize.Multiplier m = Requantize.quantizeMultiplier((double) pa.scale() * pb.scale() / pc.scale());
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
        byte[] p = new byte[1];
        for (int x = 0; x < 256; x++) {
            p[0] = (byte) x;
            int qa = QuantMath.at8(p, 0, pa.unsigned());
            for (int z = 0; z < 256; z++) {
                p[0] = (byte) z;
                table[x << 8 | z] = (byte) apply(qa, QuantMath.at8(p, 0, pb.unsigned()));
            }
        }
    }

    /** One output element from two input integers (zero points not yet removed). */
    int apply(int a, int b) {
        if (mul) return Requantize.requantize(((a - pa.zeroPoint()) * (b - pb.zeroPoint())), mc, sc, pc.zeroPoint(), lo, hi);
        int x = Requantize.multiplyByQuantizedMultiplier((a - pa.zeroPoint()) << LEFT_SHIFT, ma, sa);
        int y = Requantize.multiplyByQuantizedMultiplier((b - pb.zeroPoint()) << LEFT_SHIFT, mb, sb);
        return Requantize.requantize(x + y, mc, sc, pc.zeroPoint(), lo, hi);
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        byte[] a = in[0].bytes(), b = in[3].bytes(), y = out[0].bytes(), t = table;
        int ao = in[0].offset(), bo = in[3].offset(), yo = out[0].offset(), n = out[0].size();
        if (aMap == null) {
            for (int i = 0; i < n; i++) y[yo + i] = t[(a[ao + i] & 0xFF) << 8 | (b[bo + i] & 0xFF)];
        } else {
            for (int i = 0; i < n; i++) y[yo + i] = t[(a[ao + aMap[i]] & 0xFF) << 8 | (b[bo + bMap[i]] & 0xFF)];
        }
    }
}
