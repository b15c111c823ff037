package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.engine.kernels.conv.ConvShape;
import dev.edgeopt.engine.kernels.conv.DepthwiseConv;
import dev.edgeopt.engine.kernels.conv.DirectConv;
import dev.edgeopt.engine.kernels.conv.GemmConv;
import dev.edgeopt.engine.kernels.gemm.GemmJob;
import dev.edgeopt.engine.kernels.gemm.Sgemm;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;

/**
 * QLinearConv with constant weights and parameters, computed exactly through the fp32 kernels (see
 * {@link ExactFloat}): the input becomes {@code x - x_zp} in float (padding is then 0), the weights
 * {@code w - w_zp[c]} once at creation. The products are summed by the fp32 engine's own kernel
 * for the shape when K needs one exact chunk: depthwise (on the bytes, plane by plane),
 * {@link DirectConv} (stems), {@link GemmConv}, or for small-K pointwise convs with large outputs
 * column blocks through a GEMM here; otherwise (K split into chunks that stay exact, or groups) by a GEMM per chunk
 * here (1x1 directly, other windows through im2col). The epilogue casts back to int32, adds the
 * bias and requantizes with {@link Requantize}'s row form.
 * Work is spread over the pool; scratch holds every buffer, so a run allocates nothing.
 */
final class FastQConv implements Kernel {
    private final ConvShape s;
    private final QParams q;
    private final int[] bias; // null: none
    private final ThreadPool pool;
    private final int tasks, kg, p, mg, chunks;
    private final int[] k0; // chunk starts, chunks + 1 entries
    /**
     * GEMM path: one job per chunk over all columns of a group, A (the weights) packed once at
     * creation unless grouped, parallel inside the job. Column blocks whose float results stayed
     * in cache until requantized (one single-thread job per task and block, A packed per block)
     * were slower on one thread: mobilenet_v2's 24 -> 144 @ 56x56 took 527 us blocked against 363
     * whole (QConvPartsBench), the requantization reading the float results from memory at about
     * the speed it reads them from cache.
     */
    private final GemmJob[] wholeJobs;
    /**
     * With one chunk and one group: the fp32 engine's own conv kernel on the image in float, as the
     * fp32 engine runs it (a stem's {@link DirectConv}, else {@link GemmConv} with its im2col and
     * its transposed form for small maps), then the requantization. mobilenet_v2's first conv took
     * 704 us through this class's im2col and GEMM against 333 for fp32, 422 this way. Null otherwise.
     */
    private final Kernel direct;
    private final int[] directIn, directW, directOut; // the float views' shapes (one image)
    /**
     * Pointwise, one chunk, one group, K <= 256 and a large output or input: the columns in blocks
     * of {@link #nb} (at most about 1 MB of float results and 512 KB of float input), each
     * converted, multiplied (A packed once per task at creation) and requantized by one task.
     * Measured on mobilenet_v2 (one thread, in the model): 16 -> 96 @ 112x112 took 1001 us
     * through the fp32 GemmConv on the whole image, 872 / 803 / 771 / 747 us with result blocks of
     * 128 KB / 256 KB / 512 KB / 1 MB. That gain is not cache residency (small blocks were slower,
     * and 24 -> 144 @ 56x56 lost 341 -> 411 us with 128 KB blocks) but most likely the float
     * results' row stride, 50 KB on the whole image, across which the GEMM's register tiles store.
     * Where the input is the larger side (32 -> 16 @ 112x112, 96 -> 24 and 144 -> 24 @ 56x56),
     * input blocks of 512 KB took 265 / 210 / 304 us against 280 / 215 / 314 whole. Null otherwise.
     */
    private final GemmJob[] blockJobs, tailJobs; // per task: full-width blocks and the narrower last one
    private final int nb, nBlocks;
    private final Scratch.Ref xblk, cblk;
    private final IntConsumer blockBody = this::blockTask;
    private Tensor[] dIn, dOut; // made on the first run
    private final float[] wf;
    private final boolean pointwise, grouped;
    /**
     * Depthwise path: the fp32 kernel on the bytes ({@link DepthwiseConv#runBytes}), filling its
     * padded planes straight from the int8 input and handing each float output plane to
     * {@link #requantPlane} while it is in cache. mobilenet_v2's depthwise layers took 1.5x fp32
     * with the input converted and the output requantized in separate passes over channel blocks.
     */
    private final DepthwiseConv depthwise;
    private final DepthwiseConv.PlaneSink planeSink = this::requantPlane;
    private final Scratch.Ref xf, col, cbuf;
    private final IntConsumer convertBody = this::convertTask, im2colBody = this::im2colTask, requantBody = this::requantTask;
    // Per-run state read by the parallel bodies.
    private byte[] x;
    private int xOff, curN, curG;
    private Tensor y;

