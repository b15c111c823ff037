package dev.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OnnxTensors;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every command in-process through picocli: exit codes, stdout, stderr. */
class CliTest {
    @TempDir Path tmp;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Exit code and both streams of one invocation. */
    record Result(int code, String out, String err) {
        JsonNode json() throws Exception { return JSON.readTree(out); }

        /** Bad input: exit 1, exactly one line on stderr, no stack trace. */
        void assertBadInput(String... mentions) {
            assertEquals(1, code, "exit code; stderr: " + err);
            assertEquals(1, err.strip().lines().count(), "one line: " + err);
            assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
            for (String m : mentions) assertTrue(err.contains(m), "stderr names '" + m + "': " + err);
        }
    }

    static Result cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    /** y = Relu(x + b) with x [N,4] (N symbolic when {@code batch} is null) and b = [-2,-1,0,1]. */
    Path addRelu(String file, Integer batch, boolean bothOutputs) {
        Graph g = new Graph("add_relu");
        Dim n = batch == null ? Dim.sym("N") : Dim.of(batch);
        Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(n, Dim.of(4))));
        Value b = g.addInitializer("b", Tensor.of(new float[] {-2, -1, 0, 1}, 4));
        Value s = g.addNode("Add", "add", List.of(x, b), List.of("s")).output(0);
        Value y = g.addNode("Relu", "relu", List.of(s), List.of("y")).output(0);
        if (bothOutputs) g.addOutput(s);
        g.addOutput(y);
        dev.edgeopt.ops.ShapeInference.annotate(g, dev.edgeopt.engine.Executor.evaluator());
        Path p = tmp.resolve(file);
        OnnxExporter.save(g, p);
        return p;
    }

    Path npy(String file, float[] data, int... shape) {
        Path p = tmp.resolve(file);
        Npy.write(p, Tensor.of(data, shape));
        return p;
    }

    // ------------------------------------------------------------------ main

    @Test void versionAndHelp() {
        Result v = cli("--version");
        assertEquals(0, v.code);
        assertTrue(v.out.startsWith("edgeopt 0."), v.out);
        Result h = cli("--help");
        assertEquals(0, h.code);
        for (String c : List.of("inspect", "run", "bench", "conformance", "demo")) assertTrue(h.out.contains(c), c);
    }

    @ParameterizedTest
    @ValueSource(strings = {"inspect", "run", "bench", "conformance", "demo"})
    void everyCommandExplainsItsOptions(String cmd) {
        Result h = cli(cmd, "--help");
        assertEquals(0, h.code);
        assertTrue(h.out.startsWith("Usage: edgeopt " + cmd), h.out);
        assertTrue(h.out.contains("--help"), h.out);
    }

    @Test void usageErrorsAreOneLine() {
        cli().assertBadInput("missing a command");
        cli("frobnicate").assertBadInput("frobnicate");
        cli("inspect").assertBadInput("MODEL");
        cli("inspect", "a.onnx", "--bogus").assertBadInput("--bogus");
    }

    // ------------------------------------------------------------------ inspect

    @Test void inspectTableAndJson() throws Exception {
        Path m = addRelu("m.onnx", 2, false);
        Result t = cli("inspect", m.toString());
        assertEquals(0, t.code, t.err);
        assertTrue(t.out.contains("add") && t.out.contains("Relu") && t.out.contains("float32[2,4]"), t.out);
        assertTrue(t.out.contains("weight elements     4"), t.out);

        JsonNode j = cli("inspect", m.toString(), "--json").json();
        assertEquals(0, j.get("macs").asLong());
        assertEquals(4, j.get("weight_elements").asLong());
        assertEquals(16, j.get("weight_bytes").asLong());
        assertEquals(0, j.get("scalar_constants").asInt());
        assertEquals(1, j.get("op_histogram").get("Add").asInt());
        assertEquals(1, j.get("op_histogram").get("Relu").asInt());
        assertEquals(2, j.get("nodes").size());
        JsonNode add = j.get("nodes").get(0);
        assertEquals("add", add.get("name").asText());
        assertEquals(4, add.get("params").asLong());
        assertEquals(32, add.get("output_bytes").asLong());
        assertEquals(32, j.get("largest_activation").get("bytes").asLong());
    }

    @Test void inspectSymbolicBatch() throws Exception {
        Path m = addRelu("m.onnx", null, false);
        JsonNode j = cli("inspect", m.toString(), "--json").json();
        assertTrue(j.get("macs").isNull(), "MACs of symbolic shapes are unknown, not zero");
        assertTrue(j.get("nodes").get(0).get("output_bytes").isNull());
        JsonNode b = cli("inspect", m.toString(), "--json", "--batch", "8").json();
        assertEquals(8 * 4 * 4, b.get("nodes").get(0).get("output_bytes").asLong());
        assertEquals(0, b.get("macs").asLong());
    }

    @Test void inspectBadModels() throws Exception {
        cli("inspect", tmp.resolve("nope.onnx").toString()).assertBadInput("nope.onnx", "no such file");
        Path empty = Files.write(tmp.resolve("empty.onnx"), new byte[0]);
        cli("inspect", empty.toString()).assertBadInput("empty.onnx", "empty");
        Path text = Files.writeString(tmp.resolve("notes.onnx"), "this is not a model\n");
        cli("inspect", text.toString()).assertBadInput("notes.onnx");
        byte[] whole = Files.readAllBytes(addRelu("m.onnx", 2, false));
        Path cut = Files.write(tmp.resolve("cut.onnx"), java.util.Arrays.copyOf(whole, whole.length / 2));
        cli("inspect", cut.toString()).assertBadInput("cut.onnx");
        cli("inspect", tmp.toString()).assertBadInput("directory");
    }

    @Test void inspectMobilenetMatchesPublishedCosts() throws Exception {
        Path m = TestPaths.sharedModel("mobilenet_v2.onnx");
        JsonNode j = cli("inspect", m.toString(), "--json").json();
        assertEquals(300_774_272L, j.get("macs").asLong());
        assertEquals(3_538_984L, j.get("weight_elements").asLong());
        assertEquals(4L * 3_538_984L, j.get("weight_bytes").asLong());
        assertEquals(70, j.get("scalar_constants").asInt());
        assertEquals(52, j.get("op_histogram").get("Conv").asInt());
        // MACs scale with the batch; the weights do not.
        JsonNode b2 = cli("inspect", m.toString(), "--json", "--batch", "2").json();
        assertEquals(2 * 300_774_272L, b2.get("macs").asLong());
        assertEquals(3_538_984L, b2.get("weight_elements").asLong());
    }

    // ------------------------------------------------------------------ run

    @Test void runWritesOutputsAndAgreesWithOrt() {
        Path m = addRelu("m.onnx", null, false);
        Path x = npy("x.npy", new float[] {1, 1, 1, 1, 3, -5, 0.5f, -1}, 2, 4);
        Path yj = tmp.resolve("out/y_java.npy"), yo = tmp.resolve("y_ort.npy");
        Result rj = cli("run", m.toString(), "--input", x.toString(), "--output", yj.toString());
        assertEquals(0, rj.code, rj.err);
        assertTrue(rj.out.contains("y: float32[2,4]"), rj.out);
        Result ro = cli("run", m.toString(), "--input", "x=" + x, "--output", yo.toString(), "--engine", "ort", "--threads", "2");
        assertEquals(0, ro.code, ro.err);
        Tensor java = Npy.read(yj), ort = Npy.read(yo);
        // relu(x + [-2,-1,0,1]) by hand, and ONNX Runtime, must both agree.
        assertArrayEquals(new float[] {0, 0, 1, 2, 1, 0, 0.5f, 0}, java.toFloatArray());
        assertArrayEquals(ort.toFloatArray(), java.toFloatArray());
        assertArrayEquals(new int[] {2, 4}, java.dims());
    }

    @Test void runReadsAndWritesTensorProtos() {
        Path m = addRelu("m.onnx", 1, true);
        Path x = tmp.resolve("x.pb");
        OnnxTensors.writePb(x, Tensor.of(new float[] {5, 0, -3, 2}, 1, 4), "x");
        Path s = tmp.resolve("s.pb"), y = tmp.resolve("y.npy");
        Result r = cli("run", m.toString(), "--input", x.toString(), "--output", "s=" + s, "--output", "y=" + y);
        assertEquals(0, r.code, r.err);
        assertArrayEquals(new float[] {3, -1, -3, 3}, OnnxTensors.readPb(s).toFloatArray());
        assertEquals("s", OnnxTensors.pbName(s));
        assertArrayEquals(new float[] {3, 0, 0, 3}, Npy.read(y).toFloatArray());
        Path plain = tmp.resolve("plain.npy");
        cli("run", m.toString(), "--input", x.toString(), "--output", plain.toString()).assertBadInput("2 outputs", "NAME=FILE");
        assertFalse(Files.exists(plain));
    }

    @Test void runBadInputs() {
        Path m = addRelu("m.onnx", 2, false);
        Path wrongShape = npy("w.npy", new float[] {1, 2, 3}, 3);
        cli("run", m.toString(), "--input", wrongShape.toString()).assertBadInput("w.npy", "'x'");
        Path x = npy("x.npy", new float[8], 2, 4);
        cli("run", m.toString(), "--input", "z=" + x).assertBadInput("no input 'z'");
        cli("run", m.toString(), "--input", x.toString(), "--input", x.toString()).assertBadInput("x.npy");
        cli("run", m.toString(), "--input", tmp.resolve("missing.npy").toString()).assertBadInput("missing.npy", "no such file");
        cli("run", m.toString(), "--input", tmp.resolve("missing.pb").toString()).assertBadInput("missing.pb", "no such file");
        cli("run", m.toString(), "--input", x.toString(), "--output", tmp.resolve("y.txt").toString()).assertBadInput("y.txt");
        cli("run", m.toString()).assertBadInput("--input");
        cli("run", m.toString(), "--input", x.toString(), "--engine", "tpu").assertBadInput("tpu");
        cli("run", m.toString(), "--input", x.toString(), "--threads", "0").assertBadInput("--threads");
    }

    // ------------------------------------------------------------------ bench

    @Test void benchBothEnginesJson() throws Exception {
        Path m = addRelu("m.onnx", null, false);
        Result r = cli("bench", m.toString(), "--batch", "3", "--warmup", "1", "--iters", "5", "--json");
        assertEquals(0, r.code, r.err);
        assertTrue(r.err.contains("bench: java") && r.err.contains("bench: ort"), "progress on stderr: " + r.err);
        JsonNode j = r.json();
        for (String e : List.of("java", "ort")) {
            JsonNode l = j.get(e);
            double min = l.get("min_ms").asDouble(), med = l.get("median_ms").asDouble(), p90 = l.get("p90_ms").asDouble();
            assertTrue(min > 0 && min <= med && med <= p90, e + ": " + l);
            assertEquals(3 * 1000.0 / med, l.get("throughput").asDouble(), 1e-9 * l.get("throughput").asDouble());
        }
        assertEquals(j.get("java").get("median_ms").asDouble() / j.get("ort").get("median_ms").asDouble(), j.get("ratio").asDouble(), 1e-12);
    }

    @Test void benchOneEngineOmitsTheOther() throws Exception {
        Path m = addRelu("m.onnx", 2, false);
        JsonNode j = cli("bench", m.toString(), "--engine", "java", "--warmup", "0", "--iters", "2", "--json").json();
        assertTrue(j.has("java"));
        assertFalse(j.has("ort") || j.has("ratio"), j.toString());
        Result t = cli("bench", m.toString(), "--engine", "ort", "--iters", "2", "--graph-opt", "none");
        assertEquals(0, t.code, t.err);
        assertTrue(t.out.contains("ort") && !t.out.contains("ratio"), t.out);
    }

    @Test void benchRunsQdqModelsInTheInt8Engine() throws Exception {
        Path m = tmp.resolve("cnn.int8.onnx");
        dev.edgeopt.quant.PostTrainingQuantizer.Result q = dev.edgeopt.quant.PostTrainingQuantizer.quantize(
                dev.edgeopt.models.Architectures.build("cnn", new int[] {1, 28, 28}, 10, 0.25, 2), dev.edgeopt.quant.PostTrainingQuantizerTest.images(20, 1),
                dev.edgeopt.quant.PostTrainingQuantizer.Options.defaults().withSamples(10));
        OnnxExporter.save(q.qdq(), m);
        Result r = cli("bench", m.toString(), "--engine", "java", "--batch", "2", "--warmup", "0", "--iters", "2", "--json");
        assertEquals(0, r.code, r.err + r.out);
        assertTrue(r.err.contains("java engine: int8 integer-only"), r.err);
        assertTrue(r.json().get("java").get("median_ms").asDouble() > 0);
        Result f = cli("bench", m.toString(), "--engine", "java", "--batch", "2", "--no-int8", "--warmup", "0", "--iters", "2");
        assertEquals(0, f.code, f.err);
        assertFalse(f.err.contains("int8"), f.err);
    }

    @Test void benchBadInputs() {
        Path m = addRelu("m.onnx", null, false);
        cli("bench", m.toString()).assertBadInput("'x'", "--batch");
        cli("bench", m.toString(), "--batch", "0").assertBadInput("--batch");
        cli("bench", m.toString(), "--batch", "2", "--graph-opt", "max").assertBadInput("--graph-opt");
        cli("bench", m.toString(), "--batch", "2", "--iters", "0").assertBadInput("--iters");
    }

    @Test void benchLatencyStatistics() {
        BenchCommand.Latency l = BenchCommand.Latency.of(new long[] {5_000_000, 1_000_000, 3_000_000, 2_000_000, 4_000_000,
            10_000_000, 9_000_000, 8_000_000, 7_000_000, 6_000_000}, 2);
        assertEquals(1.0, l.minMs());
        assertEquals(5.5, l.medianMs());
        assertEquals(9.0, l.p90Ms());
        assertEquals(2000 / 5.5, l.throughput(), 1e-12);
    }

    // ------------------------------------------------------------------ conformance

    @Test void conformanceOnOnnxNodeTests() throws Exception {
        Path dir = TestPaths.require(TestPaths.ONNX_NODE_TESTS);
        Result r = cli("conformance", dir.toString(), "--filter", "test_relu", "--json");
        assertEquals(0, r.code, r.err);
        JsonNode j = r.json();
        assertEquals(1, j.get("passed").asLong());
        assertEquals(0, j.get("failed").asLong());
        assertEquals(1, j.get("per_op").get("Relu").get("passed").asInt());
        for (String k : List.of("unsupported", "excluded", "failures")) assertTrue(j.has(k), k);
        Result t = cli("conformance", dir.toString(), "--filter", "test_relu");
        assertTrue(t.out.contains("passed test_relu") && t.out.contains("1 passed, 0 failed"), t.out);
    }

    /** A case whose expected output is wrong must fail, with exit code 1. */
    @Test void conformanceReportsFailures() throws Exception {
        Path c = Files.createDirectories(tmp.resolve("node/test_wrong/test_data_set_0"));
        Files.copy(addRelu("m.onnx", 1, false), c.getParent().resolve("model.onnx"));
        OnnxTensors.writePb(c.resolve("input_0.pb"), Tensor.of(new float[] {1, 2, 3, 4}, 1, 4), "x");
        OnnxTensors.writePb(c.resolve("output_0.pb"), Tensor.of(new float[] {0, 1, 3, 6}, 1, 4), "y");
        Result r = cli("conformance", tmp.resolve("node").toString(), "--json");
        assertEquals(1, r.code);
        JsonNode j = r.json();
        assertEquals(1, j.get("failed").asLong());
        assertEquals("test_wrong", j.get("failures").get(0).get("name").asText());
        assertTrue(j.get("failures").get(0).get("detail").asText().contains("element 3"), j.toString());
        OnnxTensors.writePb(c.resolve("output_0.pb"), Tensor.of(new float[] {0, 1, 3, 5}, 1, 4), "y");
        assertEquals(0, cli("conformance", tmp.resolve("node").toString()).code);
    }

    @Test void conformanceBadInputs() {
        cli("conformance", tmp.resolve("none").toString()).assertBadInput("none");
        cli("conformance", tmp.toString(), "--filter", "test_(").assertBadInput("--filter");
    }

    // ------------------------------------------------------------------ demo

    @Test void demoRunsAndAgreesWithOrt() throws Exception {
        Path keep = tmp.resolve("demo.onnx");
        Result r = cli("demo", "--warmup", "1", "--iters", "2", "--keep", keep.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("== inspect") && r.out.contains("== run") && r.out.contains("== bench"), r.out);
        assertTrue(r.out.contains("java/ort median ratio"), r.out);
        // The saved model is the same bytes on every build (seeded weights).
        byte[] first = Files.readAllBytes(keep);
        assertEquals(0, cli("demo", "--warmup", "0", "--iters", "1", "--keep", keep.toString()).code);
        assertArrayEquals(first, Files.readAllBytes(keep));
        java.util.regex.Matcher d = java.util.regex.Pattern.compile("max \\|java - ort\\| = \\S+ \\((\\S+) of max \\|ort\\|\\)").matcher(r.out);
        assertTrue(d.find(), r.out);
        assertTrue(Double.parseDouble(d.group(1)) <= 1e-4, d.group());
        JsonNode j = cli("inspect", keep.toString(), "--json").json();
        // conv1 3*16*9*32*32 + conv2 16*16*9*32*32 + conv3 16*32*9*16*16 + fc 32*10
        assertEquals(442_368L + 2_359_296L + 1_179_648L + 320L, j.get("macs").asLong());
    }
}
