package dev.edgeopt.ops;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Schemas of the MAC-bearing ops (Conv, ConvTranspose, Gemm, MatMul and their integer forms); see
 * {@link OpRegistry#standard()}. One multiply-accumulate counts as one MAC.
 */
final class LinalgSchemas {
    private LinalgSchemas() {}

    static void register(OpRegistry r) {
        r.register(new Schema("Conv", LinalgSchemas::inferConv, LinalgSchemas::convMacs));
        r.register(new Schema("ConvInteger", ctx -> withDtype(inferConv(ctx), DType.INT32), LinalgSchemas::convMacs));
        r.register(new Schema("ConvTranspose", LinalgSchemas::inferConvTranspose, LinalgSchemas::convTransposeMacs));
        r.register(new Schema("Gemm", LinalgSchemas::inferGemm, LinalgSchemas::gemmMacs));
        r.register(new Schema("MatMul", LinalgSchemas::inferMatMul, LinalgSchemas::matMulMacs));
        r.register(new Schema("MatMulInteger", ctx -> withDtype(inferMatMul(ctx), DType.INT32), LinalgSchemas::matMulMacs));
        // Quantized forms (QOperator format): x, x_scale, x_zero_point, w, w_scale, w_zero_point,
        // y_scale, y_zero_point[, bias]; the output type is y_zero_point's.
        r.register(new Schema("QLinearConv", ctx -> withDtype(inferConv(ctx, 0, 3, 8), quantOut(ctx, 7)),
                (n, in, out) -> convMacs(n, new TensorType[] {in[0], in[3]}, out)));
        r.register(new Schema("QLinearMatMul", ctx -> withDtype(inferMatMul(ctx, 0, 3), quantOut(ctx, 7)), LinalgSchemas::matMulMacs));
        // ONNX Runtime's contrib op: A, a_scale, a_zero_point, B, b_scale, b_zero_point, C (int32),
        // y_scale, y_zero_point; without y_scale the output is float.
        r.register(new Schema("QGemm", "com.microsoft", ctx -> withDtype(inferGemm(ctx, 0, 3, 6),
                ctx.hasInput(7) ? quantOut(ctx, 8) : DType.FLOAT), LinalgSchemas::gemmMacs));
    }

    /** The output type of a quantized op: its y_zero_point's, which must be int8 or uint8. */
    private static DType quantOut(InferContext ctx, int zpIndex) {
        if (!ctx.hasInput(zpIndex)) throw ctx.fail("y_zero_point is required");
        DType t = ctx.inputDtype(zpIndex);
        if (t != DType.INT8 && t != DType.UINT8) throw ctx.fail("y_zero_point must be int8 or uint8, got " + t);
        return t;
    }

    private static List<TensorType> withDtype(List<TensorType> t, DType d) {
        return List.of(new TensorType(d, t.get(0).shape()));
    }

    static long[] known(Shape s, int from) {
        long[] v = new long[s.rank() - from];
        for (int i = 0; i < v.length; i++) {
            Dim d = s.dim(from + i);
            v[i] = d.isKnown() ? d.value() : -1;
        }
        return v;
    }

    private static Dim dimOf(long v) { return v < 0 ? Dim.unknown() : Dim.of(v); }

    static List<TensorType> inferConv(InferContext ctx) {
        return inferConv(ctx, 0, 1, ctx.node().opType().equals("ConvInteger") ? -1 : 2);
    }

    /** Conv's output type from input {@code xi}, weight {@code wi} and bias {@code bi} (-1: none). */
    static List<TensorType> inferConv(InferContext ctx, int xi, int wi, int bi) {
        Shape x = ctx.inputShape(xi), w = ctx.inputShape(wi);
        if (x.rank() < 3) throw ctx.fail("input must have rank >= 3 (N, C, spatial...), got " + x);
        if (w.rank() != x.rank()) throw ctx.fail("weight rank " + w.rank() + " differs from input rank " + x.rank());
        ConvGeometry g;
        try {
            g = ConvGeometry.conv(ctx.node(), known(x, 2), known(w, 2));
        } catch (ConvGeometry.Invalid e) {
            throw ctx.fail(e.getMessage());
        }
        Dim c = x.dim(1), wc = w.dim(1), m = w.dim(0);
        if (c.isKnown() && wc.isKnown() && c.value() != wc.value() * g.group) {
            throw ctx.fail("input has " + c.value() + " channels but weight expects " + wc.value() + " x group " + g.group);
        }
        if (m.isKnown() && m.value() % g.group != 0) throw ctx.fail("output channels " + m.value() + " not divisible by group " + g.group);
        if (bi >= 0 && ctx.hasInput(bi)) {
            Shape b = ctx.inputShape(bi);
            if (b.rank() != 1 || (b.dim(0).isKnown() && m.isKnown() && b.dim(0).value() != m.value())) {
                throw ctx.fail("bias shape " + b + " does not match " + m + " output channels");
            }
        }
        List<Dim> out = new ArrayList<>();
        out.add(x.dim(0));
        out.add(m);
        for (long o : g.out) out.add(dimOf(o));
        return List.of(new TensorType(ctx.inputDtype(xi), Shape.of(out)));
    }

    static long convMacs(Node n, TensorType[] in, TensorType[] out) {
        Shape w = in[1].shape(), y = out[0].shape();
        // N * Cout * prod(out spatial) * (Cin/group) * prod(kernel)
        return Math.multiplyExact(Infer.prod(y, 0, y.rank()), Infer.prod(w, 1, w.rank()));
    }

    static List<TensorType> inferConvTranspose(InferContext ctx) {
        Shape x = ctx.inputShape(0), w = ctx.inputShape(1);
        if (x.rank() < 3) throw ctx.fail("input must have rank >= 3 (N, C, spatial...), got " + x);
        if (w.rank() != x.rank()) throw ctx.fail("weight rank " + w.rank() + " differs from input rank " + x.rank());
        ConvGeometry g;
        try {
            g = ConvGeometry.convTranspose(ctx.node(), known(x, 2), known(w, 2));
        } catch (ConvGeometry.Invalid e) {
            throw ctx.fail(e.getMessage());
        }
        Dim c = x.dim(1), wc = w.dim(0);
        if (c.isKnown() && wc.isKnown() && c.value() != wc.value()) {
            throw ctx.fail("input has " + c.value() + " channels but weight has " + wc.value());
        }
        if (c.isKnown() && c.value() % g.group != 0) throw ctx.fail("input channels " + c.value() + " not divisible by group " + g.group);
        Dim m = w.dim(1).times(Dim.of(g.group));
        List<Dim> out = new ArrayList<>();
        out.add(x.dim(0));
        out.add(m);
        for (long o : g.out) out.add(dimOf(o));
        return List.of(new TensorType(ctx.inputDtype(0), Shape.of(out)));
    }

    static long convTransposeMacs(Node n, TensorType[] in, TensorType[] out) {
        Shape x = in[0].shape(), w = in[1].shape();
        // Every input pixel scatters into Cout/group channels through the whole kernel.
        return Math.multiplyExact(Infer.prod(x, 0, x.rank()), Infer.prod(w, 1, w.rank()));
    }

    static List<TensorType> inferGemm(InferContext ctx) { return inferGemm(ctx, 0, 1, 2); }

    static List<TensorType> inferGemm(InferContext ctx, int ai, int bi, int ci) {
        Shape a = ctx.inputShape(ai), b = ctx.inputShape(bi);
        if (a.rank() != 2 || b.rank() != 2) throw ctx.fail("A and B must be 2-D, got " + a + " and " + b);
        boolean ta = ctx.attrInt("transA", 0) != 0, tb = ctx.attrInt("transB", 0) != 0;
        Dim m = a.dim(ta ? 1 : 0), ka = a.dim(ta ? 0 : 1), kb = b.dim(tb ? 1 : 0), n = b.dim(tb ? 0 : 1);
        if (ka.isKnown() && kb.isKnown() && ka.value() != kb.value()) {
            throw ctx.fail("inner dimensions differ: A " + a + (ta ? " (transposed)" : "") + ", B " + b + (tb ? " (transposed)" : ""));
        }
        Shape y = Shape.of(m, n);
        if (ctx.hasInput(ci)) {
            Shape c = ctx.inputShape(ci);
            Shape bc = Infer.broadcast(ctx, y, c);
            if (c.rank() > 2 || (!bc.equals(y) && y.isStatic())) throw ctx.fail("C " + c + " does not broadcast to " + y);
        }
        return List.of(new TensorType(ctx.inputDtype(ai), y));
    }

    static long gemmMacs(Node node, TensorType[] in, TensorType[] out) {
        Shape a = in[0].shape(), y = out[0].shape();
        long k = a.dim(node.attrInt("transA", 0) != 0 ? 0 : 1).value();
        return Math.multiplyExact(Infer.prod(y, 0, 2), k);
    }

    static List<TensorType> inferMatMul(InferContext ctx) { return inferMatMul(ctx, 0, 1); }

    static List<TensorType> inferMatMul(InferContext ctx, int ai, int bi) {
        Shape a = ctx.inputShape(ai), b = ctx.inputShape(bi);
        if (a.rank() == 0 || b.rank() == 0) throw ctx.fail("operands must have rank >= 1, got " + a + " and " + b);
        Shape a2 = a.rank() == 1 ? Shape.of(Dim.of(1), a.dim(0)) : a;
        Shape b2 = b.rank() == 1 ? Shape.of(b.dim(0), Dim.of(1)) : b;
        Dim ka = a2.dim(-1), kb = b2.dim(-2);
        if (ka.isKnown() && kb.isKnown() && ka.value() != kb.value()) {
            throw ctx.fail("inner dimensions differ: " + a + " x " + b);
        }
        Shape batchA = Shape.of(java.util.Arrays.copyOf(a2.dims(), a2.rank() - 2));
        Shape batchB = Shape.of(java.util.Arrays.copyOf(b2.dims(), b2.rank() - 2));
        Shape batch = Infer.broadcast(ctx, batchA, batchB);
        List<Dim> out = new ArrayList<>(List.of(batch.dims()));
        if (a.rank() != 1) out.add(a2.dim(-2));
        if (b.rank() != 1) out.add(b2.dim(-1));
        DType dt = ctx.inputDtype(ai);
        return List.of(new TensorType(dt, Shape.of(out)));
    }

    static long matMulMacs(Node node, TensorType[] in, TensorType[] out) {
        Shape a = in[0].shape();
        long k = a.dim(-1).value();
        return Math.multiplyExact(out[0].shape().numel(), k);
    }
}
