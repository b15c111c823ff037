package dev.edgeopt.engine;

import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Scratch memory for one plan. Kernels run one at a time, so every kernel's requests start at
 * offset 0 of one shared array per dtype; requests of the same kernel are laid out back to back.
 * Arrays are allocated once, after all kernels of the plan are prepared ({@link #seal()}).
 */
public final class Scratch {
    /** A region handed to a kernel; {@link #array()} is usable once the plan is sealed. */
    public static final class Ref {
        private final Scratch owner;
        private final DType dtype;
        private final int offset;
        private final int elements;

        Ref(Scratch owner, DType dtype, int offset, int elements) {
            this.owner = owner;
            this.dtype = dtype;
            this.offset = offset;
            this.elements = elements;
        }

        public Object array() { return owner.arrays.get(dtype); }

        public float[] floats() { return (float[]) array(); }

        public int[] ints() { return (int[]) array(); }

        public byte[] bytes() { return (byte[]) array(); }

        public short[] shorts() { return (short[]) array(); }

        public long[] longs() { return (long[]) array(); }

        public int offset() { return offset; }

        public int elements() { return elements; }
    }

    private final Map<DType, Integer> cursor = new EnumMap<>(DType.class);
    private final Map<DType, Integer> high = new EnumMap<>(DType.class);
    private final Map<DType, Object> arrays = new EnumMap<>(DType.class);
    private final List<Ref> refs = new ArrayList<>();
    private boolean sealed;

    /** Starts the requests of the next kernel at offset 0 again. */
    public void nextKernel() { cursor.clear(); }

    Ref request(DType dtype, int elements) {
        if (sealed) throw new IllegalStateException("scratch requested after the plan was sealed");
        // Keep regions 64-byte aligned in element units so vector loads stay on cache lines.
        int align = Math.max(1, 64 / Math.max(1, dtype.byteSize()));
        int start = cursor.getOrDefault(dtype, 0);
        start = (start + align - 1) / align * align;
        int end = Math.addExact(start, elements);
        cursor.put(dtype, end);
        high.merge(dtype, end, Math::max);
        Ref r = new Ref(this, dtype, start, elements);
        refs.add(r);
        return r;
    }

    /** Allocates the shared arrays. */
    public void seal() {
        sealed = true;
        for (var e : high.entrySet()) arrays.put(e.getKey(), Tensor.newArray(e.getKey(), e.getValue()));
    }

    /** Total scratch bytes. */
    public long bytes() {
        long b = 0;
        for (var e : high.entrySet()) b += (long) e.getValue() * e.getKey().byteSize();
        return b;
    }
}
