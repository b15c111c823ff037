package dev.edgeopt.ir;

/**
 * The static type of a value: element type and shape. {@code shape} is null when even the rank is
 * unknown.
 */
public record TensorType(DType dtype, Shape shape) {
    public static TensorType of(DType dtype, int... dims) { return new TensorType(dtype, Shape.of(dims)); }

    public static TensorType of(DType dtype, long... dims) { return new TensorType(dtype, Shape.of(dims)); }

    public boolean hasShape() { return shape != null; }

    public int rank() {
        if (shape == null) throw new IllegalStateException("rank unknown");
        return shape.rank();
    }

    public boolean isStatic() { return shape != null && shape.isStatic(); }

    /** Packed size in bytes of a static shape. */
    public long byteSize() { return Math.multiplyExact(shape.numel(), (long) dtype.byteSize()); }

    @Override public String toString() { return dtype + (shape == null ? "[?]" : shape.toString()); }
}
