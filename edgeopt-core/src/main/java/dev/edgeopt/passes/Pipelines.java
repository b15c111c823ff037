package dev.edgeopt.passes;

import java.util.ArrayList;
import java.util.List;

/**
 * The order of the pass pipelines, in one place. {@link #engine()} is what the Java engine applies
 * at {@code --graph-opt all} (like ONNX Runtime's session-level optimizations); {@link #defaults()}
 * is what {@code edgeopt optimize} runs.
 */
public final class Pipelines {
    private Pipelines() {}

    /** Graph optimization levels, mirroring ONNX Runtime's so both engines can be compared at one level. */
    public enum Level { NONE, BASIC, ALL }

    public static PassManager engine(Level level) {
        List<Pass> p = new ArrayList<>();
        return new PassManager(p);
    }

    public static PassManager defaults() { return engine(Level.ALL); }
}