    /**
     * Blocked pointwise: up to this K; from this many outputs (or inputs) per image; at most this
     * many float results (inputs) per block.
     */
    static final int BLOCK_MAX_K = 256, BLOCK_MIN_OUT = 1 << 19, BLOCK_MIN_IN = 1 << 18, BLOCK_FLOATS = 1 << 18, BLOCK_IN_FLOATS = 1 << 17;

    static boolean applies(KernelContext kc, QParams q) {
        return q.constant && kc.constant(3) != null && (!kc.hasInput(8) || kc.constant(8) != null);
    }

    FastQConv(KernelContext kc, ConvShape s, QParams q) {
        this.s = s;
        this.q = q;
        this.pool = kc.pool();
        this.tasks = kc.threads();
        Tensor w = kc.constant(3);
        Tensor b = kc.hasInput(8) ? kc.constant(8) : null;
        bias = b == null ? null : java.util.Arrays.copyOfRange(b.ints(), b.offset(), b.offset() + s.m);
        kg = s.cg * s.kernelSize();
        p = s.outPlane();
        mg = s.mg;
        wf = new float[s.m * kg];
        for (int c = 0; c < s.m; c++) {
            for (int i = 0; i < kg; i++) wf[c * kg + i] = QuantMath.at8(w.bytes(), w.offset() + c * kg + i, q.wUnsigned) - q.wZp[c];
        }
        int need = ExactFloat.chunks(wf, 0, s.m, kg, kg, 1, ExactFloat.maxDistance(q.xUnsigned, q.xZp));
        if (DepthwiseConv.applies(s) && need == 1) {
            pointwise = false;
            grouped = true;
            chunks = 1;
            k0 = new int[] {0, kg};
            wholeJobs = null;
            direct = null;
            directIn = directW = directOut = null;
            col = null;
            xf = cbuf = null;
            depthwise = new DepthwiseConv(depthwiseContext(kc), s, planeSink);
            blockJobs = tailJobs = null;
            nb = nBlocks = 0;
            xblk = cblk = null;
        } else {
            depthwise = null;
            pointwise = s.pointwise();
            grouped = s.group > 1;
            chunks = need;
            k0 = new int[chunks + 1];
            for (int h = 0; h <= chunks; h++) k0[h] = (int) ((long) kg * h / chunks);
            directIn = kc.inShape(0).clone();
            directIn[0] = 1;
            directOut = kc.outShape(0).clone();
            directOut[0] = 1;
            directW = kc.inShape(3).clone();
            boolean blocked = pointwise && chunks == 1 && !grouped && kg <= BLOCK_MAX_K
                    && ((long) s.m * p >= BLOCK_MIN_OUT || (long) kg * p >= BLOCK_MIN_IN);
            if (blocked) {
                // A whole number of blocks per task, so that two threads get equal work.
                long want = Math.max(((long) s.m * p + BLOCK_FLOATS - 1) / BLOCK_FLOATS,
                        ((long) kg * p + BLOCK_IN_FLOATS - 1) / BLOCK_IN_FLOATS);
                int per = (int) ((want + tasks - 1) / tasks) * tasks;
                nb = Math.min(p, Sgemm.roundUp((p + per - 1) / per, Sgemm.NR));
                nBlocks = (p + nb - 1) / nb;
                KernelContext one = kc.derive(new TensorType[0], new TensorType[0], new Tensor[0], ThreadPool.shared(1));
                blockJobs = new GemmJob[tasks];
                tailJobs = p % nb == 0 ? null : new GemmJob[tasks];
                for (int t = 0; t < tasks; t++) {
                    blockJobs[t] = new GemmJob(one, s.m, nb, kg, wf, 0, kg, 1, 1f, null, 0, nb, 1, nb);
                    if (tailJobs != null) tailJobs[t] = new GemmJob(one, s.m, p % nb, kg, wf, 0, kg, 1, 1f, null, 0, nb, 1, nb);
                }
                xblk = kc.scratch(DType.FLOAT, Math.multiplyExact(tasks, kg * nb));
                cblk = kc.scratch(DType.FLOAT, Math.multiplyExact(tasks, s.m * nb));
            } else {
                blockJobs = tailJobs = null;
                nb = nBlocks = 0;
                xblk = cblk = null;
            }
            KernelContext dk = chunks == 1 && !grouped && !blocked ? directContext(kc) : null;
            ConvShape ds = dk == null ? null : ConvShape.conv(dk);
            direct = ds == null ? null
                    : DirectConv.applies(dk, ds, Activation.NONE) ? new DirectConv(dk, ds, Activation.NONE, 0f, 0f) : new GemmConv(dk, ds, Activation.NONE, 0f, 0f);
            wholeJobs = new GemmJob[direct != null || blocked ? 0 : chunks];
            for (int h = 0; h < wholeJobs.length; h++) {
                wholeJobs[h] = new GemmJob(kc, mg, p, k0[h + 1] - k0[h], grouped ? null : wf, k0[h], kg, 1, 1f, null, 0, p, 1, p);
            }
            boolean image = !blocked && (pointwise || direct != null); // the whole image in float (pointwise: in-plane = out-plane)
            xf = image ? kc.scratch(DType.FLOAT, Math.multiplyExact(s.c, s.inPlane())) : null;
            col = image || blocked ? null : kc.scratch(DType.FLOAT, Math.multiplyExact(kg, p));
            cbuf = blocked ? null : kc.scratch(DType.FLOAT, Math.multiplyExact(chunks * mg, p));
        }
    }

