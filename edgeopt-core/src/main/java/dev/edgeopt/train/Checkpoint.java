package dev.edgeopt.train;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.io.AtomicFile;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A training checkpoint directory: the model with its current weights and running statistics
 * (through {@link ModelIo}, i.e. ONNX), the optimizer's moments as one .npy per slot, and
 * {@code trainer.properties} with the epoch reached, the step count and early-stopping state.
 * Files are written atomically, the properties last, so a checkpoint that has them is complete.
 */
public final class Checkpoint {
    private Checkpoint() {}

    public record State(int epoch, long step, double bestMetric, int badEpochs) {}

    public static void save(Path dir, Graph model, Parameters params, Optimizer opt, State st, ModelIo io) {
        try {
            Files.createDirectories(dir.resolve("optimizer"));
        } catch (IOException e) {
            throw new EdgeoptException(dir + ": cannot create checkpoint directory (" + e.getMessage() + ")");
        }
        AtomicFile.write(dir.resolve(io.fileName()), io.write(params.export(model)));
        for (var e : opt.state().entrySet()) Npy.write(dir.resolve("optimizer").resolve(safe(e.getKey()) + ".npy"), e.getValue());
        Properties p = new Properties();
        p.setProperty("epoch", Integer.toString(st.epoch()));
        p.setProperty("step", Long.toString(st.step()));
        p.setProperty("best", Double.toString(st.bestMetric()));
        p.setProperty("bad_epochs", Integer.toString(st.badEpochs()));
        StringBuilder names = new StringBuilder();
        for (String k : opt.state().keySet()) names.append(names.length() == 0 ? "" : "\n").append(k);
        p.setProperty("optimizer_slots", names.toString());
        java.io.StringWriter w = new java.io.StringWriter();
        try {
            p.store(w, "edgeopt training checkpoint");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        AtomicFile.write(dir.resolve("trainer.properties"), w.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Loads weights into {@code params} and moments into {@code opt}; returns the saved state. */
    public static State load(Path dir, Parameters params, Optimizer opt, ModelIo io) {
        Path props = dir.resolve("trainer.properties");
        if (!Files.exists(props)) throw new EdgeoptException(dir + ": not a complete checkpoint (no trainer.properties)");
        Properties p = new Properties();
        try {
            p.load(new StringReader(Files.readString(props)));
            Graph g = io.read(Files.readAllBytes(dir.resolve(io.fileName())), dir.resolve(io.fileName()).toString());
            Map<String, Tensor> weights = new LinkedHashMap<>();
            for (Value v : g.initializers()) weights.put(v.name(), v.constant());
            params.load(weights);
            Map<String, Tensor> slots = new LinkedHashMap<>();
            for (String k : p.getProperty("optimizer_slots", "").split("\n")) {
                if (k.isEmpty()) continue;
                slots.put(k, Npy.read(dir.resolve("optimizer").resolve(safe(k) + ".npy")));
            }
            opt.loadState(slots);
            return new State(Integer.parseInt(p.getProperty("epoch")), Long.parseLong(p.getProperty("step")),
                    Double.parseDouble(p.getProperty("best")), Integer.parseInt(p.getProperty("bad_epochs")));
        } catch (IOException | NumberFormatException | NullPointerException e) {
            throw new EdgeoptException(dir + ": unreadable checkpoint (" + e.getMessage() + ")");
        }
    }

    private static String safe(String s) { return s.replaceAll("[^A-Za-z0-9._-]", "_"); }

    static boolean exists(Path dir) { return Files.exists(dir.resolve("trainer.properties")); }

    static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
