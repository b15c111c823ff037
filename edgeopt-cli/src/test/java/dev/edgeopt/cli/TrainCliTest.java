package dev.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeopt.io.Npy;
import dev.edgeopt.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train} and {@code eval} on a small generated data set (x.npy/y.npy in train/ and test/). */
class TrainCliTest {
    @TempDir Path tmp;

    /** Two classes of 6x6 images: the upper half brighter, or not. */
    static void writeSplit(Path dir, int n, long seed, long labelOffset) throws Exception {
        Files.createDirectories(dir);
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 36];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(2);
            for (int j = 0; j < 36; j++) x[i * 36 + j] = (float) (r.nextDouble() * 0.5 + (y[i] == 1 && j < 18 ? 0.5 : 0));
            y[i] += labelOffset;
        }
        Npy.write(dir.resolve("x.npy"), Tensor.of(x, n, 1, 6, 6));
        Npy.write(dir.resolve("y.npy"), Tensor.vector(y));
    }

    private Path data() throws Exception {
        Path d = tmp.resolve("data");
        writeSplit(d.resolve("train"), 200, 1, 0);
        writeSplit(d.resolve("test"), 100, 2, 0);
        return d;
    }

    @Test
    void trainThenEvalWithBothEngines() throws Exception {
        Path d = data(), model = tmp.resolve("m.onnx");
        CliTest.Result t = CliTest.cli("train", "--arch", "cnn", "--width", "0.25", "--data", d.toString(), "--epochs", "2", "--batch", "20",
                "--threads", "2", "--quiet", "-o", model.toString(), "--json");
        assertEquals(0, t.code(), t.err());
        JsonNode j = t.json();
        assertTrue(j.get("test_accuracy").asDouble() > 0.9, t.out());
        assertEquals(2, j.get("history").size());
        byte[] first = Files.readAllBytes(model);
        CliTest.Result again = CliTest.cli("train", "--arch", "cnn", "--width", "0.25", "--data", d.toString(), "--epochs", "2", "--batch", "20",
                "--threads", "2", "--quiet", "-o", model.toString());
        assertEquals(0, again.code(), again.err());
        assertArrayEquals(first, Files.readAllBytes(model), "same seed and threads: byte-identical ONNX");

        CliTest.Result java = CliTest.cli("eval", model.toString(), "--data", d.toString(), "--json");
        CliTest.Result ort = CliTest.cli("eval", model.toString(), "--data", d.toString(), "--engine", "ort", "--json");
        assertEquals(0, java.code(), java.err());
        assertEquals(0, ort.code(), ort.err());
        JsonNode jj = java.json(), oj = ort.json();
        for (String f : new String[] {"accuracy", "macro_f1", "per_class", "confusion"}) assertTrue(jj.has(f), f + " in " + java.out());
        assertEquals(jj.get("accuracy").asDouble(), oj.get("accuracy").asDouble(), 0.0005);
        assertEquals(j.get("test_accuracy").asDouble(), jj.get("accuracy").asDouble(), 1e-12);
        assertEquals(2, jj.get("per_class").size());
        assertEquals(100, jj.get("confusion").get(0).get(0).asLong() + jj.get("confusion").get(0).get(1).asLong()
                + jj.get("confusion").get(1).get(0).asLong() + jj.get("confusion").get(1).get(1).asLong());
        CliTest.Result text = CliTest.cli("eval", model.toString(), "--data", d.toString());
        assertTrue(text.out().contains("macro F1") && text.out().contains("confusion"), text.out());
    }

    @Test
    void foldsReportEachFold() throws Exception {
        Path d = data();
        CliTest.Result r = CliTest.cli("train", "--arch", "mlp", "--width", "0.1", "--data", d.toString(), "--epochs", "1", "--batch", "20", "--folds", "3", "--normalize", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("fold 3/3") && r.out().contains("mean over 3 folds"), r.out());
    }

    @Test
    void errors() throws Exception {
        Path d = data(), model = tmp.resolve("m.onnx");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        CliTest.cli("train", "--arch", "mlp", "--data", empty.toString(), "-o", model.toString()).assertBadInput("no data set found");
        CliTest.cli("train", "--arch", "mlp", "--data", tmp.resolve("missing").toString(), "-o", model.toString()).assertBadInput("not a data set name");
        CliTest.cli("train", "--arch", "vgg", "--data", d.toString(), "-o", model.toString()).assertBadInput("unknown architecture");
        // Labels that do not match the classes: the test part has a label the model cannot output.
        Path bad = tmp.resolve("bad");
        writeSplit(bad.resolve("train"), 40, 1, 0);
        writeSplit(bad.resolve("test"), 40, 2, 1);
        assertEquals(0, CliTest.cli("train", "--arch", "mlp", "--width", "0.1", "--data", d.toString(), "--epochs", "1", "--quiet", "-o", model.toString()).code());
        CliTest.cli("eval", model.toString(), "--data", bad.toString()).assertBadInput("classes");
        // A model whose output does not match the data set's class count.
        Path ten = tmp.resolve("ten");
        Files.createDirectories(ten.resolve("train"));
        Npy.write(ten.resolve("train/x.npy"), Tensor.of(new float[20 * 36], 20, 1, 6, 6));
        long[] y = new long[20];
        for (int i = 0; i < 20; i++) y[i] = i % 10;
        Npy.write(ten.resolve("train/y.npy"), Tensor.vector(y));
        CliTest.cli("eval", model.toString(), "--data", ten.toString(), "--train").assertBadInput("2 classes", "10");
    }
}
