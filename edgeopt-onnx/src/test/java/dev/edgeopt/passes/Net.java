package dev.edgeopt.passes;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/** A terse builder for test networks, with seeded random weights. */
final class Net {
    final Graph g;
    final SplittableRandom rnd;
    private int counter;

    Net(String name, int opset, long seed) {
        g = new Graph(name);
        g.setOpset(opset);
        rnd = new SplittableRandom(seed);
    }

    Value input(String name, int... dims) { return g.addInput(name, TensorType.of(DType.FLOAT, dims)); }

    Value c(float[] data, int... dims) { return g.addInitializer(g.uniqueName("c"), Tensor.of(data.clone(), dims)); }

    Value scalar(float v) { return g.addInitializer(g.uniqueName("s"), Tensor.scalar(v)); }

    Value longs(long... v) { return g.addInitializer(g.uniqueName("i"), Tensor.vector(v)); }

    /** Uniform in [lo, hi). */
    Value rand(float lo, float hi, int... dims) {
        float[] f = new float[Tensor.numel(dims)];
        for (int i = 0; i < f.length; i++) f[i] = (float) rnd.nextDouble(lo, hi);
        return c(f, dims);
    }

    Node node(String op, Value... ins) {
        String name = op.toLowerCase(java.util.Locale.ROOT) + (counter++);
        return g.addNode(op, name, Arrays.asList(ins), 1);
    }

    Value op(String op, Value... ins) { return node(op, ins).output(0); }

    Value op(String op, Object[] attrs, Value... ins) {
        Node n = node(op, ins);
        for (int i = 0; i < attrs.length; i += 2) n.setAttr((String) attrs[i], attr(attrs[i + 1]));
        return n.output(0);
    }

    static Attribute attr(Object o) {
        return switch (o) {
            case Float f -> Attribute.of(f);
            case Double d -> Attribute.of(d.floatValue());
            case Integer i -> Attribute.of((long) i);
            case Long l -> Attribute.of(l);
            case String s -> Attribute.of(s);
            case long[] l -> Attribute.of(l);
            case int[] i -> Attribute.ofInts(i);
            case float[] f -> Attribute.of(f);
            default -> throw new IllegalArgumentException(String.valueOf(o));
        };
    }

    static Object[] a(Object... kv) { return kv; }

    Value conv(Value x, int cin, int cout, int k, Object... attrs) {
        long group = 1;
        for (int i = 0; i < attrs.length; i += 2) if (attrs[i].equals("group")) group = ((Number) attrs[i + 1]).longValue();
        Value w = rand(-0.5f, 0.5f, cout, (int) (cin / group), k, k);
        Value b = rand(-0.1f, 0.1f, cout);
        return op("Conv", attrs, x, w, b);
    }

    Value bn(Value x, int c) {
        return op("BatchNormalization", a("epsilon", 1e-3f), x, rand(0.5f, 1.5f, c), rand(-0.5f, 0.5f, c), rand(-0.2f, 0.2f, c), rand(0.5f, 2f, c));
    }

    Graph out(Value... vs) {
        for (Value v : vs) g.addOutput(v);
        // Types as import would annotate them: several preconditions read shapes.
        dev.edgeopt.ops.ShapeInference.annotate(g, dev.edgeopt.engine.Executor.evaluator());
        return g;
    }
}