    /** The fp32 conv's context for one image, with {@link #wf} as its constant weights. */
    private KernelContext directContext(KernelContext kc) {
        dev.edgeopt.ir.Node copy = new dev.edgeopt.ir.Graph("direct").addNode("Conv", kc.node().name(), java.util.List.of(), 1);
        kc.node().attributes().forEach(copy::setAttr);
        return kc.derive(copy, new TensorType[] {TensorType.of(DType.FLOAT, directIn), TensorType.of(DType.FLOAT, directW)},
                new TensorType[] {TensorType.of(DType.FLOAT, directOut)}, new Tensor[] {null, Tensor.view(DType.FLOAT, directW, wf, 0)}, kc.pool());
    }

    /** The fp32 depthwise conv's context: float types, {@link #wf} as its constant weights. */
    private KernelContext depthwiseContext(KernelContext kc) {
        return kc.derive(new TensorType[] {TensorType.of(DType.FLOAT, kc.inShape(0)), TensorType.of(DType.FLOAT, kc.inShape(3))},
                new TensorType[] {TensorType.of(DType.FLOAT, kc.outShape(0))}, new Tensor[] {null, Tensor.view(DType.FLOAT, kc.inShape(3), wf, 0)});
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        x = in[0].bytes();
        xOff = in[0].offset();
        y = out[0];
        if (depthwise != null) {
            depthwise.runBytes(x, xOff, q.xUnsigned, q.xZp);
        } else if (blockJobs != null) {
            for (int n = 0; n < s.n; n++) {
                curN = n;
                pool.parallelFor(tasks, blockBody);
            }
        } else {
            for (int n = 0; n < s.n; n++) {
                curN = n;
                if (direct != null) {
                    if (dIn == null) { // scratch arrays exist from the first run on and never move
                        dIn = new Tensor[] {Tensor.view(DType.FLOAT, directIn, xf.array(), xf.offset()), Tensor.view(DType.FLOAT, directW, wf, 0)};
                        dOut = new Tensor[] {Tensor.view(DType.FLOAT, directOut, cbuf.array(), cbuf.offset())};
                    }
                    curG = 0;
                    pool.parallelFor(tasks, convertBody);
                    direct.run(dIn, dOut);
                    pool.parallelFor(tasks, requantBody);
                    continue;
                }
                if (pointwise) pool.parallelFor(tasks, convertBody);
                for (int g = 0; g < s.group; g++) {
                    curG = g;
                    if (!pointwise) pool.parallelFor(tasks, im2colBody);
                    for (int h = 0; h < chunks; h++) {
                        GemmJob j = wholeJobs[h];
                        if (grouped) {
                            j.a = wf;
                            j.aOff = g * mg * kg + k0[h];
                        }
                        j.b = pointwise ? xf.floats() : col.floats();
                        j.bOff = pointwise ? xf.offset() + (g * s.cg + k0[h]) * p : col.offset() + k0[h] * p;
                        j.c = cbuf.floats();
                        j.cOff = cbuf.offset() + h * mg * p;
                        j.run();
                    }
                    pool.parallelFor(tasks, requantBody);
                }
            }
        }
        x = null;
        y = null;
    }

    /** Column blocks of image curN, a contiguous range per task: input to float, GEMM, requantization. */
    private void blockTask(int t) {
        int per = (nBlocks + tasks - 1) / tasks, b0 = t * per, b1 = Math.min(nBlocks, b0 + per);
        float[] xa = xblk.floats(), ca = cblk.floats();
        int xo = xblk.offset() + t * kg * nb, co = cblk.offset() + t * s.m * nb;
        int src = xOff + curN * s.c * p, yBase = y.offset() + curN * s.m * p;
        byte[] ya = y.bytes();
        for (int b = b0; b < b1; b++) {
            int c0 = b * nb, w = Math.min(nb, p - c0);
            for (int ci = 0; ci < kg; ci++) ExactFloat.toFloat(x, src + ci * p + c0, xa, xo + ci * nb, w, q.xUnsigned, q.xZp);
            GemmJob j = w == nb ? blockJobs[t] : tailJobs[t];
            j.b = xa;
            j.bOff = xo;
            j.c = ca;
            j.cOff = co;
            j.task(0);
            for (int r = 0; r < s.m; r++) {
                Requantize.requantizeSums(ca, co + r * nb, 1, 0, bias == null ? 0 : bias[r], ya, yBase + r * p + c0, w,
                        q.mult[r], q.shift[r], q.yZp, q.lo, q.hi);
            }
        }
    }

