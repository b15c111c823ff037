package dev.edgeopt.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @Test
    void roundTripsEveryNumericType(@TempDir Path dir) {
        for (DType t : new DType[] {DType.FLOAT, DType.DOUBLE, DType.INT64, DType.INT32, DType.INT8, DType.UINT8, DType.BOOL, DType.FLOAT16}) {
            Tensor x = Tensor.allocate(t, 2, 3);
            for (int i = 0; i < x.size(); i++) x.setDouble(i, i % 2 == 0 ? i : -i);
            Path f = dir.resolve(t + ".npy");
            Npy.write(f, x);
            assertTrue(x.contentEquals(Npy.read(f)), t.toString());
        }
        Tensor s = Tensor.scalar(3.5f).reshape();
        assertTrue(s.contentEquals(Npy.parse(Npy.toBytes(s), "scalar")));
    }

    @Test
    void readsNumpyWrittenHeader() {
        // Header exactly as numpy 1.24 writes np.arange(3, dtype=np.float32).
        String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
        h = h + " ".repeat(118 - h.length() - 1) + "\n";
        byte[] hb = h.getBytes();
        byte[] b = new byte[10 + hb.length + 12];
        b[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(), 0, b, 1, 5);
        b[6] = 1;
        b[8] = (byte) hb.length;
        System.arraycopy(hb, 0, b, 10, hb.length);
        java.nio.ByteBuffer.wrap(b, 10 + hb.length, 12).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(0f).putFloat(1f).putFloat(2f);
        assertArrayEquals(new float[] {0, 1, 2}, Npy.parse(b, "x").floats(), 0f);
    }

    @Test
    void truncatedAndForeignFilesFailWithOneLine(@TempDir Path dir) throws Exception {
        byte[] good = Npy.toBytes(Tensor.of(new float[] {1, 2, 3, 4}, 4));
        Path f = dir.resolve("t.npy");
        Files.write(f, java.util.Arrays.copyOf(good, good.length - 3));
        String m = assertThrows(EdgeoptException.class, () -> Npy.read(f)).getMessage();
        assertTrue(m.contains("truncated") && !m.contains("\n"), m);
        Files.writeString(f, "hello, world");
        assertTrue(assertThrows(EdgeoptException.class, () -> Npy.read(f)).getMessage().contains("not a .npy file"));
    }

    @Test
    void atomicWriteLeavesNoTemporaryFiles(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("out.txt");
        AtomicFile.writeString(f, "one");
        AtomicFile.writeString(f, "two");
        assertTrue(Files.readString(f).equals("two"));
        try (var s = Files.list(dir)) {
            assertTrue(s.count() == 1);
        }
    }
}
