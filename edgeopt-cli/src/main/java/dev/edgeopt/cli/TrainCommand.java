package dev.edgeopt.cli;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Augment;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.data.Datasets;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.train.ClassificationMetrics;
import dev.edgeopt.train.ModelIo;
import dev.edgeopt.train.Trainer;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code edgeopt train}: trains a reference architecture on a data set and exports it as ONNX. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {
            "Trains a reference architecture (mlp, cnn, dscnn, resnet8) in edgeopt's own training engine and writes",
            "the model as ONNX. Prints test accuracy; the progress bar goes to stderr. Same seed and --threads give",
            "byte-identical weights."})
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--arch", required = true, paramLabel = "ARCH", description = "mlp, cnn, dscnn or resnet8.")
    String arch;

    @Option(names = "--width", defaultValue = "1.0", paramLabel = "W", description = "Width multiplier of channels/units (default ${DEFAULT-VALUE}).")
    double width;

    @Option(names = "--depth", defaultValue = "-1", paramLabel = "D", description = "Number of repeated blocks (default: the architecture's).")
    int depth;

    @Option(names = "--data", defaultValue = "fashion-mnist", paramLabel = "DATA", description = "fashion-mnist (default) or a directory (IDX, x.npy/y.npy, train.csv, or class folders).")
    String data;

    @Option(names = "--epochs", defaultValue = "6", paramLabel = "N", description = "Epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "128", paramLabel = "B", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default 0.003 for Adam/AdamW, 0.1 for SGD).")
    Float lr;

    @Option(names = "--optimizer", defaultValue = "adamw", paramLabel = "OPT", description = "sgd, nesterov, adam or adamw (default ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--schedule", defaultValue = "onecycle", paramLabel = "S", description = "constant, step, cosine or onecycle (default ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--weight-decay", defaultValue = "5e-4", paramLabel = "WD", description = "Weight decay on weights (default ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--clip", defaultValue = "0", paramLabel = "NORM", description = "Clip gradients to this global L2 norm (0: off).")
    float clip;

    @Option(names = "--augment", defaultValue = "none", paramLabel = "SPEC", description = "Augmentation, e.g. shift=2,crop=2,flip (default none).")
    String augment;

    @Option(names = "--normalize", description = "Standardize inputs per channel with the training set's mean and deviation, inside the model (it still takes [0,1] samples).")
    boolean normalize;

    @Option(names = "--val", defaultValue = "0", paramLabel = "FRACTION", description = "Hold out this fraction of the training set for validation (and early stopping).")
    double val;

    @Option(names = "--patience", defaultValue = "0", paramLabel = "EPOCHS", description = "Stop when validation accuracy has not improved for this many epochs; keep the best (needs --val).")
    int patience;

    @Option(names = "--folds", defaultValue = "0", paramLabel = "K", description = "Run K-fold cross-validation on the training set instead (reports each fold's validation accuracy).")
    int folds;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Write a checkpoint (ONNX weights + optimizer state) after every epoch.")
    Path checkpoint;

    @Option(names = "--resume", description = "Resume from the --checkpoint directory when it holds a checkpoint.")
    boolean resume;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Train on the first N training samples only (quick runs, benchmarks; 0: all).")
    int limit;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of initialization, shuffling, augmentation and dropout (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "T", description = "Threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write the trained model (.onnx).")
    Path output;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    record Epoch(int epoch, double trainLoss, double trainAccuracy, Double valAccuracy, double imagesPerSecond) {}

    record Result(String arch, double width, String data, int epochs, int batch, long seed, int threads, long parameters,
                  Double testAccuracy, Double testMacroF1, double trainImagesPerSecond, List<Epoch> history, List<Double> foldAccuracies,
                  String output) {}

    static final ModelIo ONNX = new ModelIo() {
        @Override public byte[] write(Graph g) { return OnnxExporter.toBytes(g); }

        @Override public Graph read(byte[] bytes, String label) { return OnnxImporter.fromBytes(bytes, label); }
    };

    @Override public Integer call() {
        if (output == null && folds == 0) throw new EdgeoptException("give -o FILE.onnx for the trained model");
        if (patience > 0 && val <= 0) throw new EdgeoptException("--patience needs a validation split (--val FRACTION)");
        if (resume && checkpoint == null) throw new EdgeoptException("--resume needs --checkpoint DIR");
        Dataset train = Datasets.load(data, true);
        if (limit < 0) throw new EdgeoptException("--limit must be >= 0, got " + limit);
        if (limit > 0 && limit < train.size()) {
            int[] first = new int[limit];
            for (int i = 0; i < limit; i++) first[i] = i;
            train = train.subset(first, train.name() + "[:" + limit + "]");
        }
        Trainer.Config cfg = new Trainer.Config();
        cfg.epochs = epochs;
        cfg.batch = batch;
        cfg.threads = threads;
        cfg.optimizer = optimizer;
        cfg.schedule = schedule;
        cfg.lr = lr != null ? lr : optimizer.toLowerCase(Locale.ROOT).startsWith("adam") ? 0.003f : 0.1f;
        cfg.weightDecay = weightDecay;
        cfg.clipNorm = clip;
        cfg.augment = Augment.parse(augment);
        cfg.patience = patience;
        cfg.seed = seed;
        cfg.checkpointDir = checkpoint;
        cfg.resume = resume;
        cfg.io = ONNX;
        PrintWriter out = spec.commandLine().getOut();
        cfg.progress = quiet ? null : new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true);
        int[] sample = train.sampleShape();
        float[][] norm = normalize ? train.channelStats() : null;
        Trainer trainer = new Trainer(cfg);
        List<Double> foldAcc = null;
        if (folds > 0) {
            foldAcc = new ArrayList<>();
            int f = 0;
            for (Dataset.Split s : train.kFold(folds, seed)) {
                Graph model = Architectures.build(arch, sample, train.classes(), width, depth, seed, norm);
                Trainer.Result r = trainer.fit(model, s.train(), null);
                double acc = Trainer.evaluate(r.model(), s.validation(), batch, threads).accuracy();
                foldAcc.add(acc);
                if (!json) out.printf(Locale.ROOT, "fold %d/%d: validation accuracy %.2f%%%n", ++f, folds, 100 * acc);
            }
            double mean = foldAcc.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            if (!json) out.printf(Locale.ROOT, "mean over %d folds: %.2f%%%n", folds, 100 * mean);
            if (output == null) {
                if (json) Cli.printJson(out, new Result(arch, width, data, epochs, batch, seed, threads, 0, null, null, 0, List.of(), foldAcc, null));
                out.flush();
                return 0;
            }
        }
        Dataset trainPart = train, valPart = null;
        if (val > 0) {
            Dataset.Split s = train.split(val, seed);
            trainPart = s.train();
            valPart = s.validation();
        }
        Graph model = Architectures.build(arch, sample, train.classes(), width, depth, seed, norm);
        Trainer.Result r = trainer.fit(model, trainPart, valPart);
        dev.edgeopt.io.AtomicFile.write(output, OnnxExporter.toBytes(r.model()));
        Dataset test = null;
        try {
            test = Datasets.load(data, false);
        } catch (EdgeoptException e) {
            if (!json) out.println("no test set (" + e.getMessage() + ")");
        }
        ClassificationMetrics m = test == null ? null : Trainer.evaluate(r.model(), test, 256, threads);
        long params = new dev.edgeopt.train.Parameters(r.model()).values().values().stream().mapToLong(t -> t.size()).sum();
        List<Epoch> hist = new ArrayList<>();
        for (Trainer.EpochStats e : r.history()) {
            hist.add(new Epoch(e.epoch(), e.trainLoss(), e.trainAccuracy(), Double.isNaN(e.valAccuracy()) ? null : e.valAccuracy(), e.imagesPerSecond()));
        }
        Result res = new Result(arch, width, data, epochs, batch, seed, threads, params,
                m == null ? null : m.accuracy(), m == null ? null : m.macroF1(), r.imagesPerSecond(), hist, foldAcc, output.toString());
        if (json) {
            Cli.printJson(out, res);
        } else {
            out.printf(Locale.ROOT, "%s (width %s): %s values, %.0f images/s training on %d thread(s)%n", arch, width, Cli.grouped(params), r.imagesPerSecond(), threads);
            if (m != null) out.printf(Locale.ROOT, "test accuracy %.2f%%, macro F1 %.4f%n", 100 * m.accuracy(), m.macroF1());
            out.println("wrote " + output);
        }
        out.flush();
        return 0;
    }
}
