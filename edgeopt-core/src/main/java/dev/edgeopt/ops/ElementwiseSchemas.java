package dev.edgeopt.ops;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import java.util.List;

/** Schemas of elementwise ops (unary, binary with broadcasting, activations); see {@link OpRegistry#standard()}. */
final class ElementwiseSchemas {
    private ElementwiseSchemas() {}

    /** Unary ops whose output has the input's type. */
    static final List<String> UNARY = List.of(
            "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Elu", "Selu", "Celu",
            "Softplus", "Softsign", "Gelu", "Mish", "ThresholdedRelu",
            "Sqrt", "Neg", "Abs", "Exp", "Log", "Reciprocal", "Floor", "Ceil", "Round", "Sign",
            "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Not");

    /** Binary (or variadic) ops with numpy broadcasting whose inputs share one dtype, the output's. */
    static final List<String> BROADCAST_SAME = List.of(
            "Add", "Sub", "Mul", "Div", "Mod", "PRelu", "BitShift", "Min", "Max", "Sum", "Mean", "And", "Or", "Xor");

    /** Comparisons: broadcasting, bool output. */
    static final List<String> COMPARE = List.of("Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual");

    static void register(OpRegistry r) {
        for (String op : UNARY) r.register(new Schema(op, Infer.SAME_AS_INPUT0));
        for (String op : BROADCAST_SAME) r.register(new Schema(op, ElementwiseSchemas::broadcastSame));
        for (String op : COMPARE) r.register(new Schema(op, ElementwiseSchemas::compare));
        // Pow's exponent may have another numeric type (opset 12+); the output follows the base.
        r.register(new Schema("Pow", Infer.BROADCAST));
        r.register(new Schema("IsNaN", ctx -> List.of(new TensorType(DType.BOOL, ctx.inputShape(0)))));
        r.register(new Schema("IsInf", ctx -> List.of(new TensorType(DType.BOOL, ctx.inputShape(0)))));
        r.register(new Schema("Where", ElementwiseSchemas::where));
        r.register(new Schema("Cast", ElementwiseSchemas::cast));
        r.register(new Schema("CastLike", ctx -> List.of(new TensorType(ctx.inputDtype(1), ctx.inputShape(0)))));
    }

    private static List<TensorType> broadcastSame(InferContext ctx) {
        DType t = null;
        for (int i = 0; i < ctx.inputCount(); i++) {
            if (!ctx.hasInput(i)) continue;
            DType ti = ctx.inputDtype(i);
            if (t == null) t = ti;
            else if (ti != t) throw ctx.fail("input " + i + " is " + ti + " but input 0 is " + t);
        }
        Shape out = Infer.broadcastInputs(ctx);
        if (t.isInteger() && out.rank() <= 1 && out.isStatic() && ctx.inputCount() == 2) propagateShapeValue(ctx, out);
        return List.of(new TensorType(t, out));
    }

    /**
     * Arithmetic on integer tensors holding shape values (Shape(x)[0] * 196, Size(shape) - 1...)
     * keeps their symbolic contents, so a later Reshape or ConstantOfShape still sees them.
     */
    private static void propagateShapeValue(InferContext ctx, Shape out) {
        Dim[] a = ctx.inputShapeValue(0), b = ctx.inputShapeValue(1);
        if (a == null || b == null) return;
        int n = (int) out.numel();
        if ((a.length != n && a.length != 1) || (b.length != n && b.length != 1)) return;
        Dim[] r = new Dim[n];
        for (int i = 0; i < n; i++) {
            Dim x = a[a.length == 1 ? 0 : i], y = b[b.length == 1 ? 0 : i];
            boolean known = x.isKnown() && y.isKnown();
            r[i] = switch (ctx.node().opType()) {
                case "Add" -> x.plus(y);
                case "Mul" -> x.times(y);
                case "Sub" -> known ? (x.value() >= y.value() ? Dim.of(x.value() - y.value()) : Dim.unknown())
                        : y.isKnown() && y.value() == 0 ? x : Dim.unknown();
                case "Div" -> known ? (y.value() == 0 ? Dim.unknown() : Dim.of(x.value() / y.value())) : x.divide(y);
                case "Max" -> known ? Dim.of(Math.max(x.value(), y.value())) : x.equals(y) ? x : Dim.unknown();
                case "Min" -> known ? Dim.of(Math.min(x.value(), y.value())) : x.equals(y) ? x : Dim.unknown();
                default -> Dim.unknown();
            };
        }
        for (Dim d : r) if (!d.isUnknown()) { ctx.setOutputShapeValue(0, r); return; }
    }

    private static List<TensorType> compare(InferContext ctx) {
        if (ctx.inputDtype(0) != ctx.inputDtype(1)) {
            throw ctx.fail("compares " + ctx.inputDtype(0) + " with " + ctx.inputDtype(1));
        }
        return Infer.BROADCAST_BOOL.infer(ctx);
    }

    private static List<TensorType> where(InferContext ctx) {
        if (ctx.inputDtype(0) != DType.BOOL) throw ctx.fail("condition must be bool, got " + ctx.inputDtype(0));
        if (ctx.inputDtype(1) != ctx.inputDtype(2)) throw ctx.fail("branches have types " + ctx.inputDtype(1) + " and " + ctx.inputDtype(2));
        return List.of(new TensorType(ctx.inputDtype(1), Infer.broadcastInputs(ctx)));
    }

    private static List<TensorType> cast(InferContext ctx) {
        long code = ctx.attrInt("to", -1);
        DType to = DType.fromOnnx((int) code);
        if (to == null) throw ctx.fail("unsupported data type " + code + " in attribute 'to'");
        Dim[] sv = ctx.inputShapeValue(0);
        // An integer shape value cast to another integer type keeps its contents.
        if (sv != null && to.isInteger() && ctx.inputDtype(0).isInteger()) ctx.setOutputShapeValue(0, sv);
        return List.of(new TensorType(to, ctx.inputShape(0)));
    }
}
