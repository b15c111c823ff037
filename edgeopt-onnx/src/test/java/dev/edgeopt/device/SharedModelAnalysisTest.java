package dev.edgeopt.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.engine.Plan;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;
import dev.edgeopt.memory.GraphMemory;
import dev.edgeopt.memory.MemoryPlan;
import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The memory planner and the device analysis on the torchvision models in ../shared/models. */
class SharedModelAnalysisTest {
    static Graph load(String model) { return OnnxImporter.load(TestPaths.sharedModel(model + ".onnx")); }

    static ShapeInference.Result types(Graph g) {
        return ShapeInference.run(g, new ShapeInference.Options().fold(Executor.evaluator(), 4096).mergeDeclared(false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "squeezenet1_1"})
    void arenaIsWithinFivePercentOfTheLowerBoundAndNothingCollides(String model) {
        Graph g = load(model);
        ShapeInference.Result r = types(g);
        for (GraphMemory.Options o : List.of(GraphMemory.Options.defaults(), GraphMemory.Options.defaults().withInPlace(false).withSearchOrder(false))) {
            GraphMemory.Result p = GraphMemory.plan(g, r, o);
            System.out.printf(Locale.ROOT, "%s inPlace=%s search=%s: arena %d B, lower bound %d B (%.4fx), order %s, graph-order arena %d B, %d in place%n",
                    model, o.inPlace(), o.searchOrder(), p.arenaBytes(), p.lowerBoundBytes(), (double) p.arenaBytes() / p.lowerBoundBytes(),
                    p.orderName(), p.graphOrderArena(), p.inPlaceCount());
            assertNull(p.plan().findCollision());
            assertTrue(p.arenaBytes() <= 1.05 * p.lowerBoundBytes(), model + ": arena " + p.arenaBytes() + " > 1.05 x " + p.lowerBoundBytes());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "squeezenet1_1"})
    void engineRunsCorrectlyOutOfItsPlannedArenas(String model) {
        Graph g = load(model);
        Tensor in = Npy.read(TestPaths.sharedModel(model + ".in.npy"));
        Tensor ref = Npy.read(TestPaths.sharedModel(model + ".ref.npy"));
        try (Executor ex = new Executor(g)) {
            Map<String, int[]> shapes = new LinkedHashMap<>();
            shapes.put(g.inputs().get(0).name(), in.shape());
            Plan plan = ex.plan(shapes);
            for (Map.Entry<String, MemoryPlan> e : plan.memoryPlans().entrySet()) {
                assertNull(e.getValue().findCollision(), e.getKey() + " arena");
                assertTrue(e.getValue().arenaSize() <= 1.05 * e.getValue().lowerBound(), e.getKey() + " arena vs lower bound");
            }
            float[] out = ex.run(in)[0].floats(), want = ref.floats();
            assertEquals(want.length, out.length);
            double maxErr = 0, maxRef = 0;
            for (int i = 0; i < out.length; i++) {
                maxErr = Math.max(maxErr, Math.abs(out[i] - want[i]));
                maxRef = Math.max(maxRef, Math.abs(want[i]));
            }
            assertTrue(maxErr <= 1e-3 * Math.max(1, maxRef), model + ": max error " + maxErr);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "squeezenet1_1"})
    void analysisReportsFitLatencyAndPartitions(String model) throws Exception {
        Graph g = load(model);
        DeviceCatalog cat = DeviceCatalog.builtin();
        for (String dev : List.of("STM32F746", "STM32H743", "Corstone-300", "RaspberryPi4", "CoralDevBoard", "JetsonNano")) {
            DeviceAnalysis.Report rep = DeviceAnalysis.analyze(g, model, cat.require(dev), Map.of());
            JsonNode j = new ObjectMapper().readTree(DeviceAnalysis.toJson(rep));
            for (String k : List.of("fits", "flash_bytes", "ram_bytes", "arena_bytes", "arena_lower_bound_bytes", "latency_ms", "energy_uj", "partitions", "fallbacks")) {
                assertTrue(j.has(k), k);
            }
            assertTrue(j.get("latency_ms").asDouble() > 0);
            assertTrue(rep.arenaBytes() <= 1.05 * rep.arenaLowerBound());
            System.out.print(DeviceAnalysis.toText(rep));
        }
        // fp32 torchvision models are far beyond a 320 KB MCU and run on the Coral's CPU until quantized.
        DeviceAnalysis.Report f7 = DeviceAnalysis.analyze(g, model, cat.require("STM32F746"), Map.of());
        assertFalse(f7.fits());
        assertTrue(f7.suggestions().stream().anyMatch(x -> x.name().equals("shrink the weights") && x.detail().startsWith("even at int8")), f7.suggestions().toString());
        DeviceAnalysis.Report coral = DeviceAnalysis.analyze(g, model, cat.require("CoralDevBoard"), Map.of());
        assertEquals(0, coral.partition().acceleratedCount());
        assertTrue(coral.partition().fallbacks().get(0).reason().contains("float32 is not supported by Edge TPU"), coral.partition().fallbacks().get(0).reason());
        assertEquals("quantize to int8 (edgeopt quantize)", coral.partition().fallbacks().get(0).fix());
        assertEquals("quantize to int8", coral.suggestions().get(0).name());
        assertTrue(g.inputs().stream().noneMatch(Value::isConstant));
    }
}
