package dev.edgeopt.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Kernel.run allocates nothing once the JIT has settled: each kernel must reach a run that
 * allocates zero bytes on this thread. Interpreted and C1 code box Vector API values, and on a
 * loaded machine C2 may take many runs to arrive, hence the generous bound on attempts.
 */
class NnKernelsAllocationTest {
    static Tensor rand(DType dt, int... shape) {
        Random r = new Random(1);
        Tensor t = Tensor.allocate(dt, shape);
        for (int i = 0; i < t.size(); i++) t.setDouble(i, dt == DType.FLOAT ? r.nextGaussian() : r.nextInt(200));
        return t;
    }

    static void assertSteadyStateAllocatesNothing(int opset, String op, Tensor[] ins, TensorType[] outTypes, Object... attrs) {
        Graph g = new Graph("t");
        g.setOpset(opset);
        List<Value> vs = new ArrayList<>();
        for (int i = 0; i < ins.length; i++) vs.add(ins[i] == null ? null : g.addInitializer("i" + i, ins[i]));
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outTypes.length; i++) outs.add("o" + i);
        Node n = g.addNode(op, "n", vs, outs);
        for (int i = 0; i < attrs.length; i += 2) {
            Object v = attrs[i + 1];
            n.setAttr((String) attrs[i], v instanceof long[] l ? Attribute.of(l) : v instanceof String s ? Attribute.of(s) : Attribute.of((Long) v));
        }
        TensorType[] inT = new TensorType[ins.length];
        for (int i = 0; i < ins.length; i++) inT[i] = ins[i] == null ? null : ins[i].type();
        Tensor[] out = new Tensor[outTypes.length];
        for (int i = 0; i < out.length; i++) out[i] = Tensor.allocate(outTypes[i].dtype(), outTypes[i].shape().toIntArray());
        Scratch scratch = new Scratch();
        // Inputs are not passed as constants (kernels must take them at run time), except Resize's
        // scales, which fix its output shape.
        Tensor[] consts = new Tensor[ins.length];
        if (op.equals("Resize")) for (int i = 1; i < ins.length; i++) consts[i] = ins[i];
        Kernel k = KernelRegistry.standard().require(n).create(new KernelContext(n, opset, inT, outTypes, consts,
                ThreadPool.shared(1), scratch));
        scratch.seal();
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long last = -1;
        for (int i = 0; i < 400_000 && last != 0; i++) {
            long before = mx.getThreadAllocatedBytes(tid);
            k.run(ins, out);
            last = mx.getThreadAllocatedBytes(tid) - before;
        }
        assertTrue(last == 0, op + " still allocates " + last + " bytes per run");
    }

    @Test
    void nnAndQuantKernelsRunWithoutAllocating() {
        Tensor x = rand(DType.FLOAT, 1, 4, 9, 10);
        TensorType y = TensorType.of(DType.FLOAT, 1, 4, 4, 5);
        assertSteadyStateAllocatesNothing(12, "MaxPool", new Tensor[] {x}, new TensorType[] {y},
                "kernel_shape", new long[] {3, 2}, "strides", new long[] {2, 2});
        assertSteadyStateAllocatesNothing(12, "MaxPool", new Tensor[] {x}, new TensorType[] {y, TensorType.of(DType.INT64, 1, 4, 4, 5)},
                "kernel_shape", new long[] {3, 2}, "strides", new long[] {2, 2});
        assertSteadyStateAllocatesNothing(11, "AveragePool", new Tensor[] {x}, new TensorType[] {TensorType.of(DType.FLOAT, 1, 4, 9, 10)},
                "kernel_shape", new long[] {3, 3}, "pads", new long[] {1, 1, 1, 1});
        assertSteadyStateAllocatesNothing(13, "GlobalAveragePool", new Tensor[] {x}, new TensorType[] {TensorType.of(DType.FLOAT, 1, 4, 1, 1)});
        Tensor c = rand(DType.FLOAT, 4), v = Tensor.of(new float[] {1, 2, 3, 4}, 4);
        assertSteadyStateAllocatesNothing(15, "BatchNormalization", new Tensor[] {x, c, c, c, v}, new TensorType[] {x.type()});
        assertSteadyStateAllocatesNothing(17, "LayerNormalization", new Tensor[] {x, rand(DType.FLOAT, 10)},
                new TensorType[] {x.type()}, "axis", -1L);
        assertSteadyStateAllocatesNothing(13, "Resize", new Tensor[] {x, null, Tensor.of(new float[] {1, 1, 2, 1.5f}, 4)},
                new TensorType[] {TensorType.of(DType.FLOAT, 1, 4, 18, 15)}, "mode", "linear");
        assertSteadyStateAllocatesNothing(13, "QuantizeLinear", new Tensor[] {x, Tensor.of(new float[] {0.1f}, new int[0])},
                new TensorType[] {TensorType.of(DType.UINT8, 1, 4, 9, 10)});
        assertSteadyStateAllocatesNothing(11, "DynamicQuantizeLinear", new Tensor[] {x},
                new TensorType[] {TensorType.of(DType.UINT8, 1, 4, 9, 10), TensorType.of(DType.FLOAT), TensorType.of(DType.UINT8)});
    }
}
