package dev.edgeopt.train;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Augment;
import dev.edgeopt.data.Batcher;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The training loop for classifiers: softmax cross-entropy on the model's single output, an
 * optimizer, a per-step learning-rate schedule, optional gradient clipping by global norm, early
 * stopping on validation accuracy, checkpoints with resume, and a progress line on stderr.
 *
 * <p>Deterministic: given the seed and the thread count, batches, augmentation, dropout masks and
 * every reduction are fixed, so two runs produce byte-identical weights. Training uses full batches
 * only (each epoch reshuffles, so every sample is still seen); evaluation covers every sample.
 */
public final class Trainer {
    /** Settings; the defaults are the ones the reference accuracy figures were measured with. */
    public static final class Config {
        public int epochs = 6, batch = 128, threads = 1, patience = 0;
        public float lr = 0.003f, weightDecay = 5e-4f, clipNorm = 0f;
        public String optimizer = "adamw", schedule = "onecycle";
        public long seed = 0;
        public Augment augment = Augment.NONE;
        public PrintStream progress;
        public Path checkpointDir;
        public boolean resume;
        public ModelIo io;
        /** Called after each epoch (and its checkpoint) with its summary: reports, tests, interruption. */
        public java.util.function.Consumer<EpochStats> onEpoch;
    }

    public record EpochStats(int epoch, double trainLoss, double trainAccuracy, double valAccuracy, double imagesPerSecond, float lr) {}

    public record Result(Graph model, List<EpochStats> history, double bestValAccuracy, int bestEpoch, double imagesPerSecond) {}

    private final Config cfg;
    private final ThreadPool pool;

    public Trainer(Config cfg) {
        this.cfg = cfg;
        if (cfg.epochs < 1) throw new EdgeoptException("epochs must be >= 1, got " + cfg.epochs);
        if (cfg.batch < 1) throw new EdgeoptException("batch must be >= 1, got " + cfg.batch);
        if (cfg.threads < 1) throw new EdgeoptException("threads must be >= 1, got " + cfg.threads);
        this.pool = ThreadPool.shared(cfg.threads);
    }

    /** Checks that the model takes the data set's samples and has one logit per class. */
    public static void checkCompatible(Graph model, Dataset data) {
        if (model.inputs().size() != 1 || model.outputs().size() != 1) {
            throw new EdgeoptException("model " + model.name() + " must have one input and one output to train as a classifier, has " + model.inputs().size() + " and " + model.outputs().size());
        }
        Value in = model.inputs().get(0);
        Shape s = in.shape();
        int[] sample = data.sampleShape();
        if (s != null) {
            boolean ok = s.rank() == sample.length + 1;
            for (int i = 0; ok && i < sample.length; i++) ok = !s.dim(i + 1).isKnown() || s.dim(i + 1).value() == sample[i];
            if (!ok) throw new EdgeoptException("model input '" + in.name() + "' is " + s + " but " + data.name() + " samples are " + Arrays.toString(sample));
        }
        Shape os = model.outputs().get(0).shape();
        if (os != null && os.rank() == 2 && os.dim(1).isKnown() && os.dim(1).value() != data.classes()) {
            throw new EdgeoptException("model output '" + model.outputs().get(0).name() + "' has " + os.dim(1).value() + " classes but " + data.name() + " has " + data.classes());
        }
    }

    private static int[] batchShape(int n, int[] sample) {
        int[] s = new int[sample.length + 1];
        s[0] = n;
        System.arraycopy(sample, 0, s, 1, sample.length);
        return s;
    }

