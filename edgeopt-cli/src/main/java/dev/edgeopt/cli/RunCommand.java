package dev.edgeopt.cli;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.onnx.OnnxTensors;
import dev.edgeopt.onnx.OrtRunner;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code edgeopt run}: one inference on tensors from files. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description =
            "Runs an ONNX model once on input tensors read from .npy or ONNX TensorProto .pb files and "
            + "writes its outputs (atomically) to .npy or .pb files. Prints each output's shape and range.")
final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "ONNX model file.")
    Path model;

    @Option(names = {"-i", "--input"}, paramLabel = "[NAME=]FILE", required = true,
            description = "An input tensor (.npy or .pb). Plain FILEs fill the model's inputs in order; NAME=FILE binds by name. Repeat for several inputs.")
    List<String> inputs = new ArrayList<>();

    @Option(names = {"-o", "--output"}, paramLabel = "[NAME=]FILE",
            description = "Where to write an output (.npy or .pb by extension). A plain FILE takes the model's only output; with several outputs use NAME=FILE for each one wanted.")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "java",
            description = "java (edgeopt's engine, default) or ort (ONNX Runtime).")
    Engine engine;

    @Mixin ThreadsOption threadsOption;

    @Override public Integer call() {
        int threads = threadsOption.get();
        Graph g = OnnxImporter.load(model);
        Map<String, Tensor> in = Cli.readInputs(g, model, inputs);
        Map<String, Path> targets = outputTargets(g);
        Map<String, Tensor> result = run(g, model, in, engine, threads);
        PrintWriter out = spec.commandLine().getOut();
        for (Map.Entry<String, Tensor> e : result.entrySet()) {
            Path f = targets.get(e.getKey());
            if (f != null) write(f, e.getValue(), e.getKey());
            out.println(describe(e.getKey(), e.getValue()) + (f == null ? "" : " -> " + f));
        }
        out.flush();
        return 0;
    }

    /** Runs the model once with either engine; outputs by name in the model's order. */
    static Map<String, Tensor> run(Graph g, Path model, Map<String, Tensor> in, Engine engine, int threads) {
        if (engine == Engine.ORT) {
            try (OrtRunner ort = model != null ? new OrtRunner(model, threads, OrtRunner.OptLevel.ALL) : new OrtRunner(g, threads, OrtRunner.OptLevel.ALL)) {
                return ort.run(in);
            }
        }
        try (Executor ex = new Executor(g, threads)) {
            return ex.run(in);
        }
    }

    private Map<String, Path> outputTargets(Graph g) {
        Map<String, Path> m = new LinkedHashMap<>();
        List<String> names = Cli.names(g.outputs());
        for (String a : outputs) {
            Cli.Binding b = Cli.Binding.parse(a);
            String name = b.name();
            if (name == null) {
                if (names.size() != 1) {
                    throw new EdgeoptException(model + ": has " + names.size() + " outputs " + names + "; write each with --output NAME=FILE");
                }
                name = names.get(0);
            } else if (!names.contains(name)) {
                throw new EdgeoptException(model + ": has no output '" + name + "'; its outputs are " + names);
            }
            if (m.put(name, b.file()) != null) throw new EdgeoptException("output '" + name + "' is given twice");
            String f = b.file().getFileName().toString().toLowerCase(Locale.ROOT);
            if (!f.endsWith(".npy") && !f.endsWith(".pb")) throw new EdgeoptException(b.file() + ": output files end in .npy or .pb");
        }
        return m;
    }

    private static void write(Path f, Tensor t, String name) {
        if (f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".pb")) OnnxTensors.writePb(f, t, name);
        else Npy.write(f, t);
    }

    /** "name: float32[1,1000] min -3.2 max 4.1" (range for numeric tensors). */
    static String describe(String name, Tensor t) {
        StringBuilder b = new StringBuilder(name).append(": ").append(t.type());
        if (t.size() > 0 && (t.dtype().isFloating() || t.dtype().isInteger())) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < t.size(); i++) {
                double v = t.getDouble(i);
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            b.append(String.format(Locale.ROOT, " min %.6g max %.6g", lo, hi));
        }
        return b.toString();
    }
}
