package dev.edgeopt.cli;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.onnx.Conformance;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code edgeopt conformance}: ONNX backend node tests through the Java engine. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description =
            "Runs ONNX backend node tests (folders holding model.onnx and test_data_set_N/) through "
            + "edgeopt's Java engine and compares with the expected outputs (|got - want| <= 1e-7 + 1e-3 "
            + "|want|; integers exact). Each case passes, fails, is unsupported (an op edgeopt does not "
            + "implement) or is excluded (listed with its reason in conformance-exclusions.txt). Exit code 1 "
            + "when any case fails.")
final class ConformanceCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Folder of test cases, e.g. /usr/share/libonnx-testdata/data/node.")
    Path dir;

    @Option(names = "--filter", paramLabel = "REGEX", description = "Only cases whose folder name matches REGEX entirely, e.g. 'test_(conv|gemm).*'.")
    String filter;

    @Mixin ThreadsOption threadsOption;

    @Option(names = "--json", description = "Print one JSON object: passed, failed, unsupported, excluded, per_op, failures.")
    boolean json;

    /** Counts per op, for JSON. */
    record OpCounts(int passed, int failed, int unsupported, int excluded) {}

    record Failure(String name, String detail) {}

    record Summary(long passed, long failed, long unsupported, long excluded, Map<String, OpCounts> perOp, List<Failure> failures) {}

    @Override public Integer call() {
        int threads = threadsOption.get();
        Pattern p;
        try {
            p = filter == null ? null : Pattern.compile(filter);
        } catch (PatternSyntaxException e) {
            throw new EdgeoptException("--filter '" + filter + "' is not a regular expression: " + e.getDescription());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Conformance.Report r = new Conformance(threads).run(dir, p == null ? null : n -> p.matcher(n).matches(), c -> {
            // Text mode lists every case on stdout; JSON mode keeps stdout for the one object.
            PrintWriter to = json ? err : out;
            to.println(c.status().name().toLowerCase(Locale.ROOT) + " " + c.name() + (c.detail().isEmpty() ? "" : ": " + c.detail()));
            to.flush();
        });
        if (r.cases().isEmpty()) throw new EdgeoptException(dir + ": no test case matches --filter '" + filter + "'");
        Summary s = summarize(r);
        if (json) {
            Cli.printJson(out, s);
        } else {
            out.printf("%d passed, %d failed, %d unsupported, %d excluded%n", s.passed(), s.failed(), s.unsupported(), s.excluded());
            out.flush();
        }
        return s.failed() == 0 ? 0 : 1;
    }

    static Summary summarize(Conformance.Report r) {
        Map<String, OpCounts> perOp = new LinkedHashMap<>();
        for (Map.Entry<String, Map<Conformance.Status, Integer>> e : r.perOp().entrySet()) {
            Map<Conformance.Status, Integer> m = e.getValue();
            perOp.put(e.getKey(), new OpCounts(m.getOrDefault(Conformance.Status.PASSED, 0), m.getOrDefault(Conformance.Status.FAILED, 0),
                    m.getOrDefault(Conformance.Status.UNSUPPORTED, 0), m.getOrDefault(Conformance.Status.EXCLUDED, 0)));
        }
        List<Failure> failures = new ArrayList<>();
        for (Conformance.Case c : r.cases()) if (c.status() == Conformance.Status.FAILED) failures.add(new Failure(c.name(), c.detail()));
        return new Summary(r.count(Conformance.Status.PASSED), r.count(Conformance.Status.FAILED), r.count(Conformance.Status.UNSUPPORTED),
                r.count(Conformance.Status.EXCLUDED), perOp, failures);
    }
}
