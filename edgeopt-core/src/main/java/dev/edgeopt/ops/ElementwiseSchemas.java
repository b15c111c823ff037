package dev.edgeopt.ops;

import dev.edgeopt.ir.DType;
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
        return List.of(new TensorType(t, Infer.broadcastInputs(ctx)));
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
        return List.of(new TensorType(to, ctx.inputShape(0)));
    }
}
