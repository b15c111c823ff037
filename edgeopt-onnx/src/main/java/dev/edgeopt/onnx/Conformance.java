package dev.edgeopt.onnx;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.OpRegistry;
import dev.edgeopt.ops.UnsupportedOpException;
import dev.edgeopt.tensor.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Runs ONNX's backend node tests (one folder per case: {@code model.onnx} and
 * {@code test_data_set_N/input_K.pb, output_K.pb}) through the Java engine.
 *
 * <p>A case is <em>unsupported</em> when it uses an op the engine does not claim (no schema or no
 * kernel) or an opset outside 7 to 21; it is <em>excluded</em> when it is listed, with its reason,
 * in {@code conformance-exclusions.txt}; otherwise it passes or fails. Tolerances are ONNX's:
 * {@code |actual - expected| <= atol + rtol * |expected|} with rtol 1e-3 and atol 1e-7; integer,
 * bool and string outputs must match exactly, and dtypes and shapes always.
 */
public final class Conformance {
    public static final double RTOL = 1e-3, ATOL = 1e-7;

    public enum Status { PASSED, FAILED, UNSUPPORTED, EXCLUDED }

    /** The outcome of one test folder. */
    public record Case(String name, List<String> ops, Status status, String detail) {}

    /** All outcomes with per-op counts. */
    public record Report(List<Case> cases) {
        public long count(Status s) { return cases.stream().filter(c -> c.status == s).count(); }

        /** Per op: counts of each status over the cases that use the op. */
        public Map<String, Map<Status, Integer>> perOp() {
            Map<String, Map<Status, Integer>> m = new TreeMap<>();
            for (Case c : cases) {
                for (String op : c.ops) {
                    m.computeIfAbsent(op, k -> new java.util.EnumMap<>(Status.class)).merge(c.status, 1, Integer::sum);
                }
            }
            return m;
        }
    }

    private final Map<String, String> exclusions;
    private final int threads;

    public Conformance(int threads) {
        this.exclusions = loadExclusions();
        this.threads = threads;
    }

    /** Test cases the project excludes, with the reason for each. */
    public Map<String, String> exclusions() { return exclusions; }

