package dev.edgeopt.cli;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.passes.Equivalence;
import dev.edgeopt.passes.Pipelines;
import dev.edgeopt.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code edgeopt demo}: the tour on a built-in model, so a fresh checkout shows something at once. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description =
            "Builds a small residual conv net with fixed seeded weights (Conv, Relu, Add, GlobalAveragePool, "
            + "Flatten, Gemm), saves it as ONNX, then inspects it, runs it on a seeded input in the Java "
            + "engine and in ONNX Runtime (printing the largest difference), and benchmarks both engines.")
final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--keep", paramLabel = "FILE", description = "Also save the demo model to FILE (.onnx).")
    Path keep;

    @Option(names = "--iters", paramLabel = "I", defaultValue = "100", description = "Timed runs per engine (default ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "200",
            description = "Untimed runs first (default ${DEFAULT-VALUE}; a run takes well under a millisecond once the JIT has compiled the kernels).")
    int warmup;

    @Override public Integer call() throws IOException {
        if (iters < 1) throw new EdgeoptException("--iters must be at least 1, got " + iters);
        if (warmup < 0) throw new EdgeoptException("--warmup must not be negative, got " + warmup);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Graph built = DemoModel.build();
        Path dir = Files.createTempDirectory("edgeopt-demo");
        try {
            Path file = dir.resolve("demo.onnx");
            OnnxExporter.save(built, file);
            if (keep != null) OnnxExporter.save(built, keep);
            // Everything below reads the saved file, as a user's model would be read.
            Graph g = OnnxImporter.load(file);

            out.println("== inspect " + (keep != null ? keep : "demo.onnx"));
            InspectCommand.print(out, "demo model", ModelStats.of(g));

            out.println();
            out.println("== run (seeded input " + g.inputs().get(0).type() + ")");
            Tensor[] in = Cli.randomInputs(g, DemoModel.SEED);
            Map<String, Tensor> input = Map.of(g.inputs().get(0).name(), in[0]);
            Tensor java = RunCommand.run(g, null, input, Engine.JAVA, 1).get("logits");
            Tensor ort = RunCommand.run(g, file, input, Engine.ORT, 1).get("logits");
            out.println("java " + RunCommand.describe("logits", java));
            out.println("ort  " + RunCommand.describe("logits", ort));
            Equivalence.OutputError e = Equivalence.compare("logits", ort, java);
            out.printf(Locale.ROOT, "max |java - ort| = %.3g (%.3g of max |ort|)%n", e.maxAbs(), e.maxRel());

            out.println();
            out.println("== bench (1 thread, " + warmup + " warm-up and " + iters + " timed runs each)");
            out.flush();
            BenchCommand.Result r = BenchCommand.bench(g, file, BenchCommand.Engines.BOTH, Pipelines.Level.ALL, 1, warmup, iters, DemoModel.SEED, err);
            BenchCommand.print(out, r, 1);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }
}