    public Result fit(Graph model, Dataset train, Dataset val) {
        checkCompatible(model, train);
        if (val != null) checkCompatible(model, val);
        int batch = Math.min(cfg.batch, train.size());
        Parameters params = new Parameters(model);
        Tape tape = new Tape(model, params, new int[][] {batchShape(batch, train.sampleShape())}, pool, cfg.seed, false);
        Tensor logits0 = tape.forward(false)[0];
        if (logits0.rank() != 2 || logits0.dim(1) != train.classes()) {
            throw new EdgeoptException("model output is " + Arrays.toString(logits0.dims()) + " but " + train.name() + " has " + train.classes() + " classes; it must be [batch, " + train.classes() + "]");
        }
        Batcher batcher = new Batcher(train, batch, true, cfg.seed, cfg.augment);
        int stepsPerEpoch = train.size() / batch;
        long total = (long) stepsPerEpoch * cfg.epochs;
        Schedule schedule = Schedule.parse(cfg.schedule, cfg.lr, stepsPerEpoch, cfg.epochs);
        Optimizer opt = Optimizer.create(cfg.optimizer, cfg.weightDecay);
        int startEpoch = 0;
        double best = -1;
        int bestEpoch = -1, bad = 0;
        long step = 0;
        Graph bestModel = null;
        if (cfg.resume && cfg.checkpointDir != null && Checkpoint.exists(cfg.checkpointDir)) {
            Checkpoint.State st = Checkpoint.load(cfg.checkpointDir, params, opt, io());
            startEpoch = st.epoch();
            step = st.step();
            best = st.bestMetric();
            bad = st.badEpochs();
            bestEpoch = startEpoch - 1;
            bestModel = params.export(model);
        }
        List<EpochStats> history = new ArrayList<>();
        int[] labels = new int[batch];
        int[] correct = new int[1];
        Tensor x = tape.input(0);
        Progress bar = cfg.progress == null ? null : new Progress(cfg.progress, cfg.epochs, stepsPerEpoch, batch);
        long trainNanos = 0, images = 0;
        for (int epoch = startEpoch; epoch < cfg.epochs; epoch++) {
            batcher.startEpoch(epoch);
            double lossSum = 0;
            long right = 0, seen = 0;
            long t0 = System.nanoTime();
            float lr = 0;
            for (int b = 0; b < stepsPerEpoch; b++, step++) {
                batcher.fill(b, x, labels);
                tape.setStep(step);
                Tensor logits = tape.forward(true)[0];
                tape.zeroGrad();
                params.zeroGrad();
                double loss = Losses.softmaxCrossEntropy(logits, labels, 0, tape.outputGrad(0), correct);
                if (!Double.isFinite(loss)) throw new EdgeoptException("training diverged at epoch " + (epoch + 1) + " step " + b + " (loss " + loss + "); lower --lr");
                tape.backward();
                if (cfg.clipNorm > 0) clip(params, cfg.clipNorm);
                lr = schedule.lr(step, total);
                opt.step(params, lr);
                lossSum += loss * batch;
                right += correct[0];
                seen += batch;
                if (bar != null) bar.update(epoch, b + 1, lossSum / seen, (double) right / seen, System.nanoTime() - t0);
            }
            long dt = System.nanoTime() - t0;
            trainNanos += dt;
            images += seen;
            double valAcc = val == null ? Double.NaN : evaluate(model, params, val).accuracy();
            EpochStats es = new EpochStats(epoch + 1, lossSum / seen, (double) right / seen, valAcc, seen / (dt / 1e9), lr);
            history.add(es);
            if (bar != null) bar.epochDone(es);
            double metric = val == null ? es.trainAccuracy() : valAcc;
            if (metric > best) {
                best = metric;
                bestEpoch = epoch;
                bad = 0;
                if (cfg.patience > 0) bestModel = params.export(model);
            } else {
                bad++;
            }
            if (cfg.checkpointDir != null) Checkpoint.save(cfg.checkpointDir, model, params, opt, new Checkpoint.State(epoch + 1, step, best, bad), io());
            if (cfg.onEpoch != null) cfg.onEpoch.accept(es);
            if (cfg.patience > 0 && val != null && bad >= cfg.patience) {
                if (bar != null) cfg.progress.printf("early stop: validation accuracy has not improved for %d epoch(s); keeping epoch %d%n", bad, bestEpoch + 1);
                break;
            }
        }
        Graph out = cfg.patience > 0 && bestModel != null ? bestModel : params.export(model);
        // Provenance: what produced these weights, enough to reproduce them bit for bit.
        out.metadata().put("edgeopt.train", String.format(java.util.Locale.ROOT,
                "data=%s samples=%d optimizer=%s lr=%s schedule=%s epochs=%d batch=%d seed=%d threads=%d wd=%s clip=%s augment=%s jvm=%s",
                train.name(), train.size(), cfg.optimizer, cfg.lr, cfg.schedule, cfg.epochs, batch, cfg.seed, cfg.threads, cfg.weightDecay, cfg.clipNorm,
                cfg.augment.isNone() ? "none" : cfg.augment, Runtime.version()));
        return new Result(out, history, best, bestEpoch + 1, images / Math.max(1e-9, trainNanos / 1e9));
    }

