package dev.edgeopt.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.onnx.OnnxTensors;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.passes.Equivalence;
import dev.edgeopt.tensor.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every command shares: loading tensors with one-line errors, binding
 * {@code NAME=FILE} arguments to a model's inputs and outputs, seeded inputs, batch rewriting and
 * JSON output.
 */
final class Cli {
    private Cli() {}

    /** Record components in camelCase print as snake_case keys, the convention of every --json. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    /** The mapper behind {@link #printJson}, for commands that assemble JSON trees. */
    static ObjectMapper json() { return JSON; }

    /** Prints one JSON object (and a newline) on {@code out}. */
    static void printJson(PrintWriter out, Object value) {
        try {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
            out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    /** A {@code NAME=FILE} or plain {@code FILE} argument. */
    record Binding(String name, Path file) {
        static Binding parse(String arg) {
            int eq = arg.indexOf('=');
            // A path may itself contain '='; only a prefix without a path separator is a name.
            if (eq > 0 && arg.substring(0, eq).indexOf('/') < 0) return new Binding(arg.substring(0, eq), Path.of(arg.substring(eq + 1)));
            return new Binding(null, Path.of(arg));
        }
    }

    /**
     * Reads input tensors ({@code .npy} or TensorProto {@code .pb}) for the graph's inputs. Plain
     * files fill the inputs not named explicitly, in the model's order.
     */
    static Map<String, Tensor> readInputs(Graph g, Path model, List<String> args) {
        Map<String, Tensor> byName = new LinkedHashMap<>();
        List<Binding> plain = new ArrayList<>();
        for (String a : args) {
            Binding b = Binding.parse(a);
            if (b.name == null) {
                plain.add(b);
                continue;
            }
            Value v = g.value(b.name);
            if (v == null || !g.isGraphInput(v)) {
                throw new EdgeoptException(model + ": has no input '" + b.name + "'; its inputs are " + names(g.inputs()));
            }
            if (byName.containsKey(b.name)) throw new EdgeoptException("input '" + b.name + "' is given twice");
            byName.put(b.name, readInput(v, b.file, model));
        }
        int next = 0;
        for (Binding b : plain) {
            while (next < g.inputs().size() && byName.containsKey(g.inputs().get(next).name())) next++;
            if (next == g.inputs().size()) {
                throw new EdgeoptException(b.file + ": " + model + " has only " + g.inputs().size() + " input(s) " + names(g.inputs()) + " and all are given");
            }
            Value v = g.inputs().get(next);
            byName.put(v.name(), readInput(v, b.file, model));
        }
        for (Value v : g.inputs()) {
            if (!byName.containsKey(v.name())) {
                throw new EdgeoptException(model + ": input '" + v.name() + "' (" + v.type() + ") is not given; use --input " + v.name() + "=FILE");
            }
        }
        return byName;
    }

    private static Tensor readInput(Value v, Path file, Path model) {
        Tensor t = OnnxTensors.read(file);
        TensorType want = v.type();
        if (want != null && !Executor.accepts(want, t)) {
            throw new EdgeoptException(file + ": holds " + t.type() + " but input '" + v.name() + "' of " + model + " is " + want);
        }
        return t;
    }

    /**
     * Seeded inputs ({@link Equivalence#randomInputs}) for a graph whose inputs have static shapes;
     * a symbolic dim is refused, since a benchmark's batch size must be chosen, not guessed.
     */
    static Tensor[] randomInputs(Graph g, long seed) {
        for (Value v : g.inputs()) {
            TensorType t = v.type();
            if (t == null || !t.isStatic()) {
                throw new EdgeoptException("input '" + v.name() + "' has shape " + (t == null ? "?" : t.shape()) + "; give a batch size with --batch");
            }
        }
        return Equivalence.randomInputs(g, seed, 1).values().toArray(new Tensor[0]);
    }

    /**
     * A copy of the graph whose inputs have batch size {@code batch} (dim 0, static or symbolic),
     * with every other type inferred again. Shapes baked into the model (a Reshape to [1, -1])
     * show up as an error naming the node.
     */
    static Graph withBatch(Graph g, int batch) {
        if (batch < 1) throw new EdgeoptException("--batch must be at least 1, got " + batch);
        Graph c = g.copy();
        for (Value v : c.inputs()) {
            TensorType t = v.type();
            if (t == null || t.shape() == null || t.shape().rank() == 0) {
                throw new EdgeoptException("input '" + v.name() + "' has no batch dimension (type " + t + ")");
            }
            v.setType(new TensorType(t.dtype(), t.shape().withDim(0, Dim.of(batch))));
        }
        for (Node n : c.nodes()) for (Value v : n.outputs()) v.setType(null);
        try {
            ShapeInference.annotate(c, Executor.evaluator());
        } catch (EdgeoptException e) {
            throw new EdgeoptException("batch " + batch + ": " + e.getMessage(), e);
        }
        return c;
    }

    static List<String> names(List<Value> values) { return values.stream().map(Value::name).toList(); }

    /** Shape as text, "?" when unknown. */
    static String shapeText(Value v) {
        return v == null ? "-" : v.type() == null ? "?" : v.type().shape() == null ? v.dtype() + "[?]" : v.type().toString();
    }

    /** 1234567 as "1,234,567". */
    static String grouped(long n) { return String.format(java.util.Locale.ROOT, "%,d", n); }

    /** A byte count in B/KiB/MiB/GiB. */
    static String bytes(long b) {
        if (b < 1024) return b + " B";
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int i = -1;
        while (v >= 1024 && i < u.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, u[i]);
    }
}
