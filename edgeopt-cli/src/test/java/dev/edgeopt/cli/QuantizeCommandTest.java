package dev.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OnnxImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
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

    @Test void unfinishedModesSayNotYet() throws Exception {
        Path m = tmp.resolve("mlp.onnx");
        OnnxExporter.save(Architectures.build("mlp", new int[] {1, 28, 28}, 10, 0.25, 3), m);
        CliTest.Result r = CliTest.cli("quantize", m.toString(), "-o", tmp.resolve("x.onnx").toString(), "--format", "qoperator");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not yet"), r.err());
        r = CliTest.cli("quantize", m.toString(), "-o", tmp.resolve("x.onnx").toString(), "--method", "median");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown calibration method"), r.err());
    }
}
