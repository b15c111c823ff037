package dev.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code analyze}, {@code devices} and {@code inspect --device} in-process. */
class AnalyzeCommandTest {
    @TempDir Path tmp;

    static CliTest.Result cli(String... args) { return CliTest.cli(args); }

    /** y = Relu(x + b) with x [N,4096], N symbolic. */
    Path dynamicModel() {
        Graph g = new Graph("dyn");
        Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(Dim.sym("N"), Dim.of(4096))));
        Value b = g.addInitializer("b", Tensor.of(new float[4096], 4096));
        Value s = g.addNode("Add", "add", List.of(x, b), List.of("s")).output(0);
        Value y = g.addNode("Relu", "relu", List.of(s), List.of("y")).output(0);
        g.addOutput(y);
        dev.edgeopt.ops.ShapeInference.annotate(g, dev.edgeopt.engine.Executor.evaluator());
        Path p = tmp.resolve("dyn.onnx");
        OnnxExporter.save(g, p);
        return p;
    }

    @Test
    void analyzeSharedModelAsJson() throws Exception {
        Path m = TestPaths.sharedModel("squeezenet1_1.onnx");
        CliTest.Result r = cli("analyze", m.toString(), "--device", "stm32h743", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        for (String k : List.of("fits", "flash_bytes", "ram_bytes", "arena_bytes", "arena_lower_bound_bytes", "latency_ms", "energy_uj", "partitions", "fallbacks")) {
            assertTrue(j.has(k), k);
        }
        assertFalse(j.get("fits").asBoolean());
        assertTrue(j.get("arena_bytes").asLong() <= 1.05 * j.get("arena_lower_bound_bytes").asLong());
        assertEquals(5, j.get("heaviest_layers").size());
        CliTest.Result t = cli("analyze", m.toString(), "--device", "CoralDevBoard");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("fits: yes"), t.out());
        assertTrue(t.out().contains("CPU fallback"), t.out());
        assertTrue(t.out().contains("heaviest layers:"), t.out());
        assertTrue(t.out().contains("quantize to int8"), t.out());
    }

    @Test
    void dynamicDimensionNeedsShape() throws Exception {
        Path m = dynamicModel();
        cli("analyze", m.toString(), "--device", "nRF52840").assertBadInput("dyn.onnx", "input 'x' has dynamic shape", "--shape x=1,4096");
        CliTest.Result ok = cli("analyze", m.toString(), "--device", "nRF52840", "--shape", "x=2,4096", "--json");
        assertEquals(0, ok.code(), ok.err());
        JsonNode j = ok.json();
        // x (32 KiB) is a graph input, so Add writes a new buffer; Relu then works in place.
        assertEquals(2 * 2 * 4096 * 4, j.get("arena_bytes").asLong());
        assertTrue(j.get("fits").asBoolean());
        // nRF52840 publishes its CPU current, so energy is known.
        assertTrue(j.get("energy_uj").asDouble() > 0);
        cli("analyze", m.toString(), "--device", "nRF52840", "--shape", "x=2").assertBadInput("--shape x has 1 dims but the input has rank 2");
        cli("analyze", m.toString(), "--device", "nRF52840", "--shape", "y=2,4096").assertBadInput("--shape names 'y', which is not an input");
        cli("analyze", m.toString(), "--device", "nRF52840", "--shape", "x=two,4096").assertBadInput("'two' is not a whole number");
    }

    @Test
    void unknownDeviceAndBadDeviceFileAreOneLine() throws Exception {
        Path m = dynamicModel();
        cli("analyze", m.toString(), "--device", "STM32F747", "--shape", "x=1,4096").assertBadInput("unknown device 'STM32F747'", "did you mean STM32F746");
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"format\": \"edgeopt-devices/1\", \"devices\": [{\"name\": \"X\"}]}");
        cli("analyze", m.toString(), "--device", "X", "--device-file", bad.toString()).assertBadInput("bad.json", "devices[0] (X)", "field 'sources' is missing");
        Files.writeString(bad, "{ not json");
        cli("devices", "--device-file", bad.toString()).assertBadInput("bad.json: not valid JSON");
    }

    @Test
    void devicesListsTheCatalog() throws Exception {
        CliTest.Result r = cli("devices");
        assertEquals(0, r.code(), r.err());
        for (String d : List.of("STM32F446", "STM32F746", "STM32H743", "nRF52840", "ESP32-S3", "Corstone-300", "RaspberryPi4", "RaspberryPiZero2W", "CoralDevBoard", "JetsonNano")) {
            assertTrue(r.out().contains(d), d);
        }
        JsonNode j = cli("devices", "--json").json();
        assertEquals(11, j.get("devices").size());
    }

    @Test
    void inspectWithDevice() throws Exception {
        Path m = dynamicModel();
        CliTest.Result r = cli("inspect", m.toString(), "--batch", "1", "--device", "STM32F446");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("on STM32F446"), r.out());
        JsonNode j = cli("inspect", m.toString(), "--batch", "1", "--device", "STM32F446", "--json").json();
        assertTrue(j.has("macs") && j.get("device").has("latency_ms"));
    }
}
