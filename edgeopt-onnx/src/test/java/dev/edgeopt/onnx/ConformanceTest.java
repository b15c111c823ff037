package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.testing.TestPaths;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** ONNX's backend node tests through the Java engine: every case of every claimed op passes. */
class ConformanceTest {
    /**
     * The whole suite passed 703 cases when this was set; the floor sits just under it so that an op
     * silently turning unsupported (a schema or kernel lost in a merge) fails here. Raise it as ops land.
     */
    static final int MIN_PASSED = 700;

    @Test
    void everyClaimedOpPassesEveryCase() {
        Path dir = TestPaths.require(TestPaths.ONNX_NODE_TESTS);
        // -Dconformance.filter=REGEX runs a subset and prints each case (for work on one op family).
        String filter = System.getProperty("conformance.filter");
        Conformance.Report r = new Conformance(1).run(dir, filter == null ? null : n -> n.matches(filter),
                filter == null ? null : c -> System.out.println(c.status() + " " + c.name() + " " + c.detail()));
        String failures = r.cases().stream().filter(c -> c.status() == Conformance.Status.FAILED)
                .map(c -> c.name() + ": " + c.detail()).collect(Collectors.joining("\n"));
        long passed = r.count(Conformance.Status.PASSED);
        System.out.printf("conformance: %d passed, %d failed, %d unsupported, %d excluded%n",
                passed, r.count(Conformance.Status.FAILED), r.count(Conformance.Status.UNSUPPORTED), r.count(Conformance.Status.EXCLUDED));
        assertTrue(failures.isEmpty(), "failing cases:\n" + failures);
        if (filter == null) assertTrue(passed >= MIN_PASSED, "only " + passed + " cases pass, expected at least " + MIN_PASSED);
    }
}
