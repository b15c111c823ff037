package dev.edgeopt.engine.kernels.int8;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One reader for every QLinear op's parameters: the same checks and messages for the GEMM ops and the others. */
class QParamsTest {
    static void create(String domain, String op, Tensor[] ins, TensorType out) {
        Graph g = new Graph("t");
        g.opsetImports().put("com.microsoft", 1L);
        List<Value> vs = new ArrayList<>();
        for (int i = 0; i < ins.length; i++) vs.add(g.addInitializer("i" + i, ins[i]));
        Node n = g.insertNode(0, op, domain, "n", vs, List.of("y"));
        TensorType[] inT = new TensorType[ins.length];
        Tensor[] consts = new Tensor[ins.length];
        for (int i = 0; i < ins.length; i++) {
            inT[i] = ins[i].type();
            consts[i] = i == 0 ? null : ins[i];
        }
        KernelRegistry.standard().require(n).create(new KernelContext(n, 13, inT, new TensorType[] {out}, consts, ThreadPool.shared(1), new Scratch()));
    }

    @Test
    void aZeroScaleIsRejectedAlikeByTheGemmOpsAndTheOthers() {
        Tensor[] conv = QLinearAllocationTest.conv(DType.INT8, new int[] {1, 4, 5, 5}, 4, 1, 1, 1);
        conv[1] = QLinearAllocationTest.scalar(0f);
        String a = assertThrows(EdgeoptException.class, () -> create("", "QLinearConv", conv, TensorType.of(DType.INT8, 1, 4, 5, 5))).getMessage();
        Tensor x = QLinearAllocationTest.bytes(DType.INT8, 1, 1, 8);
        Tensor[] add = {x, QLinearAllocationTest.scalar(0f), QLinearAllocationTest.zp(DType.INT8, 0), x, QLinearAllocationTest.scalar(0.1f),
            QLinearAllocationTest.zp(DType.INT8, 0), QLinearAllocationTest.scalar(0.1f), QLinearAllocationTest.zp(DType.INT8, 0)};
        String b = assertThrows(EdgeoptException.class, () -> create("com.microsoft", "QLinearAdd", add, TensorType.of(DType.INT8, 1, 8))).getMessage();
        assertTrue(a.contains("must be positive and finite, got 0.0") && a.startsWith("node n (QLinearConv)"), a);
        assertTrue(b.contains("must be positive and finite, got 0.0") && b.startsWith("node n (com.microsoft.QLinearAdd)"), b);
    }

    @Test
    void scalarReadsConstantsAndUnsignedZeroPoints() {
        QParams.Scalar s = new QParams.Scalar(0.5f, 200, true);
        assertEquals(0, s.qmin());
        assertEquals(255, s.qmax());
        assertEquals(-100f, s.dequantize(0), 0f);
        assertEquals(255, s.quantize(1e9f));
        assertEquals(200, s.quantize(Float.NaN));
    }
}
