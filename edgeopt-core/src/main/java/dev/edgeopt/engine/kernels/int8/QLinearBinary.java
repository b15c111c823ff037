package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.ThreadPool;
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
 * Large same-shape inputs (residual Adds) run {@link Requantize#addRow} / {@link Requantize#mulRow}: the
 * same arithmetic rewritten with int32 operations only (Requantize's SmallOperand/WideOperand), in
 * int vector lanes, split over the pool for large tensors. Small or broadcasting inputs, and multipliers
 * outside the int32 forms' range, use a table of {@link #apply} for all 65,536 input pairs (64 KB,
 * one load per element; a gather does not vectorize). The int32 forms are checked against the
 * table for every input pair at creation. History: 64-bit vector lanes were slower than the table
 * (AVX2 has no 64-bit lane product: mobilenet_v2's residual Adds took 1.68 ms against 0.29 ms).
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
    /** The int32 forms of the multipliers; {@code out == null} when the rows run the table. */
    private final Requantize.SmallOperand xa, xb;
    private final Requantize.WideOperand out;
    private final ThreadPool pool;
    private final int tasks, n;
    private final java.util.function.IntConsumer body = this::task;
    private byte[] ra, rb, ry;
    private int rao, rbo, ryo;

    QLinearBinary(KernelContext kc, boolean mul) { this(kc, mul, true); }

    /** {@code rows} false keeps the table for every shape (QLinearBinaryBench compares the two in one process). */
    QLinearBinary(KernelContext kc, boolean mul, boolean rows) {
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
        Requantize.SmallOperand fa = null, fb = null;
        Requantize.WideOperand fo = null;
        // Small tensors keep the table: one load per element beats the scalar int32 forms.
        if (same && rows && Tensor.numel(ys) >= Requantize.VECTOR_MIN) {
            fo = Requantize.WideOperand.of(new Requantize.Multiplier(mc, sc));
            if (!mul) {
                fa = Requantize.SmallOperand.of(new Requantize.Multiplier(ma, sa), LEFT_SHIFT);
                fb = Requantize.SmallOperand.of(new Requantize.Multiplier(mb, sb), LEFT_SHIFT);
                if (fa == null || fb == null) fo = null;
            }
            if (fo != null && !matchesTable(fa, fb, fo)) fo = null;
        }
        xa = fa;
        xb = fb;
        out = fo;
        n = Tensor.numel(ys);
        pool = kc.pool();
        // Below ~32K elements a hand-off to other threads costs more than it saves.
        tasks = out == null || n < 32_768 ? 1 : Math.max(1, Math.min(kc.threads() * 2, n / 16_384));
    }

    /** Whether the int32 forms give the table's byte for every pair of inputs (they are exact; this guards the kernel's use of them). */
    private boolean matchesTable(Requantize.SmallOperand fa, Requantize.SmallOperand fb, Requantize.WideOperand fo) {
        byte[] p = new byte[1];
        for (int x = 0; x < 256; x++) {
            p[0] = (byte) x;
            int da = QuantMath.at8(p, 0, pa.unsigned()) - pa.zeroPoint();
            for (int z = 0; z < 256; z++) {
                p[0] = (byte) z;
                int db = QuantMath.at8(p, 0, pb.unsigned()) - pb.zeroPoint();
                int s = mul ? da * db : fa.apply(da) + fb.apply(db);
                if ((byte) Math.min(Math.max(fo.apply(s) + pc.zeroPoint(), lo), hi) != table[x << 8 | z]) return false;
            }
        }
        return true;
    }

    /** Whether same-shape rows run the int32 vector forms (else the table); for tests. */
    boolean vectorized() { return out != null; }

    /** One output element from two input integers (zero points not yet removed). */
    int apply(int a, int b) {
        if (mul) return Requantize.requantize(((a - pa.zeroPoint()) * (b - pb.zeroPoint())), mc, sc, pc.zeroPoint(), lo, hi);
        int x = Requantize.multiplyByQuantizedMultiplier((a - pa.zeroPoint()) << LEFT_SHIFT, ma, sa);
        int y = Requantize.multiplyByQuantizedMultiplier((b - pb.zeroPoint()) << LEFT_SHIFT, mb, sb);
        return Requantize.requantize(x + y, mc, sc, pc.zeroPoint(), lo, hi);
    }

    @Override public void run(Tensor[] in, Tensor[] outs) {
        byte[] a = in[0].bytes(), b = in[3].bytes(), y = outs[0].bytes(), t = table;
        int ao = in[0].offset(), bo = in[3].offset(), yo = outs[0].offset(), n = outs[0].size();
        if (out != null) {
            ra = a;
            rb = b;
            ry = y;
            rao = ao;
            rbo = bo;
            ryo = yo;
            if (tasks == 1) task(0);
            else pool.parallelFor(tasks, body);
            ra = rb = ry = null;
        } else if (aMap == null) {
            for (int i = 0; i < n; i++) y[yo + i] = t[(a[ao + i] & 0xFF) << 8 | (b[bo + i] & 0xFF)];
        } else {
            for (int i = 0; i < n; i++) y[yo + i] = t[(a[ao + aMap[i]] & 0xFF) << 8 | (b[bo + bMap[i]] & 0xFF)];
        }
    }

    /** Task t's share of the rows, split at multiples of 64 elements. */
    private void task(int t) {
        int from = (int) ((long) n * t / tasks) & ~63, to = t == tasks - 1 ? n : (int) ((long) n * (t + 1) / tasks) & ~63;
        if (to <= from) return;
        boolean u = pc.unsigned();
        if (mul) {
            Requantize.mulRow(ra, rao + from, rb, rbo + from, ry, ryo + from, to - from, u, pa.zeroPoint(), pb.zeroPoint(), out, pc.zeroPoint(), lo, hi);
        } else {
            Requantize.addRow(ra, rao + from, rb, rbo + from, ry, ryo + from, to - from, u, pa.zeroPoint(), xa, pb.zeroPoint(), xb, out,
                    pc.zeroPoint(), lo, hi);
        }
    }
}
