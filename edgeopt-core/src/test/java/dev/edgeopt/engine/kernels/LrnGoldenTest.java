package dev.edgeopt.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * LRN with even sizes, where the window is asymmetric (floor below, ceil above). ONNX Runtime
 * rejects even sizes and the node tests have none, so the oracle is tools/golden/lrn_even_size.py,
 * which evaluates the operator's formula in numpy.
 */
class LrnGoldenTest {
    static final float[] SIZE2 = {0f, 0.823502183f, 1.10752356f, 0.894538701f, 0.377804935f, -0.449038327f, -1.05393982f, -1.03918624f,
        -0.670544803f, 0.0204701219f, 0.838532448f, 1.10674191f, 1.04050171f, 0.456964761f, -0.519955337f, -1.06008589f, -1.03368008f,
        -0.658073545f, 0.0410699584f, 0.853169501f, 1.1056869f, 0.876723409f, 0.34429729f, -0.490276814f, -1.06583345f, -1.02799582f,
        -0.645412385f, 0.0743458048f, 0.885423541f, 1.14171278f};
    static final float[] SIZE4 = {0f, 0.781475544f, 1.19538188f, 1.04560304f, 0.387210429f, -0.383067399f, -0.9747594f, -1.17572558f,
        -0.75361985f, 0.0204014312f, 0.796392739f, 1.19638288f, 1.13841355f, 0.436381489f, -0.465227783f, -1.06739175f, -1.18690515f,
        -0.748375237f, 0.0374381579f, 0.732539415f, 1.15113616f, 1.02425253f, 0.349123389f, -0.416835278f, -1.07503951f, -1.18126321f,
        -0.733280897f, 0.0666481704f, 0.834555566f, 1.22428811f};

    static float[] run(long size) {
        Graph g = new Graph("lrn");
        g.setOpset(13);
        var x = g.addInput("x", TensorType.of(DType.FLOAT, 2, 5, 3));
        Node n = g.addNode("LRN", "lrn", List.of(x), List.of("y"));
        n.setAttr("size", Attribute.of(size)).setAttr("alpha", Attribute.of(0.3f)).setAttr("beta", Attribute.of(0.75f))
                .setAttr("bias", Attribute.of(1.5f));
        g.addOutput(n.output(0));
        ShapeInference.annotate(g, null);
        float[] in = new float[30];
        for (int i = 0; i < in.length; i++) in[i] = (float) (Math.sin(0.7 * i) * 2);
        try (Executor ex = new Executor(g)) {
            return ex.run(Tensor.of(in, 2, 5, 3))[0].floats();
        }
    }

    @Test
    void evenSizesMatchTheSpecFormula() {
        assertArrayEquals(SIZE2, run(2), 1e-5f);
        assertArrayEquals(SIZE4, run(4), 1e-5f);
    }
}
