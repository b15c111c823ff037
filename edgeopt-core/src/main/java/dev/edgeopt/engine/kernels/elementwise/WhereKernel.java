package dev.edgeopt.engine.kernels.elementwise;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;

/** {@code out = cond ? x : y} with three-way broadcasting laid out as {@link Rows}. */
public final class WhereKernel extends RangeKernel {
    private final Rows rows;
    private final DType dtype;

    public WhereKernel(ThreadPool pool, int[] cShape, int[] xShape, int[] yShape, int[] outShape, DType dtype) {
        super(pool, Tensor.numel(outShape), 16);
        this.rows = new Rows(outShape, cShape, xShape, yShape);
        this.dtype = dtype;
    }

    @Override protected void range(int start, int end) {
        Tensor c = in[0], x = in[1], y = in[2], z = out[0];
        boolean[] cb = c.bools();
        int inner = rows.inner, cs = rows.step[0], xs = rows.step[1], ys = rows.step[2];
        int p = start;
        while (p < end) {
            int row = p / inner, col = p - row * inner;
            int len = Math.min(inner - col, end - p);
            int co = c.offset() + rows.rowStart[0][row] + col * cs;
            int xo = rows.rowStart[1][row] + col * xs, yo = rows.rowStart[2][row] + col * ys;
            if (dtype == DType.FLOAT) {
                float[] a = x.floats(), b = y.floats(), o = z.floats();
                int ao = x.offset() + xo, bo = y.offset() + yo, oo = z.offset() + p;
                for (int i = 0; i < len; i++) o[oo + i] = cb[co + i * cs] ? a[ao + i * xs] : b[bo + i * ys];
            } else if (dtype == DType.STRING) {
                String[] a = x.strings(), b = y.strings(), o = z.strings();
                for (int i = 0; i < len; i++) {
                    o[z.offset() + p + i] = cb[co + i * cs] ? a[x.offset() + xo + i * xs] : b[y.offset() + yo + i * ys];
                }
            } else {
                // Copying the storage element keeps every dtype's bits exact (int64, float16...).
                Object a = x.data(), b = y.data(), o = z.data();
                for (int i = 0; i < len; i++) {
                    boolean t = cb[co + i * cs];
                    System.arraycopy(t ? a : b, t ? x.offset() + xo + i * xs : y.offset() + yo + i * ys, o, z.offset() + p + i, 1);
                }
            }
            p += len;
        }
    }
}
