package dev.edgeopt.engine.kernels.elementwise;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.Locale;

/**
 * Cast and CastLike between every dtype edgeopt stores, strings included. Floating to integer
 * truncates toward zero and wraps as C does; to bool is {@code != 0}; floats print as the shortest
 * string that reads back to the same float, in numpy's spelling.
 */
public final class CastKernel implements Kernel {
    private final DType from, to;

    public CastKernel(DType from, DType to) {
        this.from = from;
        this.to = to;
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        Tensor x = in[0], y = out[0];
        int n = x.size();
        if (from == to) {
            x.copyTo(y);
        } else if (from == DType.STRING) {
            String[] s = x.strings();
            for (int i = 0; i < n; i++) {
                String v = s[x.offset() + i].strip();
                if (to.isFloating()) y.setDouble(i, parseReal(v));
                else if (to == DType.BOOL) y.setLong(i, parseReal(v) != 0 ? 1 : 0);
                else y.setLong(i, to == DType.UINT64 ? Long.parseUnsignedLong(v) : Long.parseLong(v));
            }
        } else if (to == DType.STRING) {
            String[] s = y.strings();
            for (int i = 0; i < n; i++) s[y.offset() + i] = format(x, i);
        } else if (!direct(x, y, n)) {
            generic(x, y, n);
        }
    }

    /**
     * Array-to-array loops for the casts of model inputs and outputs (uint8 images, int64 labels,
     * float16 weights); false when the pair has none.
     */
    private boolean direct(Tensor x, Tensor y, int n) {
        int xo = x.offset(), yo = y.offset();
        switch (from) {
            case FLOAT -> {
                float[] a = x.floats();
                switch (to) {
                    case DOUBLE -> { double[] b = y.doubles(); for (int i = 0; i < n; i++) b[yo + i] = a[xo + i]; }
                    case FLOAT16 -> { short[] b = y.shorts(); for (int i = 0; i < n; i++) b[yo + i] = Float.floatToFloat16(a[xo + i]); }
                    case INT32 -> { int[] b = y.ints(); for (int i = 0; i < n; i++) b[yo + i] = (int) (long) a[xo + i]; }
                    case INT64 -> { long[] b = y.longs(); for (int i = 0; i < n; i++) b[yo + i] = (long) a[xo + i]; }
                    default -> { return false; }
                }
            }
            case UINT8 -> {
                if (to != DType.FLOAT) return false;
                byte[] a = x.bytes();
                float[] b = y.floats();
                for (int i = 0; i < n; i++) b[yo + i] = a[xo + i] & 0xFF;
            }
            case INT8 -> {
                if (to != DType.FLOAT) return false;
                byte[] a = x.bytes();
                float[] b = y.floats();
                for (int i = 0; i < n; i++) b[yo + i] = a[xo + i];
            }
            case INT32 -> {
                if (to != DType.FLOAT) return false;
                int[] a = x.ints();
                float[] b = y.floats();
                for (int i = 0; i < n; i++) b[yo + i] = a[xo + i];
            }
            case INT64 -> {
                if (to != DType.FLOAT) return false;
                long[] a = x.longs();
                float[] b = y.floats();
                for (int i = 0; i < n; i++) b[yo + i] = a[xo + i];
            }
            case FLOAT16 -> {
                if (to != DType.FLOAT) return false;
                short[] a = x.shorts();
                float[] b = y.floats();
                for (int i = 0; i < n; i++) b[yo + i] = Float.float16ToFloat(a[xo + i]);
            }
            default -> { return false; }
        }
        return true;
    }

    private void generic(Tensor x, Tensor y, int n) {
        if (to == DType.BOOL) {
            for (int i = 0; i < n; i++) y.setLong(i, x.getDouble(i) != 0 ? 1 : 0);
        } else if (from.isFloating() || to.isFloating()) {
            for (int i = 0; i < n; i++) y.setDouble(i, x.getDouble(i));
        } else {
            for (int i = 0; i < n; i++) y.setLong(i, x.getLong(i));
        }
    }

    static double parseReal(String v) {
        String k = v.toLowerCase(Locale.ROOT);
        return switch (k) {
            case "nan", "+nan", "-nan" -> Double.NaN;
            case "inf", "+inf", "infinity", "+infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(v);
        };
    }

    private String format(Tensor x, int i) {
        return switch (from) {
            case FLOAT, FLOAT16, BFLOAT16 -> formatReal(Float.toString(x.getFloat(i)));
            case DOUBLE -> formatReal(Double.toString(x.getDouble(i)));
            case BOOL -> x.getBool(i) ? "1" : "0";
            case UINT64 -> Long.toUnsignedString(x.getLong(i));
            default -> Long.toString(x.getLong(i));
        };
    }

    /** Java's shortest repr ("1.0E-5", "Infinity") in numpy's spelling ("1e-05", "inf"). */
    static String formatReal(String j) {
        switch (j) {
            case "NaN": return "nan";
            case "Infinity": return "inf";
            case "-Infinity": return "-inf";
            default: break;
        }
        int e = j.indexOf('E');
        if (e < 0) return j;
        String m = j.substring(0, e);
        if (m.endsWith(".0")) m = m.substring(0, m.length() - 2);
        int exp = Integer.parseInt(j.substring(e + 1));
        return m + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
}
