package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.kernels.elementwise.BinaryKernel;
import dev.edgeopt.engine.kernels.elementwise.BinaryOp;
import dev.edgeopt.engine.kernels.elementwise.CastKernel;
import dev.edgeopt.engine.kernels.elementwise.UnaryKernel;
import dev.edgeopt.engine.kernels.elementwise.UnaryOp;
import dev.edgeopt.engine.kernels.elementwise.WhereKernel;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.List;

/** Kernels of elementwise ops; see {@link KernelRegistry#standard()}. */
public final class ElementwiseKernels {
    private ElementwiseKernels() {}

    private static final List<String> UNARY = List.of(
            "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Elu", "Selu", "Celu",
            "Softplus", "Softsign", "Gelu", "Mish", "ThresholdedRelu",
            "Sqrt", "Neg", "Abs", "Exp", "Log", "Reciprocal", "Floor", "Ceil", "Round", "Sign",
            "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Not");

    public static void register(KernelRegistry r) {
        for (String op : UNARY) r.register(op, ElementwiseKernels::unary);
        r.register("Add", kc -> binary(kc, BinaryOp.ADD));
        r.register("Sub", kc -> binary(kc, BinaryOp.SUB));
        r.register("Mul", kc -> binary(kc, BinaryOp.MUL));
        r.register("Div", kc -> binary(kc, BinaryOp.DIV));
        r.register("Pow", kc -> binary(kc, BinaryOp.POW));
        r.register("Mod", kc -> binary(kc, kc.attrInt("fmod", 0) != 0 ? BinaryOp.FMOD : BinaryOp.MOD));
        r.register("PRelu", kc -> binary(kc, BinaryOp.PRELU));
        r.register("BitShift", ElementwiseKernels::bitShift);
        r.register("Equal", kc -> binary(kc, BinaryOp.EQUAL));
        r.register("Less", kc -> binary(kc, BinaryOp.LESS));
        r.register("LessOrEqual", kc -> binary(kc, BinaryOp.LESS_OR_EQUAL));
        r.register("Greater", kc -> binary(kc, BinaryOp.GREATER));
        r.register("GreaterOrEqual", kc -> binary(kc, BinaryOp.GREATER_OR_EQUAL));
        r.register("And", kc -> logical(kc, BinaryOp.AND));
        r.register("Or", kc -> logical(kc, BinaryOp.OR));
        r.register("Xor", kc -> logical(kc, BinaryOp.XOR));
        r.register("Min", kc -> variadic(kc, BinaryOp.MIN, false));
        r.register("Max", kc -> variadic(kc, BinaryOp.MAX, false));
        r.register("Sum", kc -> variadic(kc, BinaryOp.ADD, false));
        r.register("Mean", kc -> variadic(kc, BinaryOp.ADD, true));
        r.register("IsNaN", ElementwiseKernels::isNaN);
        r.register("IsInf", ElementwiseKernels::isInf);
        r.register("Where", kc -> new WhereKernel(kc.pool(), kc.inShape(0), kc.inShape(1), kc.inShape(2), kc.outShape(0), kc.outDtype(0)));
        r.register("Cast", ElementwiseKernels::cast);
        r.register("CastLike", ElementwiseKernels::cast);
    }

    static Kernel unary(KernelContext kc) {
        String name = kc.node().opType();
        UnaryOp op = UnaryOp.ofOnnx(name);
        DType t = kc.inDtype(0);
        double p0 = 0, p1 = 0;
        boolean fromInputs = false;
        switch (op) {
            case LEAKY_RELU -> p0 = kc.attrFloat("alpha", 0.01f);
            case HARD_SIGMOID -> {
                p0 = kc.attrFloat("alpha", 0.2f);
                p1 = kc.attrFloat("beta", 0.5f);
            }
            case ELU, CELU -> p0 = kc.attrFloat("alpha", 1f);
            case SELU -> {
                p0 = kc.attrFloat("alpha", 1.67326319217681884765625f);
                p1 = kc.attrFloat("gamma", 1.05070102519302368164062f);
            }
            case THRESHOLDED_RELU -> p0 = kc.attrFloat("alpha", 1f);
            case CLIP -> {
                p0 = Double.NEGATIVE_INFINITY;
                p1 = Double.POSITIVE_INFINITY;
                if (kc.opset() < 11) {
                    p0 = kc.attrFloat("min", -Float.MAX_VALUE);
                    p1 = kc.attrFloat("max", Float.MAX_VALUE);
                } else {
                    fromInputs = true;
                    for (int i = 1; i <= 2; i++) {
                        if (kc.hasInput(i) && kc.inDtype(i) != t) throw kc.fail("bound " + i + " is " + kc.inDtype(i) + ", input is " + t);
                    }
                }
            }
            case GELU -> {
                String approx = kc.attrString("approximate", "none");
                if (approx.equals("tanh")) op = UnaryOp.GELU_TANH;
                else if (!approx.equals("none")) throw kc.fail("unknown approximate='" + approx + "'");
            }
            default -> { }
        }
        if (!UnaryKernel.supports(op, t)) throw kc.fail(name + " does not support " + t);
        return new UnaryKernel(kc.pool(), op, t, Tensor.numel(kc.outShape(0)), p0, p1, fromInputs);
    }

