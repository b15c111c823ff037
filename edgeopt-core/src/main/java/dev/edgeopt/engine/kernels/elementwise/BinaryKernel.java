package dev.edgeopt.engine.kernels.elementwise;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;

/**
 * {@code out[0] = op(a, b)} with broadcasting laid out as {@link Rows}. float32 inputs run the
 * Vector API loops; other dtypes run exact scalar loops in double (floating types), long (integer
 * types, unsigned where needed) or boolean. An operand index of -1 reads output 0, which lets
 * variadic ops (Sum, Max...) accumulate in place.
 */
public final class BinaryKernel extends RangeKernel {
    enum Kind { F32, F64, REAL, INT, UINT, BOOL }

    private final BinaryOp op;
    private final Rows rows;
    private final int ai, bi;
    private final Kind kind;
    private final boolean boolOut;

    public BinaryKernel(ThreadPool pool, BinaryOp op, int ai, int bi, int[] aShape, int[] bShape, int[] outShape,
                        DType aType, DType bType, DType outType) {
        super(pool, Tensor.numel(outShape), 16);
        this.op = op;
        this.ai = ai;
        this.bi = bi;
        this.rows = new Rows(outShape, aShape, bShape);
        this.boolOut = outType == DType.BOOL;
        this.kind = kindOf(aType, bType);
    }

    static Kind kindOf(DType a, DType b) {
        if (a != b) return Kind.REAL; // only Pow mixes types; it computes in double
        return switch (a) {
            case FLOAT -> Kind.F32;
            case DOUBLE -> Kind.F64;
            case FLOAT16, BFLOAT16 -> Kind.REAL;
            case BOOL -> Kind.BOOL;
            case UINT8, UINT16, UINT32, UINT64 -> Kind.UINT;
            default -> Kind.INT;
        };
    }

    @Override protected void range(int start, int end) {
        Tensor a = ai < 0 ? out[0] : in[ai], b = bi < 0 ? out[0] : in[bi], y = out[0];
        int inner = rows.inner, as = rows.step[0], bs = rows.step[1];
        int[] ra = rows.rowStart[0], rb = rows.rowStart[1];
        int p = start;
        while (p < end) {
            int row = p / inner, col = p - row * inner;
            int len = Math.min(inner - col, end - p);
            int ao = ra[row] + col * as, bo = rb[row] + col * bs;
            segment(a, ao, as, b, bo, bs, y, p, len);
            p += len;
        }
    }

    private void segment(Tensor a, int ao, int as, Tensor b, int bo, int bs, Tensor y, int yo, int len) {
        switch (kind) {
            case F32 -> {
                float[] fa = a.floats(), fb = b.floats();
                int oa = a.offset() + ao, ob = b.offset() + bo;
                if (boolOut) {
                    boolean[] z = y.bools();
                    int oz = y.offset() + yo;
                    for (int i = 0; i < len; i++) z[oz + i] = op.apply((double) fa[oa + i * as], fb[ob + i * bs]) != 0;
                } else if (op == BinaryOp.POW && bs == 0 && fb[ob] == 2f) {
                    // x^2 (variance in decomposed normalizations) is a product, not a pow call.
                    FloatLoops.binary(BinaryOp.MUL, fa, oa, as, fa, oa, as, y.floats(), y.offset() + yo, len);
                } else {
                    FloatLoops.binary(op, fa, oa, as, fb, ob, bs, y.floats(), y.offset() + yo, len);
                }
            }
            case F64 -> {
                double[] da = a.doubles(), db = b.doubles();
                int oa = a.offset() + ao, ob = b.offset() + bo;
                if (boolOut) {
                    boolean[] z = y.bools();
                    int oz = y.offset() + yo;
                    for (int i = 0; i < len; i++) z[oz + i] = op.apply(da[oa + i * as], db[ob + i * bs]) != 0;
                } else {
                    double[] z = y.doubles();
                    int oz = y.offset() + yo;
                    for (int i = 0; i < len; i++) z[oz + i] = op.apply(da[oa + i * as], db[ob + i * bs]);
                }
            }
            case REAL -> {
                for (int i = 0; i < len; i++) y.setDouble(yo + i, op.apply(a.getDouble(ao + i * as), b.getDouble(bo + i * bs)));
            }
            case INT, UINT -> {
                boolean u = kind == Kind.UINT;
                for (int i = 0; i < len; i++) y.setLong(yo + i, op.apply(a.getLong(ao + i * as), b.getLong(bo + i * bs), u));
            }
            case BOOL -> {
                boolean[] za = a.bools(), zb = b.bools(), z = y.bools();
                int oa = a.offset() + ao, ob = b.offset() + bo, oz = y.offset() + yo;
                for (int i = 0; i < len; i++) {
                    z[oz + i] = op.apply(za[oa + i * as] ? 1L : 0L, zb[ob + i * bs] ? 1L : 0L, false) != 0;
                }
            }
        }
    }
}
