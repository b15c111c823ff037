package dev.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.onnx.OrtRunner;
import dev.edgeopt.passes.Equivalence;
import dev.edgeopt.passes.Pipelines;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgeopt optimize} end to end on mobilenet_v2, and its bad-input paths. */
class OptimizeCommandTest {
    @TempDir Path tmp;

    @Test void optimizesMobilenetAndOrtRunsTheResult() throws Exception {
        Path m = TestPaths.sharedModel("mobilenet_v2.onnx");
        Path out = tmp.resolve("opt.onnx");
        CliTest.Result r = CliTest.cli("optimize", m.toString(), "-o", out.toString(), "--verify", "--json", "--iters", "1", "--warmup", "0");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("after").get("nodes").asInt() < j.get("before").get("nodes").asInt());
        assertEquals(j.get("before").get("macs").asLong(), j.get("after").get("macs").asLong(), "folding keeps the MACs");
        assertTrue(j.get("after").get("weight_elements").asLong() < j.get("before").get("weight_elements").asLong(), "BN statistics are gone");
        boolean bnFolded = false;
        for (JsonNode p : j.get("passes")) {
            if (p.get("pass").asText().equals("fold-batchnorm")) bnFolded = p.get("changes").size() > 0;
        }
        assertTrue(bnFolded, "fold-batchnorm reports its rewrites");
        assertTrue(j.get("verified").asBoolean());
        for (JsonNode e : j.get("max_error")) assertTrue(e.get("max_rel").asDouble() <= 1e-4, e.toString());
        assertTrue(j.get("latency").get("before_ms").asDouble() > 0);
        // The written file is standard ONNX: ORT runs it on the model's input and matches PyTorch.
        Graph written = OnnxImporter.load(out);
        assertEquals(0, written.opHistogram().getOrDefault("BatchNormalization", 0));
        assertTrue(written.nodes().stream().allMatch(n -> n.domain().isEmpty()));
        Tensor in = Npy.read(TestPaths.sharedModel("mobilenet_v2.in.npy"));
        Tensor ref = Npy.read(TestPaths.sharedModel("mobilenet_v2.ref.npy"));
        try (OrtRunner ort = new OrtRunner(out, 1, OrtRunner.OptLevel.NONE)) {
            assertTrue(Equivalence.compare("logits", ref, ort.run(in)[0]).maxRel() <= 1e-4);
        }
        assertEquals(String.join(",", Pipelines.defaults().passes().stream().map(p -> p.name()).toList()), written.metadata().get("edgeopt.passes"));
    }

    @Test void namedPassesAndTextReport() {
        Path m = TestPaths.sharedModel("squeezenet1_1.onnx");
        CliTest.Result r = CliTest.cli("optimize", m.toString(), "-o", tmp.resolve("s.onnx").toString(), "--passes", "remove-noops,eliminate-dead-code", "--iters", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("remove-noops") && r.out().contains("eliminate-dead-code") && !r.out().contains("fold-batchnorm"), r.out());
        assertTrue(r.out().contains("max error (java)"), r.out());
    }

    @Test void givenInputsDriveTheErrorCheck() throws Exception {
        Path m = TestPaths.sharedModel("squeezenet1_1.onnx");
        CliTest.Result r = CliTest.cli("optimize", m.toString(), "-o", tmp.resolve("s.onnx").toString(), "--iters", "0", "--json",
                "--input", TestPaths.sharedModel("squeezenet1_1.in.npy").toString());
        assertEquals(0, r.code(), r.err());
        double e = r.json().get("max_error").get(0).get("max_rel").asDouble();
        // SqueezeNet has no BN: only Relu fusion, where the fused kernel may add the bias in another
        // order (float rounding only).
        assertTrue(e <= 1e-6, "relative error " + e);
        CliTest.cli("optimize", m.toString(), "-o", tmp.resolve("s.onnx").toString(), "--input", tmp.resolve("none.npy").toString())
                .assertBadInput("none.npy");
    }

    @Test void everyPassIsListedInTheHelp() {
        CliTest.Result h = CliTest.cli("optimize", "--help");
        assertEquals(0, h.code());
        for (String p : Pipelines.all().keySet()) assertTrue(h.out().contains(p), "help lists " + p);
    }

    @Test void badInputs() {
        Path m = TestPaths.sharedModel("squeezenet1_1.onnx");
        CliTest.cli("optimize", m.toString(), "-o", tmp.resolve("x.onnx").toString(), "--passes", "fold-everything").assertBadInput("unknown pass 'fold-everything'");
        CliTest.cli("optimize", tmp.resolve("missing.onnx").toString(), "-o", tmp.resolve("x.onnx").toString()).assertBadInput("missing.onnx");
        CliTest.cli("optimize", m.toString()).assertBadInput("--output");
    }
}
