package dev.edgeopt.engine.kernels;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Runs one kernel directly on tensors that are windows into larger arrays (offsets and garbage
 * around them), so tests catch kernels that forget {@code offset()} or write outside their window.
 */
final class KernelHarness {
    private KernelHarness() {}

    /** A float tensor of the shape at a random offset inside a larger array filled with NaN. */
    static Tensor window(Random rnd, float[] values, int... shape) {
        int off = 1 + rnd.nextInt(7);
        float[] a = new float[off + values.length + 5];
        java.util.Arrays.fill(a, Float.NaN);
        System.arraycopy(values, 0, a, off, values.length);
        return Tensor.view(DType.FLOAT, shape, a, off);
    }

    static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * 2);
        return v;
    }

    /** Runs {@code op} on the inputs into outputs of the given types; returns the outputs (windows). */
    static Tensor[] run(String op, Map<String, Attribute> attrs, int opset, int threads, Tensor[] inputs, TensorType... outTypes) {
        Graph g = new Graph("t");
        g.setOpset(opset);
        List<Value> ins = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) ins.add(inputs[i] == null ? null : g.addInput("x" + i, inputs[i].type()));
        Node n = g.addNode(op, "n", ins, outTypes.length);
        attrs.forEach(n::setAttr);
        TensorType[] inT = new TensorType[inputs.length];
        for (int i = 0; i < inputs.length; i++) inT[i] = inputs[i] == null ? null : inputs[i].type();
        // Inputs after the first are given as constants too, as initializer axes or K would be.
        Tensor[] consts = new Tensor[inputs.length];
        for (int i = 1; i < inputs.length; i++) consts[i] = inputs[i];
        Scratch scratch = new Scratch();
        Kernel k = KernelRegistry.standard().require(n).create(
                new KernelContext(n, opset, inT, outTypes, consts, ThreadPool.shared(threads), scratch));
        scratch.seal();
        Tensor[] outs = new Tensor[outTypes.length];
        Random rnd = new Random(7);
        for (int i = 0; i < outs.length; i++) {
            int[] s = outTypes[i].shape().toIntArray();
            int off = 3 + rnd.nextInt(5);
            Object arr = Tensor.newArray(outTypes[i].dtype(), off + Tensor.numel(s) + 4);
            if (arr instanceof float[] f) java.util.Arrays.fill(f, 12345f);
            outs[i] = Tensor.view(outTypes[i].dtype(), s, arr, off);
        }
        k.run(inputs, outs);
        for (Tensor o : outs) {
            if (o.data() instanceof float[] f) {
                for (int i = 0; i < o.offset(); i++) if (f[i] != 12345f) throw new AssertionError("wrote before the output window");
                for (int i = o.offset() + o.size(); i < f.length; i++) if (f[i] != 12345f) throw new AssertionError("wrote after the output window");
            }
        }
        return outs;
    }

    /** The flat input offset of output index {@code o} under numpy broadcasting (the slow, obvious way). */
    static int broadcastIndex(int o, int[] out, int[] in) {
        int[] idx = new int[out.length];
        for (int d = out.length - 1; d >= 0; d--) {
            idx[d] = o % out[d];
            o /= out[d];
        }
        int off = 0, lead = out.length - in.length;
        for (int d = 0; d < in.length; d++) off = off * in[d] + (in[d] == 1 ? 0 : idx[lead + d]);
        return off;
    }
}
