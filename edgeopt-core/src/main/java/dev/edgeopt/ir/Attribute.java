package dev.edgeopt.ir;

import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A node attribute. The kinds mirror ONNX's AttributeProto; the value is stored as the natural Java
 * type: Float, Long, String, Tensor, Graph, float[], long[], String[], Tensor[] or Graph[].
 */
public record Attribute(Kind kind, Object value) {
    public enum Kind { FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS, TENSORS, GRAPHS }

    public static Attribute of(float v) { return new Attribute(Kind.FLOAT, v); }
    public static Attribute of(long v) { return new Attribute(Kind.INT, v); }
    public static Attribute of(String v) { return new Attribute(Kind.STRING, v); }
    public static Attribute of(Tensor v) { return new Attribute(Kind.TENSOR, v); }
    public static Attribute of(Graph v) { return new Attribute(Kind.GRAPH, v); }
    public static Attribute of(float[] v) { return new Attribute(Kind.FLOATS, v.clone()); }
    public static Attribute of(long[] v) { return new Attribute(Kind.INTS, v.clone()); }
    public static Attribute of(String[] v) { return new Attribute(Kind.STRINGS, v.clone()); }
    public static Attribute of(Tensor[] v) { return new Attribute(Kind.TENSORS, v.clone()); }
    public static Attribute ofGraphs(Graph[] v) { return new Attribute(Kind.GRAPHS, v.clone()); }

    public static Attribute ofInts(int... v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = v[i];
        return of(l);
    }

    public static Attribute ofInts(List<Long> v) {
        return of(v.stream().mapToLong(Long::longValue).toArray());
    }

    public float asFloat() {
        return switch (kind) {
            case FLOAT -> (Float) value;
            case INT -> (float) (long) (Long) value;
            default -> throw new IllegalStateException("attribute is " + kind + ", not FLOAT");
        };
    }

    public long asInt() {
        if (kind != Kind.INT) throw new IllegalStateException("attribute is " + kind + ", not INT");
        return (Long) value;
    }

    public String asString() {
        if (kind != Kind.STRING) throw new IllegalStateException("attribute is " + kind + ", not STRING");
        return (String) value;
    }

    public Tensor asTensor() {
        if (kind != Kind.TENSOR) throw new IllegalStateException("attribute is " + kind + ", not TENSOR");
        return (Tensor) value;
    }

    public Graph asGraph() {
        if (kind != Kind.GRAPH) throw new IllegalStateException("attribute is " + kind + ", not GRAPH");
        return (Graph) value;
    }

    public float[] asFloats() {
        if (kind != Kind.FLOATS) throw new IllegalStateException("attribute is " + kind + ", not FLOATS");
        return ((float[]) value).clone();
    }

    public long[] asInts() {
        if (kind != Kind.INTS) throw new IllegalStateException("attribute is " + kind + ", not INTS");
        return ((long[]) value).clone();
    }

    public String[] asStrings() {
        if (kind != Kind.STRINGS) throw new IllegalStateException("attribute is " + kind + ", not STRINGS");
        return ((String[]) value).clone();
    }

    public Tensor[] asTensors() {
        if (kind != Kind.TENSORS) throw new IllegalStateException("attribute is " + kind + ", not TENSORS");
        return ((Tensor[]) value).clone();
    }

    @Override public boolean equals(Object o) {
        if (!(o instanceof Attribute a) || a.kind != kind) return false;
        return switch (kind) {
            case FLOATS -> Arrays.equals((float[]) value, (float[]) a.value);
            case INTS -> Arrays.equals((long[]) value, (long[]) a.value);
            case STRINGS -> Arrays.equals((String[]) value, (String[]) a.value);
            case TENSORS, GRAPHS -> Arrays.equals((Object[]) value, (Object[]) a.value);
            default -> value.equals(a.value);
        };
    }

    @Override public int hashCode() {
        return switch (kind) {
            case FLOATS -> Arrays.hashCode((float[]) value);
            case INTS -> Arrays.hashCode((long[]) value);
            case STRINGS, TENSORS, GRAPHS -> Arrays.hashCode((Object[]) value);
            default -> value.hashCode();
        };
    }

    @Override public String toString() {
        return switch (kind) {
            case FLOATS -> Arrays.toString((float[]) value);
            case INTS -> Arrays.toString((long[]) value);
            case STRINGS -> Arrays.toString((String[]) value);
            case TENSOR -> "tensor" + value;
            case GRAPH -> "graph(" + ((Graph) value).name() + ")";
            case TENSORS, GRAPHS -> kind + "[" + ((Object[]) value).length + "]";
            case STRING -> "\"" + value + "\"";
            default -> String.valueOf(value);
        };
    }
}
