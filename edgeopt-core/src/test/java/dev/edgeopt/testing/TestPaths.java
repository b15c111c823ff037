package dev.edgeopt.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locations of data the tests read from outside the repository. On CI ({@code CI} set) a missing
 * location fails the test, because .ci/run installs it; on a developer machine the test is skipped
 * with the reason.
 */
public final class TestPaths {
    private TestPaths() {}

    public static final Path ONNX_NODE_TESTS = Path.of("/usr/share/libonnx-testdata/data/node");
    public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    /** ../shared (design, models, hooks), from -Dedgeopt.shared or relative to the working folder. */
    public static Path shared() {
        String p = System.getProperty("edgeopt.shared");
        if (p != null && Files.isDirectory(Path.of(p))) return Path.of(p);
        for (Path c = Path.of("").toAbsolutePath(); c != null; c = c.getParent()) {
            Path s = c.resolveSibling("shared");
            if (Files.isDirectory(s.resolve("models"))) return s;
        }
        return Path.of(p == null ? "../shared" : p);
    }

    public static Path sharedModel(String file) { return require(shared().resolve("models").resolve(file)); }

    /** Returns the path, or skips (fails on CI) when it does not exist. */
    public static Path require(Path p) {
        if (!Files.exists(p)) {
            String why = p + " is missing";
            if (System.getenv("CI") != null) throw new AssertionError(why + " (CI must provide it; see .ci/run)");
            Assumptions.assumeTrue(false, why);
        }
        return p;
    }
}
