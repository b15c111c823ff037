package dev.edgeopt.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.onnx.OrtRunner;
import dev.edgeopt.passes.Equivalence;
import dev.edgeopt.passes.PassManager;
import dev.edgeopt.passes.Pipelines;
import dev.edgeopt.tensor.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code edgeopt optimize}: the pass pipeline, written back as standard ONNX, with what it changed and cost. */
@Command(name = "optimize", mixinStandardHelpOptions = true,
        description = {
            "Runs graph optimization passes on an ONNX model (default: the whole pipeline: no-op removal,",
            "constant folding, BatchNormalization/bias/scale folding, decomposed-activation recognition,",
            "Pad folding, Conv/Gemm + activation fusion) and writes standard ONNX that ONNX Runtime runs",
            "(fused nodes are written as the base op and the activation). Reports nodes, weights and MACs",
            "before and after (at batch 1), the changes each pass made, the max output error of the Java",
            "engine before vs after on seeded inputs, and Java-engine batch-1 latency before and after.",
            "--verify also runs the written model in ONNX Runtime against the original and fails (exit 1)",
            "when outputs drift by more than --tolerance relative to their magnitude."})
final class OptimizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "ONNX model file.")
    Path model;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", required = true, description = "Where to write the optimized ONNX model.")
    Path output;

    @Option(names = "--passes", paramLabel = "LIST", defaultValue = "default",
            description = {"Comma-separated pass names, or 'default' for the whole pipeline. Passes: remove-noops,",
                "fold-constants, eliminate-dead-code, collapse-transposes, collapse-reshapes, fuse-hardswish,",
                "fuse-layernorm, fuse-gelu, matmul-add-to-gemm, fold-batchnorm, fold-bias-add, fold-channel-scale,",
                "fold-pad, fuse-activation, fuse-inverted-residual (MobileNetV2 blocks as one node; not in default),",
                "lower-to-standard-onnx, lower-qdq (QDQ to integer QOperator ops)."})
    String passes;

    @Option(names = "--verify", description = "Check the written model with ONNX Runtime against the original; exit 1 beyond --tolerance.")
    boolean verify;

    @Option(names = "--tolerance", paramLabel = "T", defaultValue = "1e-4", description = "Relative output error --verify accepts (default ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the random inputs (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--input", paramLabel = "[NAME=]FILE", description = "Inputs (.npy or .pb) for the error check and timing instead of seeded random ones; repeat for several inputs.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--iters", paramLabel = "I", defaultValue = "20", description = "Timed runs per latency figure, 0 to skip timing (default ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "5", description = "Untimed runs before timing (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--json", description = "Print one JSON object (keys model, output, before, after, passes, max_error, latency).")
    boolean json;

    /** Size and cost of a graph at batch 1. */
    record Stats(int nodes, long weightElements, long weightBytes, Long macs) {
        static Stats of(Graph g) {
            ModelStats s = ModelStats.of(g);
            return new Stats(g.nodes().size(), s.weightElements(), s.weightBytes(), s.macs());
        }
    }

    record PassStep(String pass, String description, int nodesBefore, int nodesAfter, List<String> changes) {}

    /** Max output error relative to output magnitude (and absolute) for one engine. */
    record Error(String engine, double maxRel, double maxAbs) {}

    /**
     * Median batch-1 latency of the Java engine on one thread, before and after, timed in
     * alternation so both see the same machine load; wall clock and the thread's CPU time (the
     * steadier figure on a shared machine).
     */
    record Latency(double beforeMs, double afterMs, double speedup, double beforeCpuMs, double afterCpuMs, double cpuSpeedup) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Report(String model, String output, Stats before, Stats after, int writtenNodes, List<PassStep> passes,
                  List<Error> maxError, Latency latency, Boolean verified) {}

    @Override public Integer call() {
        if (iters < 0 || warmup < 0) throw new EdgeoptException("--iters and --warmup must not be negative");
        PassManager pm = Pipelines.parse(passes);
        PrintWriter err = spec.commandLine().getErr();
        Graph g = OnnxImporter.load(model);
        PassManager.Result r = pm.run(g);
        Graph opt = r.graph();
        Graph written = Pipelines.forExport().run(opt).graph();
        written.metadata().put("edgeopt.passes", String.join(",", pm.passes().stream().map(p -> p.name()).toList()));
        written.metadata().put("edgeopt.source", model.getFileName().toString());
        OnnxExporter.save(written, output);

        Graph stats0 = batch1(g), stats1 = batch1(opt);
        Graph before1 = stats0, after1 = stats1;
        Map<String, Tensor> feed = new LinkedHashMap<>();
        Tensor[] in;
        if (inputs.isEmpty()) {
            in = Cli.randomInputs(before1, seed);
            for (int i = 0; i < in.length; i++) feed.put(before1.inputs().get(i).name(), in[i]);
        } else {
            // Given inputs fix the shapes, so the graphs run as loaded (no batch rewrite).
            before1 = g;
            after1 = opt;
            feed = Cli.readInputs(g, model, inputs);
            in = new Tensor[g.inputs().size()];
            for (int i = 0; i < in.length; i++) in[i] = feed.get(g.inputs().get(i).name());
        }
        List<Error> errors = new ArrayList<>();
        Equivalence.Report java = Equivalence.compare(before1, after1, feed);
        errors.add(new Error("java", java.maxRel(), java.maxAbs()));
        Boolean verified = null;
        if (verify) {
            double[] e = ortError(model, output, feed);
            errors.add(new Error("ort", e[0], e[1]));
            verified = e[0] <= tolerance;
        }
        Latency lat = null;
        if (iters > 0) {
            lat = time(before1, after1, in, err);
        }
        List<PassStep> steps = new ArrayList<>();
        for (PassManager.Step s : r.steps()) {
            steps.add(new PassStep(s.pass(), s.description(), s.nodesBefore(), s.nodesAfter(),
                    s.changes().stream().map(c -> c.node().isEmpty() ? c.description() : c.node() + ": " + c.description()).toList()));
        }
        Report rep = new Report(model.toString(), output.toString(), Stats.of(stats0), Stats.of(stats1), written.nodes().size(),
                steps, errors, lat, verified);
        PrintWriter out = spec.commandLine().getOut();
        if (json) Cli.printJson(out, rep);
        else print(out, rep);
        if (Boolean.FALSE.equals(verified)) {
            throw new EdgeoptException(output + ": ONNX Runtime outputs drift by " + fmt(errors.get(1).maxRel()) + " relative to the original, above --tolerance " + tolerance);
        }
        return 0;
    }

    /** The graph with symbolic batch set to 1, so MACs count and inputs can be drawn; else as is. */
    private static Graph batch1(Graph g) {
        boolean symbolic = g.inputs().stream().anyMatch(v -> v.type() != null && v.type().shape() != null
                && v.type().shape().rank() > 0 && !v.type().shape().dim(0).isKnown());
        return symbolic ? Cli.withBatch(g, 1) : g;
    }

    /** {max relative, max absolute} error of ORT on the written model vs ORT on the original. */
    private static double[] ortError(Path original, Path written, Map<String, Tensor> feed) {
        try (OrtRunner a = new OrtRunner(original, 1, OrtRunner.OptLevel.NONE);
             OrtRunner b = new OrtRunner(written, 1, OrtRunner.OptLevel.NONE)) {
            List<Tensor> ra = new ArrayList<>(a.run(feed).values()), rb = new ArrayList<>(b.run(feed).values());
            double rel = 0, abs = 0;
            for (int i = 0; i < ra.size(); i++) {
                Equivalence.OutputError e = Equivalence.compare("output " + i, ra.get(i), rb.get(i));
                rel = Math.max(rel, e.maxRel());
                abs = Math.max(abs, e.maxAbs());
            }
            return new double[] {rel, abs};
        }
    }

    private Latency time(Graph before, Graph after, Tensor[] in, PrintWriter err) {
        err.printf("optimize: timing before and after in alternation: %d warm-up runs, %d timed runs each%n", warmup, iters);
        err.flush();
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        try (Executor b = new Executor(before, 1); Executor a = new Executor(after, 1)) {
            for (int i = 0; i < warmup; i++) {
                b.run(in);
                a.run(in);
            }
            long[][] wall = new long[2][iters], cpu = new long[2][iters];
            Executor[] ex = {b, a};
            for (int i = 0; i < iters; i++) {
                for (int k = 0; k < 2; k++) {
                    long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                    ex[k].run(in);
                    wall[k][i] = System.nanoTime() - t0;
                    cpu[k][i] = mx.getCurrentThreadCpuTime() - c0;
                }
            }
            double wb = median(wall[0]), wa = median(wall[1]), cb = median(cpu[0]), ca = median(cpu[1]);
            return new Latency(wb, wa, wb / wa, cb, ca, cb / ca);
        }
    }

    private static double median(long[] t) {
        long[] s = t.clone();
        java.util.Arrays.sort(s);
        return (s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0) / 1e6;
    }

    private static String fmt(double d) { return String.format(Locale.ROOT, "%.3g", d); }

    static void print(PrintWriter out, Report r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"pass", "nodes before", "nodes after", "changes"});
        for (PassStep s : r.passes()) {
            rows.add(new String[] {s.pass(), Integer.toString(s.nodesBefore()), Integer.toString(s.nodesAfter()), Integer.toString(s.changes().size())});
        }
        Table.print(out, rows, 1, 2, 3);
        out.println();
        out.printf("%-16s %14s %14s%n", "", "before", "after");
        out.printf("%-16s %14d %14d%n", "nodes", r.before().nodes(), r.after().nodes());
        out.printf("%-16s %14s %14s%n", "weights", Cli.grouped(r.before().weightElements()), Cli.grouped(r.after().weightElements()));
        out.printf("%-16s %14s %14s%n", "weight bytes", Cli.bytes(r.before().weightBytes()), Cli.bytes(r.after().weightBytes()));
        out.printf("%-16s %14s %14s%n", "MACs", r.before().macs() == null ? "?" : Cli.grouped(r.before().macs()),
                r.after().macs() == null ? "?" : Cli.grouped(r.after().macs()));
        if (r.latency() != null) {
            out.printf(Locale.ROOT, "%-16s %14.3f %14.3f  (%.2fx, Java engine, batch 1, 1 thread, median wall)%n", "latency ms",
                    r.latency().beforeMs(), r.latency().afterMs(), r.latency().speedup());
            out.printf(Locale.ROOT, "%-16s %14.3f %14.3f  (%.2fx, thread CPU time)%n", "cpu ms",
                    r.latency().beforeCpuMs(), r.latency().afterCpuMs(), r.latency().cpuSpeedup());
        }
        for (Error e : r.maxError()) {
            out.printf("max error (%s)  %s relative to output magnitude, %s absolute%n", e.engine(), fmt(e.maxRel()), fmt(e.maxAbs()));
        }
        out.printf("wrote %s (%d nodes, standard ONNX)%n", r.output(), r.writtenNodes());
        out.flush();
    }
}
