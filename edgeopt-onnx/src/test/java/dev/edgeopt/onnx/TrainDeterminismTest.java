package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Augment;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.train.ModelIo;
import dev.edgeopt.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Same seed and threads give byte-identical ONNX; a run resumed from a checkpoint ends where an uninterrupted one does. */
class TrainDeterminismTest {
    @TempDir Path tmp;

    static final ModelIo ONNX = new ModelIo() {
        @Override public byte[] write(Graph g) { return OnnxExporter.toBytes(g); }

        @Override public Graph read(byte[] bytes, String label) { return OnnxImporter.fromBytes(bytes, label); }
    };

    static Dataset blobs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 36];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(2);
            for (int j = 0; j < 36; j++) x[i * 36 + j] = (float) (r.nextDouble() * 0.5 + (y[i] == 1 && j < 18 ? 0.5 : 0));
        }
        return new Dataset("blobs", x, new int[] {1, 6, 6}, y, 2, null);
    }

    private static Trainer.Config cfg(int epochs) {
        Trainer.Config c = new Trainer.Config();
        c.epochs = epochs;
        c.batch = 16;
        c.threads = 2;
        c.seed = 21;
        c.augment = Augment.parse("shift=1");
        c.io = ONNX;
        return c;
    }

    private static Graph model() { return Architectures.build("dscnn", new int[] {1, 6, 6}, 2, 0.25, 2, 21); }

    @Test
    void sameSeedWritesByteIdenticalOnnx() {
        Dataset d = blobs(160, 1);
        byte[] a = OnnxExporter.toBytes(new Trainer(cfg(2)).fit(model(), d, null).model());
        byte[] b = OnnxExporter.toBytes(new Trainer(cfg(2)).fit(model(), d, null).model());
        assertArrayEquals(a, b);
        Trainer.Config other = cfg(2);
        other.seed = 22;
        assertFalse(Arrays.equals(a, OnnxExporter.toBytes(new Trainer(other).fit(model(), d, null).model())));
    }

    @Test
    void resumeContinuesExactly() {
        Dataset d = blobs(160, 2);
        byte[] straight = OnnxExporter.toBytes(new Trainer(cfg(3)).fit(model(), d, null).model());
        Path ck = tmp.resolve("ck");
        Trainer.Config first = cfg(3);
        first.checkpointDir = ck;
        first.onEpoch = e -> {
            if (e.epoch() == 1) throw new IllegalStateException("interrupted");
        };
        assertThrows(IllegalStateException.class, () -> new Trainer(first).fit(model(), d, null));
        assertTrue(Files.exists(ck.resolve("model.onnx")) && Files.exists(ck.resolve("trainer.properties")));
        Trainer.Config rest = cfg(3);
        rest.checkpointDir = ck;
        rest.resume = true;
        Trainer.Result r = new Trainer(rest).fit(model(), d, null);
        assertEquals(2, r.history().size());
        assertArrayEquals(straight, OnnxExporter.toBytes(r.model()));
    }

    @Test
    void brokenCheckpointIsAOneLineError() throws Exception {
        Path ck = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(ck.resolve("trainer.properties"), "epoch=1\nstep=3\nbest=0.5\nbad_epochs=0\n");
        Files.write(ck.resolve("model.onnx"), new byte[] {1, 2, 3});
        Trainer.Config c = cfg(2);
        c.checkpointDir = ck;
        c.resume = true;
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> new Trainer(c).fit(model(), blobs(32, 3), null));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
