package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.engine.kernels.gemm.GemmJob;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;

/**
 * QLinearMatMul and QGemm with a constant 2-D B and constant parameters, exactly through the fp32
 * GEMM (see {@link ExactFloat}): every row of A (all batch entries stacked) becomes
 * {@code a - a_zp} in float, B becomes {@code b - b_zp[col]} once at creation; K is split into runs
 * that stay exact; the epilogue adds the chunks and C in int32 and requantizes each row with the
 * per-column multipliers (or scales to float for QGemm without y_scale).
 */
final class FastQMatMul implements Kernel {
    private final QParams q;
    private final int rowsA, k, n, chunks, tasks, cRow, cCol, m;
    private final boolean ta, hasC;
    private final int[] k0;
    private final GemmJob[] jobs;
    private final Scratch.Ref af, cbuf, acc;
    private final ThreadPool pool;
    private final IntConsumer convertBody = this::convertTask, epilogueBody = this::epilogueTask;
    private byte[] a;
    private int aOff;
    private Tensor c, y;

    FastQMatMul(KernelContext kc, QParams q, int rowsA, int m, int k, int n, boolean ta, boolean tb, boolean hasC, int cRow, int cCol) {
        this.q = q;
        this.rowsA = rowsA;
        this.m = m;
        this.k = k;
        this.n = n;
        this.ta = ta;
        this.hasC = hasC;
        this.cRow = cRow;
        this.cCol = cCol;
        this.pool = kc.pool();
        this.tasks = kc.threads();
        Tensor b = kc.constant(3);
        float[] bf = new float[k * n];
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < n; j++) bf[kk * n + j] = QuantMath.at8(b.bytes(), b.offset() + (tb ? j * k + kk : kk * n + j), q.wUnsigned) - q.wZp[j];
        }
        chunks = ExactFloat.chunks(bf, 0, n, k, 1, n, ExactFloat.maxDistance(q.xUnsigned, q.xZp));
        k0 = new int[chunks + 1];
        for (int h = 0; h <= chunks; h++) k0[h] = (int) ((long) k * h / chunks);
        jobs = new GemmJob[chunks];
        for (int h = 0; h < chunks; h++) {
            jobs[h] = new GemmJob(kc, rowsA, n, k0[h + 1] - k0[h], null, 0, k, 1, 1f, bf, k0[h] * n, n, 1, n);
        }
        af = kc.scratch(DType.FLOAT, Math.multiplyExact(rowsA, k));
        cbuf = kc.scratch(DType.FLOAT, Math.multiplyExact(chunks * rowsA, n));
        acc = kc.scratch(DType.INT32, Math.multiplyExact(tasks, n));
    }

    /** Constant parameters, a constant B shared by every batch entry, a constant C if any. */
    static boolean applies(KernelContext kc, QParams q, int[] bBatchMap, boolean hasC) {
        for (int i : bBatchMap) if (i != 0) return false;
        return q.constant && kc.constant(3) != null && (!hasC || kc.constant(6) != null);
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        a = in[0].bytes();
        aOff = in[0].offset();
        c = hasC ? in[6] : null;
        y = out[0];
        pool.parallelFor(tasks, convertBody);
        for (int h = 0; h < chunks; h++) {
            GemmJob j = jobs[h];
            j.a = af.floats();
            j.aOff = af.offset() + k0[h];
            j.c = cbuf.floats();
            j.cOff = cbuf.offset() + h * rowsA * n;
            j.run();
        }
        pool.parallelFor(tasks, epilogueBody);
        a = null;
        c = y = null;
    }

    /** A's rows to float minus the zero point, row-major [rowsA, k] (transposed A read by column). */
    private void convertTask(int t) {
        int per = (rowsA + tasks - 1) / tasks, r0 = Math.min(rowsA, t * per), r1 = Math.min(rowsA, r0 + per);
        float[] dst = af.floats();
        int d = af.offset(), zp = q.xZp, mask = q.xUnsigned ? 0xFF : -1;
        if (!ta) {
            ExactFloat.toFloat(a, aOff + r0 * k, dst, d + r0 * k, (r1 - r0) * k, q.xUnsigned, zp);
        } else {
            for (int r = r0; r < r1; r++) for (int kk = 0; kk < k; kk++) dst[d + r * k + kk] = (a[aOff + kk * m + r] & mask) - zp;
        }
    }

    private void epilogueTask(int t) {
        int per = (rowsA + tasks - 1) / tasks, r0 = Math.min(rowsA, t * per), r1 = Math.min(rowsA, r0 + per);
        float[] cb = cbuf.floats();
        int[] ac = acc.ints();
        int ao = acc.offset() + t * n;
        for (int r = r0; r < r1; r++) {
            int src = cbuf.offset() + r * n;
            ExactFloat.toInt(cb, src, ac, ao, n, 0, false);
            for (int h = 1; h < chunks; h++) ExactFloat.toInt(cb, src + h * rowsA * n, ac, ao, n, 0, true);
            if (c != null) {
                int[] ca = c.ints();
                int co = c.offset() + (r % m) * cRow;
                for (int j = 0; j < n; j++) ac[ao + j] += ca[co + j * cCol];
            }
            if (q.floatOut) {
                float[] ya = y.floats();
                int yo = y.offset() + r * n;
                for (int j = 0; j < n; j++) ya[yo + j] = ac[ao + j] * q.fscale[j];
            } else {
                Requantize.requantizeVector(ac, ao, y.bytes(), y.offset() + r * n, n, q.mult, q.shift, 0, q.yZp, q.lo, q.hi);
            }
        }
    }
}
