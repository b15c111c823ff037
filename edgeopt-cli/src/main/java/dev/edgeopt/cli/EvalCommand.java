package dev.edgeopt.cli;

import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.data.Datasets;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OrtRunner;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.train.ClassificationMetrics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code edgeopt eval}: classification metrics of a model on a data set's test part. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {
            "Evaluates a classifier on the test part of a data set with edgeopt's engine or ONNX Runtime:",
            "accuracy, per-class precision, recall and F1, macro F1 and the confusion matrix."})
final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "ONNX model file.")
    Path model;

    @Option(names = "--data", defaultValue = "fashion-mnist", paramLabel = "DATA", description = "fashion-mnist (default) or a directory.")
    String data;

    @Option(names = "--engine", defaultValue = "java", paramLabel = "ENGINE", description = "java (default) or ort.")
    Engine engine;

    @Mixin ThreadsOption threadsOption;

    @Option(names = "--batch", defaultValue = "250", paramLabel = "B", description = "Samples per inference (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--train", description = "Evaluate on the training part instead of the test part.")
    boolean trainPart;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    record PerClass(String name, double precision, double recall, double f1, long support) {}

    record Result(String model, String data, String engine, long samples, double accuracy, double macroF1, List<PerClass> perClass, long[][] confusion) {}

    @Override public Integer call() {
        int threads = threadsOption.get();
        if (batch < 1) throw new EdgeoptException("--batch must be at least 1, got " + batch);
        Graph g = OnnxImporter.load(model);
        Dataset d = Datasets.load(data, trainPart);
        if (g.inputs().size() != 1 || g.outputs().size() != 1) throw new EdgeoptException(model + ": a classifier needs one input and one output");
        int[] pred = predict(g, d, threads);
        ClassificationMetrics m = ClassificationMetrics.of(d.labels(), pred, d.classNames());
        List<PerClass> pc = new ArrayList<>();
        for (int c = 0; c < d.classes(); c++) pc.add(new PerClass(d.classNames().get(c), m.precision(c), m.recall(c), m.f1(c), Arrays.stream(m.confusion()[c]).sum()));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Cli.printJson(out, new Result(model.toString(), data, engine.toString(), d.size(), m.accuracy(), m.macroF1(), pc, m.confusion()));
            return 0;
        }
        out.printf(Locale.ROOT, "%s on %s (%d samples, %s engine): accuracy %.2f%%, macro F1 %.4f%n", model, d.name(), d.size(), engine, 100 * m.accuracy(), m.macroF1());
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"class", "precision", "recall", "f1", "support"});
        for (PerClass p : pc) {
            rows.add(new String[] {p.name(), String.format(Locale.ROOT, "%.4f", p.precision()), String.format(Locale.ROOT, "%.4f", p.recall()),
                String.format(Locale.ROOT, "%.4f", p.f1()), Long.toString(p.support())});
        }
        Table.print(out, rows, 1, 2, 3, 4);
        out.println("confusion (rows: true class, columns: predicted):");
        for (long[] row : m.confusion()) {
            StringBuilder b = new StringBuilder();
            for (long v : row) b.append(String.format(Locale.ROOT, "%6d", v));
            out.println(b);
        }
        out.flush();
        return 0;
    }

    private int[] predict(Graph g, Dataset d, int threads) {
        int n = d.size(), ss = d.sampleSize();
        int[] sample = d.sampleShape();
        int[] pred = new int[n];
        int classes = -1;
        try (Executor ex = engine == Engine.JAVA ? new Executor(g, threads) : null;
             OrtRunner ort = engine == Engine.ORT ? new OrtRunner(model, threads, OrtRunner.OptLevel.ALL) : null) {
            for (int s = 0; s < n; s += batch) {
                int cnt = Math.min(batch, n - s);
                int[] shape = new int[sample.length + 1];
                shape[0] = cnt;
                System.arraycopy(sample, 0, shape, 1, sample.length);
                Tensor x = Tensor.of(Arrays.copyOfRange(d.data(), s * ss, (s + cnt) * ss), shape);
                Tensor y = ex != null ? ex.run(x)[0] : ort.run(x)[0];
                if (y.rank() != 2 || y.dim(0) != cnt) throw new EdgeoptException(model + ": output is " + Arrays.toString(y.dims()) + ", expected [batch, classes]");
                classes = y.dim(1);
                if (classes != d.classes()) throw new EdgeoptException(model + ": output has " + classes + " classes but " + d.name() + " has " + d.classes());
                float[] z = y.toFloatArray();
                for (int i = 0; i < cnt; i++) {
                    int arg = 0;
                    for (int j = 1; j < classes; j++) if (z[i * classes + j] > z[i * classes + arg]) arg = j;
                    pred[s + i] = arg;
                }
            }
        }
        return pred;
    }
}
