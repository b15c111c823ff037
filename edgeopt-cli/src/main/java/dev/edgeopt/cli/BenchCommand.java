package dev.edgeopt.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OrtRunner;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.passes.Pipelines;
import dev.edgeopt.tensor.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code edgeopt bench}: latency of the Java engine and ONNX Runtime on the same model and inputs. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description =
            "Times inference of an ONNX model on seeded random inputs: warm-up runs, then timed runs; "
            + "reports min, median and p90 latency and throughput (samples per second at the median) for "
            + "edgeopt's Java engine and ONNX Runtime with the same model, inputs, thread count and "
            + "graph-optimization level, and the ratio of their medians (java / ort; below 1 means the Java "
            + "engine is faster). Progress goes to stderr.")
final class BenchCommand implements Callable<Integer> {
    /** Which engines to time. */
    enum Engines { JAVA, ORT, BOTH;
        @Override public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "ONNX model file.")
    Path model;

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "both", description = "java, ort or both (default).")
    Engines engines;

    @Mixin ThreadsOption threadsOption;

    @Option(names = "--batch", paramLabel = "B", description = "Rewrite the batch dimension (dim 0 of every input) to B for both engines.")
    Integer batch;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "10", description = "Untimed runs first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iters", paramLabel = "I", defaultValue = "50", description = "Timed runs (default ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--graph-opt", paramLabel = "LEVEL", defaultValue = "all",
            description = "Graph optimizations before timing, the same level for both engines: none, basic or all (default).")
    String graphOpt;

    @Option(names = "--int8", negatable = true, description = "Run the Java engine integer-only: the QDQ model is lowered to integer ops (lower-qdq) "
        + "instead of running float kernels between QuantizeLinear/DequantizeLinear. Default: on for QDQ models (any DequantizeLinear), "
        + "so `bench MODEL.int8.onnx` times the int8 engine beside ORT on the same file; --no-int8 turns it off.")
    Boolean int8;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the random inputs (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print one JSON object: {\"java\":{\"min_ms\",\"median_ms\",\"p90_ms\",\"throughput\"},\"ort\":{...},\"ratio\":x}.")
    boolean json;

    /** Latency figures of one engine. */
    record Latency(double minMs, double medianMs, double p90Ms, double throughput) {
        /** From per-run nanoseconds; p90 is the nearest-rank percentile. */
        static Latency of(long[] nanos, int batch) {
            long[] s = nanos.clone();
            Arrays.sort(s);
            double min = s[0] / 1e6, median = (s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0) / 1e6;
            double p90 = s[(int) Math.ceil(0.9 * s.length) - 1] / 1e6;
            return new Latency(min, median, p90, batch * 1000.0 / median);
        }
    }

    /** The whole result; an engine that was not timed is left out. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Result(Latency java, Latency ort, Double ratio) {}

    @Override public Integer call() {
        int threads = threadsOption.get();
        if (warmup < 0) throw new EdgeoptException("--warmup must not be negative, got " + warmup);
        if (iters < 1) throw new EdgeoptException("--iters must be at least 1, got " + iters);
        Pipelines.Level level = level(graphOpt);
        Graph g = OnnxImporter.load(model);
        if (batch != null) g = Cli.withBatch(g, batch);
        boolean integer = int8 != null ? int8 : g.nodes().stream().anyMatch(n -> n.domain().isEmpty() && n.opType().equals("DequantizeLinear"));
        if (integer && engines != Engines.ORT) {
            List<String> left = Int8Engine.floatOpsAfterLowering(g);
            spec.commandLine().getErr().println("bench: java engine: int8 integer-only" + (left.isEmpty() ? "" : " except " + String.join(", ", left)));
        }
        Result r = bench(g, batch != null ? null : model, engines, level, threads, warmup, iters, seed, integer, spec.commandLine().getErr());
        PrintWriter out = spec.commandLine().getOut();
        if (json) Cli.printJson(out, r);
        else print(out, r, threads);
        return 0;
    }

    static Pipelines.Level level(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "none" -> Pipelines.Level.NONE;
            case "basic" -> Pipelines.Level.BASIC;
            case "all" -> Pipelines.Level.ALL;
            default -> throw new EdgeoptException("--graph-opt must be none, basic or all, got '" + s + "'");
        };
    }

    /**
     * Times the engines on one set of seeded inputs. {@code modelFile}, when given, is what ONNX
     * Runtime loads (so it sees the original file); otherwise it gets the graph exported.
     */
    static Result bench(Graph g, Path modelFile, Engines engines, Pipelines.Level level, int threads, int warmup, int iters, long seed, PrintWriter err) {
        return bench(g, modelFile, engines, level, threads, warmup, iters, seed, false, err);
    }

    /** As above; {@code int8}: the Java engine runs the graph lowered to integer ops, not the level's passes. */
    static Result bench(Graph g, Path modelFile, Engines engines, Pipelines.Level level, int threads, int warmup, int iters, long seed, boolean int8,
                        PrintWriter err) {
        Tensor[] in = Cli.randomInputs(g, seed);
        int b = in.length == 0 || in[0].rank() == 0 ? 1 : in[0].dim(0);
        Latency java = null, ort = null;
        if (engines != Engines.ORT) {
            // The float pipeline's folds would turn each weight's DequantizeLinear into a float
            // constant, so the integer path lowers the graph as it is.
            Graph opt = int8 ? Int8Engine.lower(g) : Pipelines.engine(level).run(g).graph();
            try (Executor ex = new Executor(opt, threads)) {
                java = Latency.of(time("java", () -> ex.run(in), warmup, iters, err), b);
            }
        }
        if (engines != Engines.JAVA) {
            OrtRunner.OptLevel ol = switch (level) {
                case NONE -> OrtRunner.OptLevel.NONE;
                case BASIC -> OrtRunner.OptLevel.BASIC;
                case ALL -> OrtRunner.OptLevel.ALL;
            };
            try (OrtRunner r = modelFile != null ? new OrtRunner(modelFile, threads, ol) : new OrtRunner(OnnxExporter.toBytes(g), threads, ol);
                 OrtRunner.Prepared p = r.prepare(in)) {
                ort = Latency.of(time("ort", p::run, warmup, iters, err), b);
            }
        }
        return new Result(java, ort, java != null && ort != null ? java.medianMs() / ort.medianMs() : null);
    }

    private static long[] time(String name, Runnable body, int warmup, int iters, PrintWriter err) {
        err.printf("bench: %s: %d warm-up runs, %d timed runs%n", name, warmup, iters);
        err.flush();
        for (int i = 0; i < warmup; i++) body.run();
        long[] t = new long[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            body.run();
            t[i] = System.nanoTime() - t0;
        }
        return t;
    }

    static void print(PrintWriter out, Result r, int threads) {
        out.printf(Locale.ROOT, "%-6s %10s %10s %10s %14s%n", "engine", "min ms", "median ms", "p90 ms", "samples/s");
        if (r.java() != null) row(out, "java", r.java());
        if (r.ort() != null) row(out, "ort", r.ort());
        if (r.ratio() != null) out.printf(Locale.ROOT, "java/ort median ratio %.3f (%d thread%s)%n", r.ratio(), threads, threads == 1 ? "" : "s");
        out.flush();
    }

    private static void row(PrintWriter out, String name, Latency l) {
        out.printf(Locale.ROOT, "%-6s %10.3f %10.3f %10.3f %14.1f%n", name, l.minMs(), l.medianMs(), l.p90Ms(), l.throughput());
    }
}
