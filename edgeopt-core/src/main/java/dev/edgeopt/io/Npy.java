package dev.edgeopt.io;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** NumPy {@code .npy} files (format versions 1 to 3, C order), for inputs, outputs and data sets. */
public final class Npy {
    private Npy() {}

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    public static Tensor read(Path file) {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new EdgeoptException(file + ": no such file");
        } catch (IOException e) {
            throw new EdgeoptException(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(b, file.toString());
    }

    public static Tensor parse(byte[] b, String label) {
        if (b.length < 10) throw new EdgeoptException(label + ": not a .npy file (" + b.length + " bytes)");
        for (int i = 0; i < MAGIC.length; i++) if (b[i] != MAGIC[i]) throw new EdgeoptException(label + ": not a .npy file (bad magic)");
        int major = b[6] & 0xFF;
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen, start;
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xFFFF;
            start = 10;
        } else if (major == 2 || major == 3) {
            if (b.length < 12) throw new EdgeoptException(label + ": truncated .npy header");
            headerLen = bb.getInt(8);
            start = 12;
        } else {
            throw new EdgeoptException(label + ": unsupported .npy version " + major);
        }
        if (headerLen < 0 || start + headerLen > b.length) throw new EdgeoptException(label + ": truncated .npy header");
        String header = new String(b, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = field(header, "descr", "'([^']*)'", label);
        String fortran = field(header, "fortran_order", "(True|False)", label);
        String shapeStr = field(header, "shape", "\\(([^)]*)\\)", label);
        if (fortran.equals("True")) throw new EdgeoptException(label + ": Fortran-order .npy arrays are not supported; save with np.ascontiguousarray");
        List<Integer> dims = new ArrayList<>();
        for (String p : shapeStr.split(",")) {
            p = p.trim();
            if (p.isEmpty()) continue;
            long d;
            try {
                d = Long.parseLong(p.replace("L", ""));
            } catch (NumberFormatException e) {
                throw new EdgeoptException(label + ": bad shape in .npy header: (" + shapeStr + ")");
            }
            if (d < 0 || d > Integer.MAX_VALUE) throw new EdgeoptException(label + ": dimension " + d + " out of range");
            dims.add((int) d);
        }
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        boolean big = descr.startsWith(">");
        String code = descr.substring(descr.length() >= 2 && "<>|=".indexOf(descr.charAt(0)) >= 0 ? 1 : 0);
        DType dt = switch (code) {
            case "f4" -> DType.FLOAT;
            case "f8" -> DType.DOUBLE;
            case "f2" -> DType.FLOAT16;
            case "i8" -> DType.INT64;
            case "u8" -> DType.UINT64;
            case "i4" -> DType.INT32;
            case "u4" -> DType.UINT32;
            case "i2" -> DType.INT16;
            case "u2" -> DType.UINT16;
            case "i1" -> DType.INT8;
            case "u1" -> DType.UINT8;
            case "b1" -> DType.BOOL;
            default -> throw new EdgeoptException(label + ": unsupported .npy dtype '" + descr + "'");
        };
        int n;
        try {
            n = Tensor.numel(shape);
        } catch (ArithmeticException e) {
            throw new EdgeoptException(label + ": shape too large");
        }
        int dataStart = start + headerLen;
        long need = (long) n * dt.byteSize();
        if (b.length - dataStart < need) {
            throw new EdgeoptException(label + ": truncated .npy data: shape " + java.util.Arrays.toString(shape) + " needs " + need + " bytes, file has " + (b.length - dataStart));
        }
        ByteBuffer data = ByteBuffer.wrap(b, dataStart, (int) need).slice().order(big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        return decode(dt, shape, data);
    }

    /** Decodes packed little- or big-endian elements (the buffer's order) into a tensor. */
    public static Tensor decode(DType dt, int[] shape, ByteBuffer data) {
        int n = Tensor.numel(shape);
        Tensor t = Tensor.allocate(dt, shape);
        switch (dt) {
            case FLOAT -> data.asFloatBuffer().get(t.floats(), 0, n);
            case DOUBLE -> data.asDoubleBuffer().get(t.doubles(), 0, n);
            case INT64, UINT64 -> data.asLongBuffer().get(t.longs(), 0, n);
            case INT32, UINT32 -> data.asIntBuffer().get(t.ints(), 0, n);
            case INT16, UINT16, FLOAT16, BFLOAT16 -> data.asShortBuffer().get(t.shorts(), 0, n);
            case INT8, UINT8 -> data.get(t.bytes(), 0, n);
            case BOOL -> { for (int i = 0; i < n; i++) t.bools()[i] = data.get(i) != 0; }
            case STRING -> throw new EdgeoptException("string tensors cannot be decoded from packed bytes");
        }
        return t;
    }

    /** Packs a tensor's elements little-endian. */
    public static byte[] encode(Tensor t) {
        int n = t.size();
        ByteBuffer bb = ByteBuffer.allocate(n * t.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        int o = t.offset();
        switch (t.dtype()) {
            case FLOAT -> bb.asFloatBuffer().put(t.floats(), o, n);
            case DOUBLE -> bb.asDoubleBuffer().put(t.doubles(), o, n);
            case INT64, UINT64 -> bb.asLongBuffer().put(t.longs(), o, n);
            case INT32, UINT32 -> bb.asIntBuffer().put(t.ints(), o, n);
            case INT16, UINT16, FLOAT16, BFLOAT16 -> bb.asShortBuffer().put(t.shorts(), o, n);
            case INT8, UINT8 -> bb.put(t.bytes(), o, n);
            case BOOL -> { for (int i = 0; i < n; i++) bb.put(i, (byte) (t.bools()[o + i] ? 1 : 0)); }
            case STRING -> throw new EdgeoptException("string tensors cannot be packed");
        }
        return bb.array();
    }

    private static String field(String header, String key, String valueRe, String label) {
        Matcher m = Pattern.compile("'" + key + "'\\s*:\\s*" + valueRe).matcher(header);
        if (!m.find()) throw new EdgeoptException(label + ": .npy header lacks '" + key + "'");
        return m.group(1);
    }

    public static byte[] toBytes(Tensor t) {
        String descr = switch (t.dtype()) {
            case FLOAT -> "<f4";
            case DOUBLE -> "<f8";
            case FLOAT16 -> "<f2";
            case INT64 -> "<i8";
            case UINT64 -> "<u8";
            case INT32 -> "<i4";
            case UINT32 -> "<u4";
            case INT16 -> "<i2";
            case UINT16 -> "<u2";
            case INT8 -> "|i1";
            case UINT8 -> "|u1";
            case BOOL -> "|b1";
            default -> throw new EdgeoptException("cannot write " + t.dtype() + " to .npy");
        };
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < t.rank(); i++) shape.append(t.dim(i)).append(t.rank() == 1 ? "," : i + 1 < t.rank() ? ", " : "");
        shape.append(')');
        String h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = 10 + h.length() + 1;
        int pad = (64 - total % 64) % 64;
        h = h + " ".repeat(pad) + "\n";
        byte[] hb = h.getBytes(StandardCharsets.ISO_8859_1);
        byte[] data = encode(t);
        ByteBuffer bb = ByteBuffer.allocate(10 + hb.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) hb.length).put(hb).put(data);
        return bb.array();
    }

    /** Writes atomically. */
    public static void write(Path file, Tensor t) { AtomicFile.write(file, toBytes(t)); }
}
