package dev.edgeopt.cli;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.data.Datasets;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.io.AtomicFile;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.onnx.OrtRunner;
import dev.edgeopt.quant.Calibrator;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.LayerErrors;
import dev.edgeopt.quant.MixedPrecision;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.RangeMethod;
import dev.edgeopt.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code edgeopt quantize}: static post-training int8 quantization to ONNX QDQ, measured. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {
            "Quantizes a float classifier to int8 (per-channel symmetric weights, asymmetric int8 activations,",
            "int32 biases) with activation ranges calibrated by the Java engine, and writes standard ONNX QDQ.",
            "Reports the size before and after, the test accuracy of the float model and of the int8 model",
            "in the Java engine and in ONNX Runtime, their agreement, and a per-layer error table."})
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Float ONNX model (one input, one [batch, classes] output).")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Where to write the quantized model (.onnx).")
    Path output;

    @Option(names = "--data", defaultValue = "fashion-mnist", paramLabel = "DATA",
            description = "Calibration and evaluation data: fashion-mnist (default) or a directory. Calibration uses the training part.")
    String data;

    @Option(names = "--calib-samples", defaultValue = "1000", paramLabel = "N", description = "Calibration samples (default ${DEFAULT-VALUE}), a seeded random subset of the training part.")
    int calibSamples;

    @Option(names = "--method", defaultValue = "percentile", paramLabel = "M",
            description = "Activation range method: minmax, percentile, entropy (KL divergence) or mse (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--percentile", defaultValue = "99.99", paramLabel = "P", description = "Percentile for --method percentile (default ${DEFAULT-VALUE}).")
    double percentile;

    @Option(names = "--per-tensor", description = "One weight scale per tensor instead of one per output channel.")
    boolean perTensor;

    @Option(names = "--activations", defaultValue = "int8", paramLabel = "T",
            description = {"Activation type: int8 (default, TFLite's) or uint8 (ONNX Runtime's on x86, where it converts int8 Q/DQ pairs to uint8",
                "but skips a Q read by two branches; with int8 it then leaves residual nets' Convs in float)."})
    String activations;

    @Option(names = "--bias-correction", description = "Correct each Conv/Gemm bias by the mean shift quantization causes on calibration samples.")
    boolean biasCorrection;

    @Option(names = "--max-accuracy-drop", paramLabel = "PTS",
            description = "Keep the layers most sensitive to quantization float until the accuracy drop on a held-out split of the training part is at most PTS points.")
    Double maxAccuracyDrop;

    @Option(names = "--val-samples", defaultValue = "2000", paramLabel = "N",
            description = "Held-out training samples (after the calibration ones) that --max-accuracy-drop measures on (default ${DEFAULT-VALUE}).")
    int valSamples;

    @Option(names = "--cle", description = "Cross-layer equalization of Conv -> [Relu] -> Conv pairs (depthwise-separable nets) before calibration.")
    boolean cle;

    @Option(names = "--weights-only", paramLabel = "T", description = "fp16 or int8 weights (behind Cast / DequantizeLinear) with float activations and biases; no calibration.")
    String weightsOnly;

    @Option(names = "--dynamic", description = "Dynamic quantization of Gemm/MatMul: int8 weights, activations quantized to uint8 at run time; no calibration.")
    boolean dynamic;

    @Option(names = "--format", defaultValue = "qdq", paramLabel = "F",
            description = {"qdq (default): QuantizeLinear/DequantizeLinear around float ops; qoperator: the integer ops the Java int8 engine runs",
                "(QLinearConv, QLinearMatMul, com.microsoft QGemm/QLinearAdd/...). Static int8 only."})
    String format;

    @Option(names = "--eval-samples", defaultValue = "0", paramLabel = "N", description = "Evaluate on the first N test samples (default 0: all).")
    int evalSamples;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the calibration subset (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin ThreadsOption threadsOption;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    record Accuracy(String model, String engine, double accuracy) {}

    record Result(String model, String output, String method, int calibrationSamples, long sizeBefore, long sizeAfter, double sizeRatio,
                  long testSamples, List<Accuracy> accuracy, double argmaxAgreement, double withinOneStep,
                  List<LayerErrors.Row> layers, List<String> worstLayers, List<String> warnings, Mixed mixedPrecision,
                  String javaEngine, List<String> floatOps) {}

    /** What --max-accuracy-drop measured on the validation split and which layers it kept float. */
    record Mixed(int validationSamples, double budgetPoints, double floatAccuracy, double int8Accuracy, double finalAccuracy, boolean withinBudget,
                 List<MixedPrecision.Layer> keptFloat, List<MixedPrecision.Layer> sensitivities) {}

    @Override public Integer call() throws IOException {
        dev.edgeopt.ir.DType wo = weightsOnly == null ? null : switch (weightsOnly) {
            case "int8" -> dev.edgeopt.ir.DType.INT8;
            case "fp16" -> dev.edgeopt.ir.DType.FLOAT16;
            default -> throw new EdgeoptException("--weights-only is fp16 or int8, not " + weightsOnly);
        };
        if (dynamic && wo != null) throw new EdgeoptException("--dynamic and --weights-only exclude each other");
        dev.edgeopt.ir.DType activationType = switch (activations) {
            case "int8" -> dev.edgeopt.ir.DType.INT8;
            case "uint8" -> dev.edgeopt.ir.DType.UINT8;
            default -> throw new EdgeoptException("--activations is int8 or uint8, not " + activations);
        };
        if (!format.equals("qdq") && !format.equals("qoperator")) throw new EdgeoptException("--format is qdq or qoperator, not " + format);
        if (format.equals("qoperator") && (dynamic || weightsOnly != null)) throw new EdgeoptException("--format qoperator applies to static int8 quantization, not --dynamic or --weights-only");
        int threads = threadsOption.get();
        RangeMethod m = RangeMethod.parse(method);
        PrintWriter err = spec.commandLine().getErr();
        byte[] source = Files.readAllBytes(model);
        Graph g = OnnxImporter.load(model);
        if (g.inputs().size() != 1 || g.outputs().size() != 1) throw new EdgeoptException(model + ": a classifier needs one input and one output");
        PostTrainingQuantizer.Result r;
        Mixed mixed = null;
        if (maxAccuracyDrop != null && (dynamic || wo != null)) throw new EdgeoptException("--max-accuracy-drop applies to static int8 quantization, not --dynamic or --weights-only");
        int calibrated = 0;
        if (dynamic) {
            r = PostTrainingQuantizer.dynamic(g, !perTensor);
        } else if (wo != null) {
            r = PostTrainingQuantizer.weightsOnly(g, wo, !perTensor);
        } else {
            Dataset train = Datasets.load(data, true);
            // Errors about the calibration data then name what the user passed, not a folder's last part.
            if (Files.isDirectory(Path.of(data))) train = new Dataset(data + " (train part)", train.data(), train.sampleShape(), train.labels(), train.classes(), train.classNames());
            calibrated = Math.min(calibSamples, train.size());
            err.printf(Locale.ROOT, "calibrating on %d samples of %s (%s)%n", calibrated, train.name(), m);
            err.flush();
            PostTrainingQuantizer.Options o = new PostTrainingQuantizer.Options(m, percentile, !perTensor, calibSamples, seed, threads, activationType, biasCorrection, cle);
            if (maxAccuracyDrop != null) {
                MixedPrecision.Outcome mo = MixedPrecision.quantize(g, train, o, maxAccuracyDrop, valSamples);
                r = mo.result();
                mixed = new Mixed(mo.validationSamples(), maxAccuracyDrop, mo.floatAccuracy(), mo.int8Accuracy(), mo.finalAccuracy(), mo.withinBudget(),
                        mo.keptFloat(), mo.sensitivities());
            } else {
                r = PostTrainingQuantizer.quantize(g, train, o);
            }
        }
        Graph q = r.qdq();
        q.metadata().put("edgeopt.quant.source_sha256", sha256(source));
        q.metadata().put("edgeopt.quant.source", model.getFileName().toString());
        boolean static8 = !dynamic && wo == null;
        byte[] bytes = OnnxExporter.toBytesCompact(format.equals("qoperator") ? Int8Engine.qoperator(q) : q);
        AtomicFile.write(output, bytes);
        for (String w : r.warnings()) err.println("warning: " + w);

        Dataset test = Datasets.load(data, false);
        int n = evalSamples > 0 ? Math.min(evalSamples, test.size()) : test.size();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        err.printf(Locale.ROOT, "evaluating on %d test samples%n", n);
        err.flush();
        float[] fJava = outputs(new Executor(g, threads), null, test, idx);
        // Static int8 runs in the integer-only engine; the other modes keep float activations.
        Int8Engine int8 = static8 ? new Int8Engine(q, threads) : null;
        List<String> floatOps = int8 == null ? List.of() : int8.floatOps();
        float[] qJava = outputs(int8 != null ? int8.executor() : new Executor(q, threads), null, test, idx);
        float[] qOrt;
        try (OrtRunner rt = new OrtRunner(bytes, threads, OrtRunner.OptLevel.ALL)) {
            qOrt = outputs(null, rt, test, idx);
        }
        int classes = fJava.length / n;
        float step = r.activations().stream().filter(a -> a.dequantized().equals(q.outputs().get(0).name())).findFirst()
                .map(a -> a.params().scale()).orElse(0f);
        // A float output (weight-only modes) has no quantization step: agreement is then within
        // float rounding of the two engines' different summation orders.
        if (step == 0) step = 1e-4f;
        int agree = 0, within = 0;
        for (int i = 0; i < n; i++) if (argmax(qJava, i, classes) == argmax(qOrt, i, classes)) agree++;
        for (int i = 0; i < qJava.length; i++) if (Math.abs(qJava[i] - qOrt[i]) <= step * 1.001f) within++;
        int[] layerIdx = java.util.Arrays.copyOf(idx, Math.min(100, n));
        List<LayerErrors.Row> layers = LayerErrors.compare(r, Calibrator.batch(test, layerIdx, 0, layerIdx.length), threads);
        List<String> worst = LayerErrors.worst(layers, 3).stream().map(LayerErrors.Row::node).toList();
        long before = source.length, after = bytes.length;
        String label = dynamic ? "dyn8" : wo == null ? "int8" : "w" + weightsOnly;
        List<Accuracy> acc = List.of(
                new Accuracy("fp32", "java", accuracy(fJava, test, idx, classes)),
                new Accuracy(label, "java", accuracy(qJava, test, idx, classes)),
                new Accuracy(label, "ort", accuracy(qOrt, test, idx, classes)));
        Result res = new Result(model.toString(), output.toString(), dynamic ? "dynamic" : wo == null ? m.toString() : "weights-only " + weightsOnly, calibrated, before, after,
                (double) after / before, n, acc, (double) agree / n, (double) within / qJava.length, layers, worst, r.warnings(), mixed,
                static8 ? (floatOps.isEmpty() ? "integer-only" : "integer with float ops") : "float kernels between Q/DQ", floatOps);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Cli.printJson(out, res);
            return 0;
        }
        out.printf(Locale.ROOT, "%s -> %s: %s -> %s (%.1f%%)%n", model, output, Cli.bytes(before), Cli.bytes(after), 100.0 * after / before);
        for (Accuracy a : acc) out.printf(Locale.ROOT, "  %-5s %-4s accuracy %.2f%% on %d test samples%n", a.model(), a.engine(), 100 * a.accuracy(), n);
        if (static8) {
            out.println("  int8 java engine: " + (floatOps.isEmpty() ? "integer-only (QuantizeLinear at the input, DequantizeLinear at the output)"
                    : "integer, except " + String.join(", ", floatOps)));
        }
        out.printf(Locale.ROOT, "  %s java vs ort: same argmax on %.2f%% of samples, %.2f%% of outputs within one step (%.4g; 1e-4 for float outputs)%n",
                label, 100.0 * agree / n, 100.0 * within / qJava.length, step);
        if (mixed != null) {
            out.printf(Locale.ROOT, "  mixed precision (budget %.2f points, %d held-out training samples): fp32 %.2f%%, all int8 %.2f%%, final %.2f%%%s%n",
                    mixed.budgetPoints(), mixed.validationSamples(), 100 * mixed.floatAccuracy(), 100 * mixed.int8Accuracy(), 100 * mixed.finalAccuracy(),
                    mixed.withinBudget() ? "" : " (over budget)");
            if (mixed.keptFloat().isEmpty()) out.println("  no layer kept float");
            for (MixedPrecision.Layer l : mixed.keptFloat()) {
                out.printf(Locale.ROOT, "  kept float: %s (%s): quantizing it alone loses %.2f points%n", l.node(), l.opType(), l.lossPoints());
            }
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"tensor", "node", "op", "SQNR dB", "cosine", "max abs err", "scale", "zp"});
        for (LayerErrors.Row l : layers) {
            rows.add(new String[] {l.tensor(), l.node(), l.opType(), String.format(Locale.ROOT, "%.1f", l.sqnrDb()),
                String.format(Locale.ROOT, "%.5f", l.cosine()), String.format(Locale.ROOT, "%.4g", l.maxAbsError()),
                String.format(Locale.ROOT, "%.4g", l.scale()), Integer.toString(l.zeroPoint())});
        }
        if (!layers.isEmpty()) {
            Table.print(out, rows, 3, 4, 5, 6, 7);
            out.println("worst layers (lowest SQNR): " + String.join(", ", worst));
        }
        out.flush();
        return 0;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** All outputs for the samples, batch by batch; closes the engine. */
    private static float[] outputs(Executor ex, OrtRunner rt, Dataset d, int[] idx) {
        List<float[]> parts = new ArrayList<>();
        int total = 0;
        try (ex) {
            for (int s = 0; s < idx.length; s += 250) {
                Tensor x = Calibrator.batch(d, idx, s, Math.min(250, idx.length - s));
                Tensor y = ex != null ? ex.run(x)[0] : rt.run(x)[0];
                if (y.rank() != 2 || y.dim(0) != x.dim(0)) throw new EdgeoptException("output is " + java.util.Arrays.toString(y.dims()) + ", expected [batch, classes]");
                float[] f = y.toFloatArray();
                parts.add(f);
                total += f.length;
            }
        }
        float[] all = new float[total];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, o, p.length);
            o += p.length;
        }
        return all;
    }

    private static int argmax(float[] z, int i, int classes) {
        int a = 0;
        for (int j = 1; j < classes; j++) if (z[i * classes + j] > z[i * classes + a]) a = j;
        return a;
    }

    private static double accuracy(float[] z, Dataset d, int[] idx, int classes) {
        if (classes != d.classes()) throw new EdgeoptException("model has " + classes + " outputs but " + d.name() + " has " + d.classes() + " classes");
        int ok = 0;
        for (int i = 0; i < idx.length; i++) if (argmax(z, i, classes) == d.label(idx[i])) ok++;
        return (double) ok / idx.length;
    }
}