    public Report run(Path dir, java.util.function.Predicate<String> filter, java.util.function.Consumer<Case> progress) {
        if (!Files.isDirectory(dir)) throw new EdgeoptException(dir + ": not a directory of ONNX node tests");
        List<Path> cases = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().forEach(cases::add);
        } catch (IOException e) {
            throw new EdgeoptException(dir + ": cannot list: " + e.getMessage(), e);
        }
        if (cases.isEmpty()) throw new EdgeoptException(dir + ": no test folders (expected subfolders with model.onnx)");
        List<Case> out = new ArrayList<>();
        for (Path c : cases) {
            String name = c.getFileName().toString();
            if (filter != null && !filter.test(name)) continue;
            Case r = runCase(c);
            out.add(r);
            if (progress != null) progress.accept(r);
        }
        return new Report(out);
    }

    /** Runs one test folder. */
    public Case runCase(Path dir) {
        String name = dir.getFileName().toString();
        List<String> ops = opsOf(dir.resolve("model.onnx"));
        String excluded = exclusions.get(name);
        if (excluded != null) return new Case(name, ops, Status.EXCLUDED, excluded);
        for (String op : ops) {
            if (op.equals("Constant")) continue; // the importer turns Constant nodes into initializers
            String[] p = op.split("\\.", 2);
            String domain = p.length == 2 ? p[0] : "", type = p.length == 2 ? p[1] : p[0];
            if (OpRegistry.standard().find(domain, type) == null || KernelRegistry.standard().find(domain, type) == null) {
                return new Case(name, ops, Status.UNSUPPORTED, "op " + op + " is not implemented");
            }
        }
        Graph g;
        try {
            g = OnnxImporter.load(dir.resolve("model.onnx"));
        } catch (UnsupportedOpException e) {
            return new Case(name, ops, Status.UNSUPPORTED, e.getMessage());
        } catch (EdgeoptException e) {
            String m = e.getMessage();
            if (m.contains("opset") && m.contains("not supported") || m.contains("subgraph") || m.contains("only tensors are supported")
                    || m.contains("unsupported data type") || m.contains("unsupported element type")) {
                return new Case(name, ops, Status.UNSUPPORTED, m);
            }
            return new Case(name, ops, Status.FAILED, "import: " + m);
        } catch (RuntimeException e) {
            return new Case(name, ops, Status.FAILED, "import crashed: " + e);
        }
        List<Path> sets;
        try (Stream<Path> s = Files.list(dir)) {
            sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
        } catch (IOException e) {
            return new Case(name, ops, Status.FAILED, "cannot list data sets: " + e.getMessage());
        }
        try (Executor ex = new Executor(g, threads)) {
            for (Path set : sets) {
                Tensor[] inputs = new Tensor[g.inputs().size()];
                for (int i = 0; i < inputs.length; i++) {
                    Path f = set.resolve("input_" + i + ".pb");
                    if (!Files.exists(f)) return new Case(name, ops, Status.FAILED, set.getFileName() + ": missing " + f.getFileName());
                    inputs[i] = asDeclared(OnnxTensors.readPb(f), g.inputs().get(i).dtype());
                }
                Tensor[] got = ex.run(inputs);
                for (int i = 0; i < g.outputs().size(); i++) {
                    Path f = set.resolve("output_" + i + ".pb");
                    if (!Files.exists(f)) continue;
                    Tensor want = asDeclared(OnnxTensors.readPb(f), g.outputs().get(i).dtype());
                    String diff = compare(want, got[i], RTOL, ATOL);
                    if (diff != null) {
                        return new Case(name, ops, Status.FAILED, set.getFileName() + " output " + i + " ('" + g.outputs().get(i).name() + "'): " + diff);
                    }
                }
            }
        } catch (EdgeoptException e) {
            return new Case(name, ops, Status.FAILED, e.getMessage());
        } catch (RuntimeException | StackOverflowError e) {
            StackTraceElement[] st = e.getStackTrace();
            return new Case(name, ops, Status.FAILED, e + (st.length > 0 ? " at " + st[0] : ""));
        }
        return new Case(name, ops, Status.PASSED, "");
    }

    /**
     * Null when {@code got} matches {@code want} within tolerance, else a one-line description of
     * the first mismatch.
     */
    public static String compare(Tensor want, Tensor got, double rtol, double atol) {
        if (got == null) return "no output";
        if (want.dtype() != got.dtype()) return "dtype " + got.dtype() + ", expected " + want.dtype();
        if (!java.util.Arrays.equals(want.dims(), got.dims())) {
            return "shape " + java.util.Arrays.toString(got.dims()) + ", expected " + java.util.Arrays.toString(want.dims());
        }
        int n = want.size();
        if (want.dtype() == DType.STRING) {
            for (int i = 0; i < n; i++) {
                if (!want.strings()[want.offset() + i].equals(got.strings()[got.offset() + i])) return "element " + i + " differs";
            }
            return null;
        }
        boolean exact = !want.dtype().isFloating();
        for (int i = 0; i < n; i++) {
            if (exact) {
                if (want.getLong(i) != got.getLong(i)) return "element " + i + ": " + got.getLong(i) + ", expected " + want.getLong(i);
                continue;
            }
            double w = want.getDouble(i), a = got.getDouble(i);
            if (Double.isNaN(w) || Double.isNaN(a)) {
                if (Double.isNaN(w) != Double.isNaN(a)) return "element " + i + ": " + a + ", expected " + w;
                continue;
            }
            if (Double.isInfinite(w) || Double.isInfinite(a)) {
                if (w != a) return "element " + i + ": " + a + ", expected " + w;
                continue;
            }
            if (Math.abs(a - w) > atol + rtol * Math.abs(w)) {
                return "element " + i + ": " + a + ", expected " + w + " (|diff| " + Math.abs(a - w) + ")";
            }
        }
        return null;
    }

    /**
     * ONNX's generators store bfloat16 test tensors as uint16 (numpy has no bfloat16); the bits are
     * the same, so read them as the type the model declares.
     */
    static Tensor asDeclared(Tensor t, DType declared) {
        if (declared == DType.BFLOAT16 && t.dtype() == DType.UINT16) return Tensor.view(DType.BFLOAT16, t.dims(), t.data(), t.offset());
        return t;
    }

    /** The distinct op types of a model (domain-qualified outside ai.onnx), read without importing it. */
    static List<String> opsOf(Path model) {
        try {
            var m = dev.edgeopt.onnx.proto.OnnxProto.ModelProto.parseFrom(Files.readAllBytes(model));
            TreeSet<String> ops = new TreeSet<>();
            for (var n : m.getGraph().getNodeList()) {
                String d = n.getDomain().equals("ai.onnx") ? "" : n.getDomain();
                ops.add(d.isEmpty() ? n.getOpType() : d + "." + n.getOpType());
            }
            return new ArrayList<>(ops);
        } catch (IOException e) {
            return List.of("?");
        }
    }

    static Map<String, String> loadExclusions() {
        Map<String, String> m = new LinkedHashMap<>();
        try (InputStream in = Conformance.class.getResourceAsStream("conformance-exclusions.txt")) {
            if (in == null) return m;
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                int sp = line.indexOf(' ');
                if (sp < 0) throw new IllegalStateException("conformance exclusion without a reason: " + line);
                m.put(line.substring(0, sp), line.substring(sp + 1).strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }

    /** Ops used by a graph (for reports). */
    static List<String> opsOf(Graph g) {
        TreeSet<String> s = new TreeSet<>();
        for (Node n : g.nodes()) s.add(n.opType());
        return new ArrayList<>(s);
    }

}