    static Kernel binary(KernelContext kc, BinaryOp op) {
        DType a = kc.inDtype(0), b = kc.inDtype(1);
        if (a == DType.STRING || b == DType.STRING) throw kc.fail(kc.node().opType() + " does not support strings");
        if (a == DType.BOOL && !op.isLogical() && op != BinaryOp.EQUAL) throw kc.fail(kc.node().opType() + " does not support bool");
        if (a != b && op != BinaryOp.POW) throw kc.fail("inputs are " + a + " and " + b);
        if (op == BinaryOp.PRELU && !a.isFloating() && a != DType.INT32 && a != DType.INT64) throw kc.fail("PRelu does not support " + a);
        Kernel k = new BinaryKernel(kc.pool(), op, 0, 1, kc.inShape(0), kc.inShape(1), kc.outShape(0), a, b, kc.outDtype(0));
        if (a.isFloating() || !(op == BinaryOp.DIV || op == BinaryOp.MOD || op == BinaryOp.FMOD)) return k;
        // Integer division by zero has no ONNX result: report the node instead of a stack trace.
        return (in, out) -> {
            try {
                k.run(in, out);
            } catch (ArithmeticException e) {
                throw kc.fail("integer division by zero");
            }
        };
    }

    static Kernel logical(KernelContext kc, BinaryOp op) {
        if (kc.inDtype(0) != DType.BOOL || kc.inDtype(1) != DType.BOOL) throw kc.fail(kc.node().opType() + " needs bool inputs");
        return binary(kc, op);
    }

    static Kernel bitShift(KernelContext kc) {
        String dir = kc.attrString("direction", "");
        BinaryOp op = switch (dir) {
            case "LEFT" -> BinaryOp.BITSHIFT_LEFT;
            case "RIGHT" -> BinaryOp.BITSHIFT_RIGHT;
            default -> throw kc.fail("direction must be LEFT or RIGHT, got '" + dir + "'");
        };
        if (!kc.inDtype(0).isUnsigned()) throw kc.fail("BitShift needs unsigned integers, got " + kc.inDtype(0));
        return binary(kc, op);
    }

    /** Min, Max, Sum, Mean: a chain of binary steps accumulating into the output. */
    static Kernel variadic(KernelContext kc, BinaryOp op, boolean mean) {
        int n = kc.inputCount();
        DType t = kc.outDtype(0);
        if (t == DType.STRING || t == DType.BOOL) throw kc.fail(kc.node().opType() + " does not support " + t);
        if (mean && !t.isFloating()) throw kc.fail("Mean supports floating-point types, got " + t);
        for (int i = 0; i < n; i++) if (kc.inDtype(i) != t) throw kc.fail("input " + i + " is " + kc.inDtype(i) + ", expected " + t);
        int[] os = kc.outShape(0);
        Kernel[] steps;
        if (n == 1) {
            // One input: the output is a copy; max(x, x) is x for every value including NaN.
            steps = new Kernel[] {new BinaryKernel(kc.pool(), BinaryOp.MAX, 0, 0, kc.inShape(0), kc.inShape(0), os, t, t, t)};
            if (op == BinaryOp.ADD) steps = new Kernel[] {(in, out) -> in[0].copyTo(out[0])};
        } else {
            steps = new Kernel[n - 1];
            steps[0] = new BinaryKernel(kc.pool(), op, 0, 1, kc.inShape(0), kc.inShape(1), os, t, t, t);
            for (int i = 2; i < n; i++) steps[i - 1] = new BinaryKernel(kc.pool(), op, -1, i, os, kc.inShape(i), os, t, t, t);
        }
        Kernel[] chain = steps;
        if (!mean || n == 1) return (in, out) -> { for (Kernel k : chain) k.run(in, out); };
        return (in, out) -> {
            for (Kernel k : chain) k.run(in, out);
            Tensor y = out[0];
            if (t == DType.FLOAT) {
                float[] f = y.floats();
                for (int i = 0; i < y.size(); i++) f[y.offset() + i] /= n;
            } else {
                for (int i = 0; i < y.size(); i++) y.setDouble(i, y.getDouble(i) / n);
            }
        };
    }

    static Kernel isNaN(KernelContext kc) {
        if (!kc.inDtype(0).isFloating()) throw kc.fail("IsNaN needs a floating-point input, got " + kc.inDtype(0));
        return (in, out) -> {
            Tensor x = in[0];
            boolean[] y = out[0].bools();
            int yo = out[0].offset();
            for (int i = 0; i < x.size(); i++) y[yo + i] = Double.isNaN(x.getDouble(i));
        };
    }

    static Kernel isInf(KernelContext kc) {
        if (!kc.inDtype(0).isFloating()) throw kc.fail("IsInf needs a floating-point input, got " + kc.inDtype(0));
        boolean neg = kc.attrInt("detect_negative", 1) != 0, pos = kc.attrInt("detect_positive", 1) != 0;
        return (in, out) -> {
            Tensor x = in[0];
            boolean[] y = out[0].bools();
            int yo = out[0].offset();
            for (int i = 0; i < x.size(); i++) {
                double v = x.getDouble(i);
                y[yo + i] = (pos && v == Double.POSITIVE_INFINITY) || (neg && v == Double.NEGATIVE_INFINITY);
            }
        };
    }

    static Kernel cast(KernelContext kc) {
        return new CastKernel(kc.inDtype(0), kc.outDtype(0));
    }
}
