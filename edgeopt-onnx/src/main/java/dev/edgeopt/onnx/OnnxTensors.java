package dev.edgeopt.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgeopt.EdgeoptException;
import dev.edgeopt.io.AtomicFile;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.DType;
import dev.edgeopt.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.edgeopt.onnx.proto.OnnxProto.TensorProto;
import dev.edgeopt.tensor.Tensor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Conversion between ONNX TensorProto and {@link Tensor}, including external data files. */
public final class OnnxTensors {
    private OnnxTensors() {}

    /**
     * Decodes a TensorProto. {@code baseDir} is the model's folder, the only place external data may
     * come from; {@code what} names the tensor in errors (e.g. "model.onnx: initializer 'W'").
     */
    public static Tensor fromProto(TensorProto p, Path baseDir, String what) {
        DType dt = DType.fromOnnx(p.getDataType());
        if (dt == null) throw new EdgeoptException(what + ": unsupported data type " + p.getDataType() + " (" + dataTypeName(p.getDataType()) + ")");
        if (p.hasSegment()) throw new EdgeoptException(what + ": segmented tensors are not supported");
        int[] shape = new int[p.getDimsCount()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = p.getDims(i);
            if (d < 0) throw new EdgeoptException(what + ": negative dimension " + d);
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new EdgeoptException(what + ": shape " + p.getDimsList() + " overflows");
            }
            if (d > Integer.MAX_VALUE || n > Integer.MAX_VALUE - 16) {
                throw new EdgeoptException(what + ": shape " + p.getDimsList() + " overflows (more than 2^31 elements)");
            }
            shape[i] = (int) d;
        }
        int count = (int) n;
        if (p.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            byte[] raw = readExternal(p, baseDir, what, (long) count * dt.byteSize());
            return decodeRaw(dt, shape, raw, what);
        }
        if (p.hasRawData()) return decodeRaw(dt, shape, p.getRawData().toByteArray(), what);
        Tensor t = Tensor.allocate(dt, shape);
        int have = switch (dt) {
            case FLOAT -> p.getFloatDataCount();
            case DOUBLE -> p.getDoubleDataCount();
            case INT64 -> p.getInt64DataCount();
            case UINT32, UINT64 -> p.getUint64DataCount();
            case STRING -> p.getStringDataCount();
            default -> p.getInt32DataCount();
        };
        if (have != count) {
            throw new EdgeoptException(what + ": shape " + p.getDimsList() + " declares " + count + " elements but the tensor holds " + have);
        }
        switch (dt) {
            case FLOAT -> { for (int i = 0; i < count; i++) t.floats()[i] = p.getFloatData(i); }
            case DOUBLE -> { for (int i = 0; i < count; i++) t.doubles()[i] = p.getDoubleData(i); }
            case INT64 -> { for (int i = 0; i < count; i++) t.longs()[i] = p.getInt64Data(i); }
            case UINT64 -> { for (int i = 0; i < count; i++) t.longs()[i] = p.getUint64Data(i); }
            case UINT32 -> { for (int i = 0; i < count; i++) t.ints()[i] = (int) p.getUint64Data(i); }
            case INT32 -> { for (int i = 0; i < count; i++) t.ints()[i] = p.getInt32Data(i); }
            case INT16, UINT16, FLOAT16, BFLOAT16 -> { for (int i = 0; i < count; i++) t.shorts()[i] = (short) p.getInt32Data(i); }
            case INT8, UINT8 -> { for (int i = 0; i < count; i++) t.bytes()[i] = (byte) p.getInt32Data(i); }
            case BOOL -> { for (int i = 0; i < count; i++) t.bools()[i] = p.getInt32Data(i) != 0; }
            case STRING -> { for (int i = 0; i < count; i++) t.strings()[i] = p.getStringData(i).toStringUtf8(); }
        }
        return t;
    }

    private static Tensor decodeRaw(DType dt, int[] shape, byte[] raw, String what) {
        if (dt == DType.STRING) throw new EdgeoptException(what + ": string tensors cannot use raw_data");
        long need = (long) Tensor.numel(shape) * dt.byteSize();
        if (raw.length != need) {
            throw new EdgeoptException(what + ": shape " + java.util.Arrays.toString(shape) + " needs " + need + " bytes of " + dt + " data but the tensor holds " + raw.length);
        }
        return Npy.decode(dt, shape, ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN));
    }

    private static byte[] readExternal(TensorProto p, Path baseDir, String what, long need) {
        String location = null;
        long offset = 0, length = -1;
        for (StringStringEntryProto e : p.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = parseLong(e.getValue(), what, "offset");
                case "length" -> length = parseLong(e.getValue(), what, "length");
                default -> { /* checksum and others: not needed to read */ }
            }
        }
        if (location == null || location.isEmpty()) throw new EdgeoptException(what + ": external data has no location");
        Path file = resolveExternal(baseDir, location, what);
        if (length < 0) length = need;
        if (length != need) throw new EdgeoptException(what + ": external data length " + length + " does not match the " + need + " bytes its shape needs");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            if (offset < 0 || offset + length > f.length()) {
                throw new EdgeoptException(what + ": external data [" + offset + ", " + (offset + length) + ") lies beyond the end of " + location + " (" + f.length() + " bytes)");
            }
            byte[] b = new byte[(int) length];
            f.seek(offset);
            f.readFully(b);
            return b;
        } catch (IOException e) {
            throw new EdgeoptException(what + ": cannot read external data " + location + ": " + e.getMessage(), e);
        }
    }

    /**
     * Resolves an external-data location inside the model's folder. Absolute paths, ".." segments
     * and symlinks that lead outside the folder are refused: a model must not read arbitrary files.
     */
    static Path resolveExternal(Path baseDir, String location, String what) {
        if (baseDir == null) throw new EdgeoptException(what + ": external data '" + location + "' but the model was not loaded from a file");
        if (location.startsWith("/") || location.startsWith("\\") || location.matches("^[A-Za-z]:.*") || Path.of(location).isAbsolute()) {
            throw new EdgeoptException(what + ": external data location '" + location + "' is absolute; it must be relative to the model's folder");
        }
        for (String seg : location.split("[/\\\\]")) {
            if (seg.equals("..")) throw new EdgeoptException(what + ": external data location '" + location + "' contains '..'; it must stay inside the model's folder");
        }
        try {
            Path base = baseDir.toRealPath();
            Path p = base.resolve(location).normalize();
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) throw new EdgeoptException(what + ": external data file '" + location + "' not found next to the model");
            Path real = p.toRealPath();
            if (!real.startsWith(base)) {
                throw new EdgeoptException(what + ": external data location '" + location + "' resolves outside the model's folder (to " + real + ")");
            }
            if (!Files.isRegularFile(real)) throw new EdgeoptException(what + ": external data '" + location + "' is not a regular file");
            return real;
        } catch (IOException e) {
            throw new EdgeoptException(what + ": cannot resolve external data '" + location + "': " + e.getMessage(), e);
        }
    }

    private static long parseLong(String s, String what, String key) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new EdgeoptException(what + ": external data " + key + " '" + s + "' is not a number");
        }
    }

    /** Encodes a tensor as a TensorProto with raw_data (strings use string_data). */
    public static TensorProto toProto(Tensor t, String name) {
        TensorProto.Builder b = TensorProto.newBuilder().setDataType(t.dtype().onnxCode());
        if (name != null) b.setName(name);
        for (int d : t.dims()) b.addDims(d);
        if (t.dtype() == DType.STRING) {
            for (int i = 0; i < t.size(); i++) b.addStringData(ByteString.copyFrom(t.strings()[t.offset() + i], StandardCharsets.UTF_8));
        } else {
            b.setRawData(ByteString.copyFrom(Npy.encode(t)));
        }
        return b.build();
    }

    /** Reads a serialized TensorProto file (the ONNX test-data {@code .pb} format). */
    public static Tensor readPb(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new EdgeoptException(file + ": no such file");
        } catch (IOException e) {
            throw new EdgeoptException(file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return fromProto(TensorProto.parseFrom(bytes), file.getParent(), file.toString());
        } catch (InvalidProtocolBufferException e) {
            throw new EdgeoptException(file + ": not a serialized ONNX TensorProto (" + e.getMessage() + ")");
        }
    }

    /** The name stored in a serialized TensorProto file, or "" when absent. */
    public static String pbName(Path file) {
        try {
            return TensorProto.parseFrom(Files.readAllBytes(file)).getName();
        } catch (IOException e) {
            throw new EdgeoptException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    public static void writePb(Path file, Tensor t, String name) {
        AtomicFile.write(file, toProto(t, name).toByteArray());
    }

    /** Reads .npy or .pb by extension. */
    public static Tensor read(Path file) {
        String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (n.endsWith(".pb")) return readPb(file);
        if (n.endsWith(".npy")) return Npy.read(file);
        throw new EdgeoptException(file + ": unknown tensor file type; use .npy or .pb (ONNX TensorProto)");
    }

    static String dataTypeName(int code) {
        TensorProto.DataType d = TensorProto.DataType.forNumber(code);
        return d == null ? "unknown" : d.name();
    }
}
