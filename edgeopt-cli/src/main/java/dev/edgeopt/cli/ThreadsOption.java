package dev.edgeopt.cli;

import dev.edgeopt.EdgeoptException;
import picocli.CommandLine.Option;

/** {@code --threads N}, shared by the commands that run a model (picocli mixin). */
final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "Threads for each engine (default ${DEFAULT-VALUE}); ONNX Runtime gets the same number of intra-op threads.")
    int threads;

    /** The validated count. */
    int get() {
        if (threads < 1) throw new EdgeoptException("--threads must be at least 1, got " + threads);
        return threads;
    }
}
