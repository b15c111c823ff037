package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear; the integer GEMM-like ops are
 * {@link dev.edgeopt.engine.kernels.int8.QLinearKernels}. All arithmetic goes through
 * {@link QuantMath}. See {@link KernelRegistry#standard()}.
 */
public final class QuantKernels {
    private QuantKernels() {}

    public static void register(KernelRegistry r) {
        r.register("QuantizeLinear", kc -> new Linear(kc, true));
        r.register("DequantizeLinear", kc -> new Linear(kc, false));
        r.register("DynamicQuantizeLinear", QuantKernels::dynamic);
        dev.edgeopt.engine.kernels.int8.QLinearKernels.register(r);
        dev.edgeopt.engine.kernels.int8.QLinearNnKernels.register(r);
    }

    /**
     * x viewed as [outer, d, inner] around the quantization axis. Parameter index of element
     * (o, j, i): 0 per tensor, j per axis, {@code (o * ceil(d / block) + j / block) * inner + i}
     * per block.
     */
    private static final class Linear implements Kernel {
        private final boolean quantize;
        private final int outer, d, inner, block, blocks;
        private final boolean perAxis;
        private final DType qtype;
        private final long qmin, qmax;

        Linear(KernelContext kc, boolean quantize) {
            this.quantize = quantize;
            int[] xs = kc.inShape(0), ss = kc.inShape(1);
            qtype = quantize ? kc.outDtype(0) : kc.inDtype(0);
            if (quantize && kc.inDtype(0) != DType.FLOAT) throw kc.fail("x must be float32, got " + kc.inDtype(0));
            if (kc.inDtype(1) != DType.FLOAT) throw kc.fail("scale must be float32, got " + kc.inDtype(1));
            switch (qtype) {
                case INT8, UINT8, INT16, UINT16 -> { }
                case INT32 -> {
                    if (quantize) throw kc.fail("quantizing to int32 is not supported");
                }
                default -> throw kc.fail("quantized type " + qtype + " is not supported");
            }
            qmin = QuantMath.qmin(qtype);
            qmax = QuantMath.qmax(qtype);
            if (kc.hasInput(2) && !Arrays.equals(kc.inShape(2), ss)) throw kc.fail("zero point and scale shapes differ");
            int blk = (int) kc.attrInt("block_size", 0);
            boolean scalar = Tensor.numel(ss) == 1 && ss.length <= 1;
            if (blk < 0) throw kc.fail("block_size must be >= 0, got " + blk);
            if (xs.length == 0 || (scalar && blk == 0)) {
                outer = 1;
                d = 1;
                inner = Tensor.numel(xs);
                perAxis = false;
                block = 0;
                blocks = 1;
                return;
            }
            int axis = kc.axis(kc.attrInt("axis", 1), xs.length);
            outer = Tensor.numel(Arrays.copyOfRange(xs, 0, axis));
            d = xs[axis];
            inner = Tensor.numel(Arrays.copyOfRange(xs, axis + 1, xs.length));
            if (blk > 0) {
                block = blk;
                blocks = Math.ceilDiv(d, blk);
                int[] want = xs.clone();
                want[axis] = blocks;
                if (!Arrays.equals(want, ss)) throw kc.fail("blocked scale must have shape " + Arrays.toString(want) + ", got " + Arrays.toString(ss));
                perAxis = false;
            } else {
                if (ss.length != 1 || ss[0] != d) throw kc.fail("per-axis scale must have " + d + " values, got " + Arrays.toString(ss));
                perAxis = true;
                block = 0;
                blocks = 1;
            }
        }

        @Override public void run(Tensor[] in, Tensor[] out) {
            Tensor x = in[0], s = in[1], z = in.length > 2 ? in[2] : null, y = out[0];
            int e = 0;
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < d; j++) {
                    if (block == 0) {
                        int p = perAxis ? j : 0;
                        float scale = s.getFloat(p);
                        long zp = z == null ? 0 : z.getLong(p);
                        if (quantize) quantizeRun(x, y, e, inner, scale, zp);
                        else dequantizeRun(x, y, e, inner, scale, zp);
                    } else {
                        int pb = (o * blocks + j / block) * inner;
                        for (int i = 0; i < inner; i++) {
                            float scale = s.getFloat(pb + i);
                            long zp = z == null ? 0 : z.getLong(pb + i);
                            if (quantize) quantizeRun(x, y, e + i, 1, scale, zp);
                            else dequantizeRun(x, y, e + i, 1, scale, zp);
                        }
                    }
                    e += inner;
                }
            }
        }

        private void quantizeRun(Tensor x, Tensor y, int from, int n, float scale, long zp) {
            float[] xa = x.floats();
            int xo = x.offset() + from;
            if (qtype == DType.INT8 || qtype == DType.UINT8) {
                byte[] ya = y.bytes();
                int yo = y.offset() + from;
                QuantMath.quantizeBytes(xa, xo, ya, yo, n, scale, (int) zp, (int) qmin, (int) qmax);
            } else {
                for (int i = 0; i < n; i++) y.setLong(from + i, QuantMath.quantize(xa[xo + i], scale, zp, qmin, qmax));
            }
        }

        private void dequantizeRun(Tensor x, Tensor y, int from, int n, float scale, long zp) {
            float[] ya = y.floats();
            int yo = y.offset() + from;
            if (qtype == DType.INT8) {
                byte[] xa = x.bytes();
                int xo = x.offset() + from;
                for (int i = 0; i < n; i++) ya[yo + i] = QuantMath.dequantize(xa[xo + i], zp, scale);
            } else if (qtype == DType.UINT8) {
                byte[] xa = x.bytes();
                int xo = x.offset() + from;
                for (int i = 0; i < n; i++) ya[yo + i] = QuantMath.dequantize(xa[xo + i] & 0xFF, zp, scale);
            } else {
                for (int i = 0; i < n; i++) ya[yo + i] = QuantMath.dequantize(x.getLong(from + i), zp, scale);
            }
        }
    }

    static Kernel dynamic(KernelContext kc) {
        if (kc.inDtype(0) != DType.FLOAT) throw kc.fail("x must be float32, got " + kc.inDtype(0));
        return (in, out) -> {
            float[] xa = in[0].floats();
            int xo = in[0].offset(), n = in[0].size();
            float min = 0, max = 0;
            for (int i = 0; i < n; i++) {
                float v = xa[xo + i];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float scale = QuantMath.dynamicScaleUint8(min, max);
            long zp = QuantMath.dynamicZeroPointUint8(min, scale);
            byte[] ya = out[0].bytes();
            int yo = out[0].offset();
            for (int i = 0; i < n; i++) ya[yo + i] = (byte) QuantMath.quantize(xa[xo + i], scale, zp, 0, 255);
            out[1].floats()[out[1].offset()] = scale;
            out[2].bytes()[out[2].offset()] = (byte) zp;
        };
    }
}
