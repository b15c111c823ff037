package dev.edgeopt.ir;

import java.util.Arrays;
import java.util.List;

/** An ordered list of {@link Dim}s. Immutable. A rank-0 shape is a scalar. */
public final class Shape {
    private final Dim[] dims;

    private Shape(Dim[] dims) { this.dims = dims; }

    public static Shape of(Dim... dims) { return new Shape(dims.clone()); }

    public static Shape of(List<Dim> dims) { return new Shape(dims.toArray(new Dim[0])); }

    public static Shape of(long... dims) {
        Dim[] d = new Dim[dims.length];
        for (int i = 0; i < dims.length; i++) d[i] = Dim.of(dims[i]);
        return new Shape(d);
    }

    public static Shape of(int... dims) {
        Dim[] d = new Dim[dims.length];
        for (int i = 0; i < dims.length; i++) d[i] = Dim.of(dims[i]);
        return new Shape(d);
    }

    public static Shape scalar() { return new Shape(new Dim[0]); }

    public int rank() { return dims.length; }

    public Dim dim(int i) { return dims[i < 0 ? dims.length + i : i]; }

    public Dim[] dims() { return dims.clone(); }

    public boolean isStatic() {
        for (Dim d : dims) if (!d.isKnown()) return false;
        return true;
    }

    /** Element count as a Dim (symbolic when some dimension is). */
    public Dim numelDim() {
        Dim n = Dim.of(1);
        for (Dim d : dims) n = n.times(d);
        return n;
    }

    /** Element count of a static shape; throws {@link ArithmeticException} on overflow of a long. */
    public long numel() {
        long n = 1;
        for (Dim d : dims) n = Math.multiplyExact(n, d.value());
        return n;
    }

    /**
     * The dims as Java ints for the engine. Throws {@link IllegalStateException} if a dim is not
     * static, and {@link ArithmeticException} if the shape holds more elements than one Java array can.
     */
    public int[] toIntArray() {
        int[] r = new int[dims.length];
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            long v = dims[i].value();
            n = Math.multiplyExact(n, v);
            if (v > Integer.MAX_VALUE || n > Integer.MAX_VALUE - 16) {
                throw new ArithmeticException("shape " + this + " has more elements than a Java array can hold");
            }
            r[i] = (int) v;
        }
        return r;
    }

    public long[] toLongArray() {
        long[] r = new long[dims.length];
        for (int i = 0; i < dims.length; i++) r[i] = dims[i].value();
        return r;
    }

    public Shape withDim(int axis, Dim d) {
        Dim[] c = dims.clone();
        c[axis] = d;
        return new Shape(c);
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) b.append(',');
            b.append(dims[i]);
        }
        return b.append(']').toString();
    }
}