    /** Input to float, minus the zero point: image curN. */
    private void convertTask(int t) {
        int inP = s.inPlane();
        int planes = s.c;
        int per = (planes + tasks - 1) / tasks, a = Math.min(planes, t * per), b = Math.min(planes, a + per);
        int src = xOff + curN * s.c * inP;
        ExactFloat.toFloat(x, src + a * inP, xf.floats(), xf.offset() + a * inP, (b - a) * inP, q.xUnsigned, q.xZp);
    }

    /** Rows of the im2col matrix of group curG of image curN: x - x_zp, 0 in the padding. */
    private void im2colTask(int t) {
        int per = (kg + tasks - 1) / tasks;
        int r0 = t * per, r1 = Math.min(kg, r0 + per);
        float[] dst = col.floats();
        int base = col.offset(), inP = s.inPlane(), kk = s.kernelSize(), khw = s.kh * s.kw, zp = q.xZp;
        int mask = q.xUnsigned ? 0xFF : -1;
        for (int r = r0; r < r1; r++) {
            int ci = r / kk, ki = r % kk;
            int kd = ki / khw, kh = (ki % khw) / s.kw, kw = ki % s.kw;
            int src = xOff + (curN * s.c + curG * s.cg + ci) * inP;
            int o = base + r * p;
            for (int od = 0; od < s.od; od++) {
                int id = od * s.sd - s.pd + kd * s.dd;
                for (int oh = 0; oh < s.oh; oh++, o += s.ow) {
                    int ih = oh * s.sh - s.ph + kh * s.dh;
                    if (id < 0 || id >= s.d || ih < 0 || ih >= s.h) {
                        java.util.Arrays.fill(dst, o, o + s.ow, 0f);
                        continue;
                    }
                    int row = src + (id * s.h + ih) * s.w;
                    if (s.sw == 1) {
                        // Output columns whose input column is inside the row: ow in [lo, hi).
                        int offW = kw * s.dw - s.pw;
                        int lo = Math.min(s.ow, Math.max(0, -offW)), hi = Math.max(lo, Math.min(s.ow, s.w - offW));
                        java.util.Arrays.fill(dst, o, o + lo, 0f);
                        ExactFloat.toFloat(x, row + lo + offW, dst, o + lo, hi - lo, q.xUnsigned, zp);
                        java.util.Arrays.fill(dst, o + hi, o + s.ow, 0f);
                        continue;
                    }
                    // Strided: the same in-row range [lo, hi), then a loop without bounds checks.
                    int offW = kw * s.dw - s.pw, sw = s.sw;
                    int lo = offW >= 0 ? 0 : Math.min(s.ow, (-offW + sw - 1) / sw);
                    int hi = Math.max(lo, Math.min(s.ow, s.w - offW <= 0 ? 0 : (s.w - offW + sw - 1) / sw));
                    java.util.Arrays.fill(dst, o, o + lo, 0f);
                    for (int ow = lo, src0 = row + offW; ow < hi; ow++) dst[o + ow] = (x[src0 + ow * sw] & mask) - zp;
                    java.util.Arrays.fill(dst, o + hi, o + s.ow, 0f);
                }
            }
        }
    }

    /** Depthwise output plane {@code plane} (image * C + channel): int32 plus the bias, requantized. */
    private void requantPlane(int plane, float[] src, int so, int n) {
        int c = plane % s.c;
        Requantize.requantizeSums(src, so, 1, 0, bias == null ? 0 : bias[c], y.bytes(), y.offset() + plane * p, n,
                q.mult[c], q.shift[c], q.yZp, q.lo, q.hi);
    }

    /** Output rows of group curG of image curN: int32 plus the bias, requantized. */
    private void requantTask(int t) {
        int c0 = curG * mg, nRows = mg;
        int per = (nRows + tasks - 1) / tasks, a = Math.min(nRows, t * per), b = Math.min(nRows, a + per);
        float[] cbf = cbuf.floats();
        byte[] ya = y.bytes();
        for (int r = a; r < b; r++) {
            int c = c0 + r;
            int yo = y.offset() + (curN * s.m + c) * p;
            int src = cbuf.offset() + r * p;
            Requantize.requantizeSums(cbf, src, chunks, mg * p, bias == null ? 0 : bias[c], ya, yo, p, q.mult[c], q.shift[c], q.yZp, q.lo, q.hi);
        }
    }
}