    private ModelIo io() {
        if (cfg.io == null) throw new EdgeoptException("checkpoints need a model format (ModelIo)");
        return cfg.io;
    }

    /** Scales all gradients so their global L2 norm is at most {@code max}. */
    static void clip(Parameters p, float max) {
        double sq = 0;
        for (Tensor g : p.grads().values()) {
            float[] a = g.floats();
            for (int i = 0; i < g.size(); i++) sq += (double) a[g.offset() + i] * a[g.offset() + i];
        }
        double norm = Math.sqrt(sq);
        if (norm <= max) return;
        float s = (float) (max / norm);
        for (Tensor g : p.grads().values()) {
            float[] a = g.floats();
            for (int i = 0; i < g.size(); i++) a[g.offset() + i] *= s;
        }
    }

    /** Evaluates in inference mode (running statistics, no dropout) with this trainer's thread count. */
    public ClassificationMetrics evaluate(Graph model, Parameters params, Dataset data) {
        return evaluate(model, params, data, cfg.batch, pool);
    }

    /** Predicted classes of every sample, in order. */
    public static int[] predict(Graph model, Parameters params, Dataset data, int batch, ThreadPool pool) {
        checkCompatible(model, data);
        int n = data.size();
        int[] pred = new int[n];
        Map<Integer, Tape> tapes = new HashMap<>();
        Batcher b = new Batcher(data, batch, false, 0, Augment.NONE);
        int[] labels = new int[batch];
        for (int k = 0; k < b.batches(); k++) {
            int cnt = b.count(k);
            Tape t = tapes.computeIfAbsent(cnt, c -> new Tape(model, params, new int[][] {batchShape(c, data.sampleShape())}, pool, 0, false, GradRules.standard(), false));
            b.fill(k, t.input(0), labels);
            Tensor logits = t.forward(false)[0];
            int c = logits.dim(1);
            if (c != data.classes()) throw new EdgeoptException("model output has " + c + " classes but " + data.name() + " has " + data.classes());
            float[] z = logits.floats();
            for (int i = 0; i < cnt; i++) {
                int arg = 0;
                for (int j = 1; j < c; j++) if (z[logits.offset() + i * c + j] > z[logits.offset() + i * c + arg]) arg = j;
                pred[k * batch + i] = arg;
            }
        }
        return pred;
    }

    public static ClassificationMetrics evaluate(Graph model, Parameters params, Dataset data, int batch, ThreadPool pool) {
        return ClassificationMetrics.of(data.labels(), predict(model, params, data, batch, pool), data.classNames());
    }

    /** A model's own weights, evaluated. */
    public static ClassificationMetrics evaluate(Graph model, Dataset data, int batch, int threads) {
        return evaluate(model, new Parameters(model), data, batch, ThreadPool.shared(threads));
    }

    /** One progress line on stderr, redrawn in place at most every 200 ms. */
    static final class Progress {
        private final PrintStream out;
        private final int epochs, steps, batch;
        private long lastDraw;

        Progress(PrintStream out, int epochs, int steps, int batch) {
            this.out = out;
            this.epochs = epochs;
            this.steps = steps;
            this.batch = batch;
        }

        void update(int epoch, int step, double loss, double acc, long nanos) {
            long now = System.nanoTime();
            if (step != steps && now - lastDraw < 200_000_000L) return;
            lastDraw = now;
            double ips = step * (double) batch / (nanos / 1e9);
            long remaining = (long) (((long) (epochs - epoch - 1) * steps + (steps - step)) * batch / Math.max(1e-9, ips));
            int width = 24, filled = (int) ((long) width * step / steps);
            out.printf("\repoch %d/%d [%s%s] %d/%d loss %.4f acc %.2f%% %.0f img/s ETA %s   ",
                    epoch + 1, epochs, "=".repeat(filled), " ".repeat(width - filled), step, steps, loss, 100 * acc, ips, eta(remaining));
            out.flush();
        }

        void epochDone(EpochStats s) {
            out.printf("\repoch %d/%d loss %.4f train acc %.2f%%%s %.0f img/s lr %.2e%s%n", s.epoch(), epochs, s.trainLoss(), 100 * s.trainAccuracy(),
                    Double.isNaN(s.valAccuracy()) ? "" : String.format(" val acc %.2f%%", 100 * s.valAccuracy()), s.imagesPerSecond(), s.lr(), " ".repeat(20));
            out.flush();
        }

        static String eta(long s) { return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60); }
    }
}
