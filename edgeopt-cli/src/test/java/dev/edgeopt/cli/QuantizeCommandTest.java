package dev.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OnnxImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizeCommandTest {
    @TempDir Path tmp;

    @Test void quantizesACnnOnFashionMnistAndMeasuresIt() throws Exception {
        Path m = tmp.resolve("cnn.onnx"), out = tmp.resolve("cnn.int8.onnx");
        OnnxExporter.save(Architectures.build("cnn", new int[] {1, 28, 28}, 10, 0.5, 3), m);
        CliTest.Result r = CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--calib-samples", "30", "--eval-samples", "60",
                "--method", "mse", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        // A half-width model: names and scales weigh more than in the full-width ones (27%).
        assertTrue(j.get("size_ratio").asDouble() < 0.35, j.toString());
        assertEquals(Files.size(out), j.get("size_after").asLong());
        assertEquals(3, j.get("accuracy").size());
        assertTrue(j.get("argmax_agreement").asDouble() >= 0.95, j.toString());
        assertTrue(j.get("within_one_step").asDouble() >= 0.95, j.toString());
        assertEquals("integer-only", j.get("java_engine").asText(), j.toString());
        assertTrue(j.get("layers").size() >= 4);
        assertEquals(3, j.get("worst_layers").size());
        Graph q = OnnxImporter.load(out);
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(m))), q.metadata().get("edgeopt.quant.source_sha256"));
        assertEquals("mse", q.metadata().get("edgeopt.quant.method"));
        assertEquals("30", q.metadata().get("edgeopt.quant.calibration_samples"));
        assertTrue(q.opHistogram().get("QuantizeLinear") >= 4);
    }

    @Test void weightsOnlyKeepsTheFloatModelsPredictions() throws Exception {
        Path m = tmp.resolve("dscnn.onnx");
        OnnxExporter.save(Architectures.build("dscnn", new int[] {1, 28, 28}, 10, 0.5, 3), m);
        for (String t : new String[] {"fp16", "int8"}) {
            Path out = tmp.resolve("dscnn." + t + ".onnx");
            CliTest.Result r = CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--weights-only", t, "--eval-samples", "40", "--json");
            assertEquals(0, r.code(), r.err());
            JsonNode j = r.json();
            assertTrue(j.get("size_ratio").asDouble() < (t.equals("fp16") ? 0.55 : 0.35), j.toString());
            double fp32 = j.get("accuracy").get(0).get("accuracy").asDouble();
            assertEquals(fp32, j.get("accuracy").get(1).get("accuracy").asDouble(), 0.05, t);
            assertEquals(fp32, j.get("accuracy").get(2).get("accuracy").asDouble(), 0.05, t);
            assertTrue(j.get("argmax_agreement").asDouble() >= 0.95, j.toString());
            Graph q = OnnxImporter.load(out);
            assertEquals(0, q.opHistogram().getOrDefault("QuantizeLinear", 0), "activations stay float");
            assertTrue(q.opHistogram().getOrDefault(t.equals("fp16") ? "Cast" : "DequantizeLinear", 0) >= 5);
        }
    }

    @Test void dynamicQuantizationOfAnMlpRunsInBothEngines() throws Exception {
        Path m = tmp.resolve("mlp.onnx"), out = tmp.resolve("mlp.dyn.onnx");
        OnnxExporter.save(Architectures.build("mlp", new int[] {1, 28, 28}, 10, 0.5, 3), m);
        CliTest.Result r = CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--dynamic", "--eval-samples", "50", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("size_ratio").asDouble() < 0.3, j.toString());
        double fp32 = j.get("accuracy").get(0).get("accuracy").asDouble();
        assertEquals(fp32, j.get("accuracy").get(1).get("accuracy").asDouble(), 0.06);
        assertTrue(j.get("argmax_agreement").asDouble() >= 0.98, j.toString());
        Graph q = OnnxImporter.load(out);
        assertEquals(3, q.opHistogram().get("MatMulInteger"));
        assertEquals(0, q.opHistogram().getOrDefault("Gemm", 0));
    }

    @Test void qoperatorFormatIsTheIntegerGraphOrtRuns() throws Exception {
        Path m = tmp.resolve("resnet8.onnx"), out = tmp.resolve("resnet8.qop.onnx");
        OnnxExporter.save(Architectures.build("resnet8", new int[] {1, 28, 28}, 10, 0.5, 3), m);
        CliTest.Result r = CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--format", "qoperator", "--calib-samples", "30",
                "--eval-samples", "40", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals("integer-only", j.get("java_engine").asText(), j.toString());
        assertEquals(0, j.get("float_ops").size(), j.toString());
        // ORT ran the written QOperator file.
        assertTrue(j.get("argmax_agreement").asDouble() >= 0.95, j.toString());
        Graph q = OnnxImporter.load(out);
        var h = q.opHistogram();
        assertEquals(0, h.getOrDefault("Conv", 0), h.toString());
        assertTrue(h.getOrDefault("QLinearConv", 0) >= 5 && h.getOrDefault("QLinearAdd", 0) >= 2 && h.getOrDefault("QGemm", 0) == 1, h.toString());
        assertEquals(1, h.getOrDefault("QuantizeLinear", 0), h.toString());
    }

    @Test void uint8ActivationsAreWrittenAndRunInBothEngines() throws Exception {
        Path m = tmp.resolve("resnet8.onnx"), out = tmp.resolve("resnet8.u8.onnx");
        OnnxExporter.save(Architectures.build("resnet8", new int[] {1, 28, 28}, 10, 0.5, 3), m);
        CliTest.Result r = CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--activations", "uint8", "--calib-samples", "30",
                "--eval-samples", "40", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals("integer-only", j.get("java_engine").asText(), j.toString());
        assertTrue(j.get("argmax_agreement").asDouble() >= 0.95, j.toString());
        Graph q = OnnxImporter.load(out);
        assertEquals("uint8 asymmetric", q.metadata().get("edgeopt.quant.activations"));
        for (var n : q.nodes()) if (n.opType().equals("QuantizeLinear")) assertEquals(dev.edgeopt.ir.DType.UINT8, n.output(0).dtype(), n.describe());
    }

    @Test void badFormatsAndMethodsAreOneLineErrors() throws Exception {
        Path m = tmp.resolve("mlp.onnx");
        OnnxExporter.save(Architectures.build("mlp", new int[] {1, 28, 28}, 10, 0.25, 3), m);
        CliTest.Result r = CliTest.cli("quantize", m.toString(), "-o", tmp.resolve("x.onnx").toString(), "--format", "qop");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--format is qdq or qoperator"), r.err());
        r = CliTest.cli("quantize", m.toString(), "-o", tmp.resolve("x.onnx").toString(), "--format", "qoperator", "--dynamic");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("static int8"), r.err());
        r = CliTest.cli("quantize", m.toString(), "-o", tmp.resolve("x.onnx").toString(), "--method", "median");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown calibration method"), r.err());
        r = CliTest.cli("quantize", m.toString(), "-o", tmp.resolve("x.onnx").toString(), "--activations", "int4");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--activations is int8 or uint8"), r.err());
    }

    /** A data directory with train/ and test/ parts holding the same x.npy (n samples) and labels. */
    private Path npyData(String name, Tensor x) throws Exception {
        Path dir = tmp.resolve(name);
        int n = x.dim(0);
        long[] y = new long[n];
        for (int i = 0; i < n; i++) y[i] = i % 10;
        for (String part : List.of("train", "test")) {
            Files.createDirectories(dir.resolve(part));
            Npy.write(dir.resolve(part).resolve("x.npy"), x);
            Npy.write(dir.resolve(part).resolve("y.npy"), Tensor.ofLongs(y, n));
        }
        return dir;
    }

    private static float[] pixels(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (i * 37 % 101) / 100f;
        return x;
    }

    /** Exit 1; the last stderr line is the one-line error (progress lines may come before it). */
    private static void assertBadInput(CliTest.Result r, String... mentions) {
        assertEquals(1, r.code(), r.err());
        List<String> lines = r.err().strip().lines().toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("edgeopt: "), r.err());
        assertTrue(!r.err().contains("\tat ") && !r.err().contains("Exception"), "no stack trace: " + r.err());
        for (String m : mentions) assertTrue(last.contains(m), "error names '" + m + "': " + r.err());
    }

    @Test void badCalibrationDataAndWeightsAreOneLineErrors() throws Exception {
        Path m = tmp.resolve("cnn.onnx"), out = tmp.resolve("out.onnx");
        OnnxExporter.save(Architectures.build("cnn", new int[] {1, 28, 28}, 10, 0.25, 3), m);
        // Samples of the wrong shape.
        Path wrongShape = npyData("small", Tensor.of(pixels(20 * 100), 20, 1, 10, 10));
        assertBadInput(CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--data", wrongShape.toString()), wrongShape.toString(), "[1, 10, 10]", "1,28,28]");
        // Samples of the wrong dtype: int64 pixels have no agreed scale.
        long[] ints = new long[20 * 784];
        Path wrongType = npyData("ints", Tensor.ofLongs(ints, 20, 1, 28, 28));
        assertBadInput(CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--data", wrongType.toString()), "x.npy", "int64");
        // An empty data set.
        Path empty = npyData("empty", Tensor.of(new float[0], 0, 1, 28, 28));
        assertBadInput(CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--data", empty.toString()), empty.toString(), "empty");
        // NaN in the calibration activations (here already in one input pixel of sample 7).
        float[] px = pixels(20 * 784);
        px[7 * 784 + 300] = Float.NaN;
        Path nanData = npyData("nan", Tensor.of(px, 20, 1, 28, 28));
        assertBadInput(CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--data", nanData.toString(), "--calib-samples", "20"),
                nanData.toString(), "sample 7", "NaN");
        // Inf in a weight of the model file.
        Graph g = OnnxImporter.load(m);
        Node conv = g.nodes().stream().filter(n -> n.opType().equals("Conv")).findFirst().orElseThrow();
        Value w = conv.input(1);
        float[] wa = w.constant().toFloatArray();
        wa[2] = Float.NEGATIVE_INFINITY;
        g.setConstant(w, Tensor.of(wa, w.constant().shape()));
        Path infModel = tmp.resolve("inf.onnx");
        OnnxExporter.save(g, infModel);
        Path good = npyData("good", Tensor.of(pixels(20 * 784), 20, 1, 28, 28));
        assertBadInput(CliTest.cli("quantize", infModel.toString(), "-o", out.toString(), "--data", good.toString()), w.name(), conv.name(), "Infinity");
        assertTrue(!Files.exists(out), "no output after an error");
    }

    @Test void unknownOpStaysFloatWithAWarningNamingIt() throws Exception {
        Graph g = Architectures.build("mlp", new int[] {1, 28, 28}, 10, 0.25, 3);
        Node sq = g.addNode("Softsign", "squash", List.of(g.outputs().get(0)), 1);
        g.setOutput(0, sq.output(0));
        Path m = tmp.resolve("soft.onnx"), out = tmp.resolve("soft.int8.onnx");
        OnnxExporter.save(g, m);
        Path data = npyData("d", Tensor.of(pixels(30 * 784), 30, 1, 28, 28));
        CliTest.Result r = CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--data", data.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("warning: ") && l.contains("Softsign") && l.contains("squash")), r.err());
        Graph q = OnnxImporter.load(out);
        assertEquals(1, q.opHistogram().get("Softsign"));
        assertTrue(q.opHistogram().get("QuantizeLinear") >= 3);
        assertTrue(r.json().get("warnings").toString().contains("Softsign"));
    }

    @Test void maxAccuracyDropAndCleAreReported() throws Exception {
        Path m = tmp.resolve("dscnn.onnx"), out = tmp.resolve("dscnn.int8.onnx");
        OnnxExporter.save(Architectures.build("dscnn", new int[] {1, 28, 28}, 10, 0.25, 3), m);
        Path data = npyData("d", Tensor.of(pixels(80 * 784), 80, 1, 28, 28));
        CliTest.Result r = CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--data", data.toString(), "--calib-samples", "20",
                "--val-samples", "60", "--max-accuracy-drop", "0", "--cle", "--per-tensor", "--eval-samples", "20", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode mp = r.json().get("mixed_precision");
        assertEquals(60, mp.get("validation_samples").asInt());
        double drop = mp.get("float_accuracy").asDouble() - mp.get("final_accuracy").asDouble();
        assertTrue(mp.get("within_budget").asBoolean() == (drop <= 1e-12), mp.toString());
        Graph q = OnnxImporter.load(out);
        assertEquals("true", q.metadata().get("edgeopt.quant.cross_layer_equalization"));
        List<String> kept = new java.util.ArrayList<>();
        mp.get("kept_float").forEach(l -> kept.add(l.get("node").asText()));
        assertEquals(kept.isEmpty() ? null : String.join(",", new java.util.TreeSet<>(kept)), q.metadata().get("edgeopt.quant.float_layers"));
        r = CliTest.cli("quantize", m.toString(), "-o", out.toString(), "--data", data.toString(), "--calib-samples", "20", "--val-samples", "70",
                "--max-accuracy-drop", "0.5");
        assertBadInput(r, "too few");
    }
}
