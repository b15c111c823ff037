package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every model in {@code ../shared/models} runs in the Java engine on its {@code .in.npy} and matches
 * PyTorch's {@code .ref.npy} and ONNX Runtime's output within 1e-4 of the reference's largest
 * magnitude (fp32 summation order differs between the three, nothing more).
 */
class WholeModelTest {
    static final double REL_TOL = 1e-4;

    static List<String> models() throws IOException {
        Path dir = TestPaths.require(TestPaths.shared().resolve("models"));
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".onnx")).map(n -> n.substring(0, n.length() - 5)).sorted().toList();
            assertFalse(names.isEmpty(), dir + " holds no .onnx models");
            return names;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void matchesPyTorchAndOrt(String name) {
        Path dir = TestPaths.shared().resolve("models");
        Path model = dir.resolve(name + ".onnx");
        Tensor in = Npy.read(TestPaths.require(dir.resolve(name + ".in.npy")));
        Tensor ref = Npy.read(TestPaths.require(dir.resolve(name + ".ref.npy")));
        Graph g = OnnxImporter.load(model);
        Tensor java;
        try (Executor ex = new Executor(g, 2)) {
            java = ex.run(in)[0];
        }
        Tensor ort;
        try (OrtRunner r = new OrtRunner(model, 2, OrtRunner.OptLevel.ALL)) {
            ort = r.run(in)[0];
        }
        assertClose(name + " vs PyTorch", ref, java);
        assertClose(name + " vs ONNX Runtime", ort, java);
    }

    static void assertClose(String what, Tensor want, Tensor got) {
        assertArrayEquals(want.dims(), got.dims(), what + ": shape");
        double scale = 0, err = 0;
        int worst = 0;
        for (int i = 0; i < want.size(); i++) scale = Math.max(scale, Math.abs(want.getDouble(i)));
        for (int i = 0; i < want.size(); i++) {
            double d = Math.abs(want.getDouble(i) - got.getDouble(i));
            if (!(d <= err)) {
                err = d;
                worst = i;
            }
        }
        assertTrue(scale > 0, what + ": reference is all zeros, which tests nothing");
        assertTrue(err <= REL_TOL * scale, what + ": max |diff| " + err + " at element " + worst + " exceeds " + REL_TOL + " x max|ref| " + scale);
    }
}
