package dev.edgeopt.tensor;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import java.util.Arrays;

/**
 * A dense, row-major tensor: a dtype, a static shape, and a window ({@code offset}, {@link #size()})
 * into a Java array. The array kind follows the dtype: float[] for float32, double[] for float64,
 * long[] for (u)int64, int[] for (u)int32, short[] for (u)int16, float16 and bfloat16 (raw bits),
 * byte[] for (u)int8, boolean[] for bool, String[] for string.
 *
 * <p>The window lets the engine hand kernels views into one planned arena without copying.
 * Initializer tensors are shared between graph copies and are treated as immutable.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final Object data;
    private final int offset;
    private final int size;

    private Tensor(DType dtype, int[] shape, Object data, int offset) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
        this.offset = offset;
        this.size = numel(shape);
        int len = java.lang.reflect.Array.getLength(data);
        if (offset < 0 || offset + size > len) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " at offset " + offset + " does not fit in an array of " + len);
        }
    }

    // ------------------------------------------------------------------ factories

    /** A zero-filled tensor. */
    public static Tensor allocate(DType dtype, int... shape) {
        return new Tensor(dtype, shape.clone(), newArray(dtype, numel(shape)), 0);
    }

    /** A view into {@code array} (which must be the storage kind of {@code dtype}); no copy. */
    public static Tensor view(DType dtype, int[] shape, Object array, int offset) {
        checkStorage(dtype, array);
        return new Tensor(dtype, shape.clone(), array, offset);
    }

    public static Tensor of(float[] data, int... shape) { return new Tensor(DType.FLOAT, shape.clone(), data, 0); }

    public static Tensor ofDoubles(double[] data, int... shape) { return new Tensor(DType.DOUBLE, shape.clone(), data, 0); }

    public static Tensor ofLongs(long[] data, int... shape) { return new Tensor(DType.INT64, shape.clone(), data, 0); }

    public static Tensor ofInts(int[] data, int... shape) { return new Tensor(DType.INT32, shape.clone(), data, 0); }

    public static Tensor ofBools(boolean[] data, int... shape) { return new Tensor(DType.BOOL, shape.clone(), data, 0); }

    public static Tensor ofStrings(String[] data, int... shape) { return new Tensor(DType.STRING, shape.clone(), data, 0); }

    /** A tensor over an array of the dtype's storage kind (e.g. byte[] for INT8/UINT8). */
    public static Tensor of(DType dtype, Object array, int... shape) {
        checkStorage(dtype, array);
        return new Tensor(dtype, shape.clone(), array, 0);
    }

    public static Tensor scalar(float v) { return of(new float[] {v}); }

    public static Tensor scalarLong(long v) { return ofLongs(new long[] {v}); }

    /** A 1-D int64 tensor, the usual form of shapes, axes and indices. */
    public static Tensor vector(long... v) { return ofLongs(v.clone(), v.length); }

    /** A 1-D float tensor. */
    public static Tensor vector(float... v) { return of(v.clone(), v.length); }

    public static Object newArray(DType dtype, int n) {
        return switch (dtype) {
            case FLOAT -> new float[n];
            case DOUBLE -> new double[n];
            case INT64, UINT64 -> new long[n];
            case INT32, UINT32 -> new int[n];
            case INT16, UINT16, FLOAT16, BFLOAT16 -> new short[n];
            case INT8, UINT8 -> new byte[n];
            case BOOL -> new boolean[n];
            case STRING -> {
                String[] s = new String[n];
                Arrays.fill(s, "");
                yield s;
            }
        };
    }

    private static void checkStorage(DType dtype, Object array) {
        Class<?> want = newArray(dtype, 0).getClass();
        if (array.getClass() != want) {
            throw new IllegalArgumentException(dtype + " is stored in " + want.getSimpleName() + ", not " + array.getClass().getSimpleName());
        }
    }

    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE) throw new ArithmeticException("shape " + Arrays.toString(shape) + " has more elements than a Java array can hold");
        }
        return (int) n;
    }

    /** Row-major strides (in elements) of a shape. */
    public static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    // ------------------------------------------------------------------ accessors

    public DType dtype() { return dtype; }

    /** A copy of the shape. */
    public int[] shape() { return shape.clone(); }

    /** The shape array itself, for hot paths; callers must not modify it. */
    public int[] dims() { return shape; }

    public int rank() { return shape.length; }

    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    public int size() { return size; }

    public int offset() { return offset; }

    public Object data() { return data; }

    public TensorType type() { return TensorType.of(dtype, shape); }

    public Shape staticShape() { return Shape.of(shape); }

    public float[] floats() { return (float[]) data; }

    public double[] doubles() { return (double[]) data; }

    public long[] longs() { return (long[]) data; }

    public int[] ints() { return (int[]) data; }

    public short[] shorts() { return (short[]) data; }

    public byte[] bytes() { return (byte[]) data; }

    public boolean[] bools() { return (boolean[]) data; }

    public String[] strings() { return (String[]) data; }

    // ------------------------------------------------------------------ element access (slow path)

    /** Element {@code i} (flat, relative to the window) as a double; unsigned types read unsigned. */
    public double getDouble(int i) {
        int j = offset + i;
        return switch (dtype) {
            case FLOAT -> ((float[]) data)[j];
            case DOUBLE -> ((double[]) data)[j];
            case INT64 -> ((long[]) data)[j];
            case UINT64 -> unsignedLongToDouble(((long[]) data)[j]);
            case INT32 -> ((int[]) data)[j];
            case UINT32 -> ((int[]) data)[j] & 0xFFFFFFFFL;
            case INT16 -> ((short[]) data)[j];
            case UINT16 -> ((short[]) data)[j] & 0xFFFF;
            case FLOAT16 -> Float.float16ToFloat(((short[]) data)[j]);
            case BFLOAT16 -> Float.intBitsToFloat((((short[]) data)[j] & 0xFFFF) << 16);
            case INT8 -> ((byte[]) data)[j];
            case UINT8 -> ((byte[]) data)[j] & 0xFF;
            case BOOL -> ((boolean[]) data)[j] ? 1 : 0;
            case STRING -> throw new UnsupportedOperationException("string tensor has no numeric value");
        };
    }

    public float getFloat(int i) {
        return dtype == DType.FLOAT ? ((float[]) data)[offset + i] : (float) getDouble(i);
    }

    /** Element {@code i} as a long (floats truncate toward zero). */
    public long getLong(int i) {
        int j = offset + i;
        return switch (dtype) {
            case INT64, UINT64 -> ((long[]) data)[j];
            case INT32 -> ((int[]) data)[j];
            case UINT32 -> ((int[]) data)[j] & 0xFFFFFFFFL;
            case INT16 -> ((short[]) data)[j];
            case UINT16 -> ((short[]) data)[j] & 0xFFFF;
            case INT8 -> ((byte[]) data)[j];
            case UINT8 -> ((byte[]) data)[j] & 0xFF;
            case BOOL -> ((boolean[]) data)[j] ? 1 : 0;
            default -> (long) getDouble(i);
        };
    }

    public boolean getBool(int i) {
        return dtype == DType.BOOL ? ((boolean[]) data)[offset + i] : getDouble(i) != 0;
    }

    /** Sets element {@code i}; integer types take the value cast as C does (wrap), bool is v != 0. */
    public void setDouble(int i, double v) {
        int j = offset + i;
        switch (dtype) {
            case FLOAT -> ((float[]) data)[j] = (float) v;
            case DOUBLE -> ((double[]) data)[j] = v;
            case INT64, UINT64 -> ((long[]) data)[j] = (long) v;
            case INT32, UINT32 -> ((int[]) data)[j] = (int) (long) v;
            case INT16, UINT16 -> ((short[]) data)[j] = (short) (long) v;
            case FLOAT16 -> ((short[]) data)[j] = Float.floatToFloat16((float) v);
            case BFLOAT16 -> ((short[]) data)[j] = floatToBfloat16((float) v);
            case INT8, UINT8 -> ((byte[]) data)[j] = (byte) (long) v;
            case BOOL -> ((boolean[]) data)[j] = v != 0;
            case STRING -> throw new UnsupportedOperationException("string tensor has no numeric value");
        }
    }

    public void setLong(int i, long v) {
        int j = offset + i;
        switch (dtype) {
            case INT64, UINT64 -> ((long[]) data)[j] = v;
            case INT32, UINT32 -> ((int[]) data)[j] = (int) v;
            case INT16, UINT16 -> ((short[]) data)[j] = (short) v;
            case INT8, UINT8 -> ((byte[]) data)[j] = (byte) v;
            case BOOL -> ((boolean[]) data)[j] = v != 0;
            default -> setDouble(i, v);
        }
    }

    static double unsignedLongToDouble(long v) {
        double d = (double) (v >>> 1) * 2.0;
        return d + (v & 1);
    }

    /** Round-to-nearest-even float to bfloat16 bits. */
    public static short floatToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) 0x7FC0;
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    // ------------------------------------------------------------------ whole-tensor helpers

    /** A compact copy with offset 0. */
    public Tensor copy() {
        Object a = newArray(dtype, size);
        System.arraycopy(data, offset, a, 0, size);
        return new Tensor(dtype, shape.clone(), a, 0);
    }

    /** Copies this tensor's elements into {@code dst} (same dtype and size). */
    public void copyTo(Tensor dst) {
        if (dst.dtype != dtype || dst.size != size) throw new IllegalArgumentException("copyTo: " + type() + " into " + dst.type());
        System.arraycopy(data, offset, dst.data, dst.offset, size);
    }

    /** A view with another shape of the same element count. */
    public Tensor reshape(int... newShape) {
        if (numel(newShape) != size) throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        return new Tensor(dtype, newShape.clone(), data, offset);
    }

    /** Converts to another dtype (a copy even when the dtype is unchanged). */
    public Tensor cast(DType to) {
        Tensor r = allocate(to, shape);
        if (to == dtype) {
            copyTo(r);
            return r;
        }
        if (dtype == DType.FLOAT && to == DType.DOUBLE) {
            for (int i = 0; i < size; i++) r.doubles()[i] = floats()[offset + i];
        } else if (to == DType.STRING || dtype == DType.STRING) {
            throw new UnsupportedOperationException("cast between string and " + (to == DType.STRING ? dtype : to));
        } else if (to.isFloating() || dtype.isFloating()) {
            for (int i = 0; i < size; i++) r.setDouble(i, getDouble(i));
        } else {
            for (int i = 0; i < size; i++) r.setLong(i, getLong(i));
        }
        return r;
    }

    /** All elements as a fresh float[] (converting from any numeric dtype). */
    public float[] toFloatArray() {
        float[] r = new float[size];
        if (dtype == DType.FLOAT) System.arraycopy(data, offset, r, 0, size);
        else for (int i = 0; i < size; i++) r[i] = (float) getDouble(i);
        return r;
    }

    /** All elements as a fresh long[] (e.g. a shape or axes input). */
    public long[] toLongArray() {
        long[] r = new long[size];
        for (int i = 0; i < size; i++) r[i] = getLong(i);
        return r;
    }

    public double[] toDoubleArray() {
        double[] r = new double[size];
        for (int i = 0; i < size; i++) r[i] = getDouble(i);
        return r;
    }

    /** Same dtype, shape and elements (NaN equals NaN). */
    public boolean contentEquals(Tensor o) {
        if (o.dtype != dtype || !Arrays.equals(o.shape, shape)) return false;
        if (dtype == DType.STRING) {
            for (int i = 0; i < size; i++) if (!strings()[offset + i].equals(o.strings()[o.offset + i])) return false;
            return true;
        }
        for (int i = 0; i < size; i++) {
            double a = getDouble(i), b = o.getDouble(i);
            if (a != b && !(Double.isNaN(a) && Double.isNaN(b))) return false;
            if (dtype == DType.INT64 || dtype == DType.UINT64) if (getLong(i) != o.getLong(i)) return false;
        }
        return true;
    }

    @Override public String toString() {
        StringBuilder b = new StringBuilder(type().toString()).append(' ');
        int n = Math.min(size, 8);
        b.append('{');
        for (int i = 0; i < n; i++) {
            if (i > 0) b.append(", ");
            b.append(dtype == DType.STRING ? strings()[offset + i] : dtype.isFloating() ? Double.toString(getDouble(i)) : Long.toString(getLong(i)));
        }
        if (size > n) b.append(", ...");
        return b.append('}').toString();
    }
}
