package dev.edgeopt.ir;

import java.util.Locale;

/**
 * Element types. The numeric codes are ONNX's {@code TensorProto.DataType} values, so import and
 * export never need a second table. Each type also fixes the Java array that stores it (see
 * {@link dev.edgeopt.tensor.Tensor}).
 */
public enum DType {
    FLOAT(1, 4, "float32"),
    UINT8(2, 1, "uint8"),
    INT8(3, 1, "int8"),
    UINT16(4, 2, "uint16"),
    INT16(5, 2, "int16"),
    INT32(6, 4, "int32"),
    INT64(7, 8, "int64"),
    STRING(8, 0, "string"),
    BOOL(9, 1, "bool"),
    FLOAT16(10, 2, "float16"),
    DOUBLE(11, 8, "float64"),
    UINT32(12, 4, "uint32"),
    UINT64(13, 8, "uint64"),
    BFLOAT16(16, 2, "bfloat16");

    private final int onnxCode;
    private final int byteSize;
    private final String shortName;

    DType(int onnxCode, int byteSize, String shortName) {
        this.onnxCode = onnxCode;
        this.byteSize = byteSize;
        this.shortName = shortName;
    }

    public int onnxCode() { return onnxCode; }

    /** Bytes per element in a packed buffer (the memory planner's and the C arena's unit); 0 for strings. */
    public int byteSize() { return byteSize; }

    public String shortName() { return shortName; }

    public boolean isFloating() { return this == FLOAT || this == DOUBLE || this == FLOAT16 || this == BFLOAT16; }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, INT32, INT64, UINT32, UINT64 -> true;
            default -> false;
        };
    }

    public boolean isUnsigned() { return this == UINT8 || this == UINT16 || this == UINT32 || this == UINT64; }

    /** Returns the type for an ONNX data-type code, or null when edgeopt has no such type (complex, float8). */
    public static DType fromOnnx(int code) {
        for (DType t : values()) if (t.onnxCode == code) return t;
        return null;
    }

    /** Parses names such as {@code float32}, {@code FLOAT}, {@code int8}. */
    public static DType parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT);
        for (DType t : values()) if (t.shortName.equals(k) || t.name().toLowerCase(Locale.ROOT).equals(k)) return t;
        if (k.equals("float")) return FLOAT;
        if (k.equals("double")) return DOUBLE;
        if (k.equals("half")) return FLOAT16;
        throw new IllegalArgumentException("unknown dtype '" + s + "'");
    }

    @Override public String toString() { return shortName; }
}
