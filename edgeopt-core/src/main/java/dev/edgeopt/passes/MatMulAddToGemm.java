package dev.edgeopt.passes;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * MatMul of two 2-D operands followed by Add of a constant that broadcasts to the product becomes
 * one Gemm: one kernel with the bias in its epilogue, and a Gemm the activation fusion can take.
 */
public final class MatMulAddToGemm implements Pass {
    @Override public String name() { return "matmul-add-to-gemm"; }

    @Override public String description() { return "turn 2-D MatMul + constant Add into Gemm"; }

    @Override public Graph run(Graph g, PassContext ctx) {
        for (Node add : g.nodes().toArray(new Node[0])) {
            if (add.graph() != g || !Rewrites.is(add, "Add") || add.inputCount() != 2) continue;
            for (int i = 0; i < 2; i++) {
                Node mm = Rewrites.producer(add.input(i), "MatMul");
                Value c = add.input(1 - i);
                if (mm == null || !Rewrites.onlyReadBy(g, mm.output(0), add) || !c.isConstant()) continue;
                if (!applies(mm, c)) continue;
                String name = mm.name();
                Rewrites.replace(g, List.of(mm, add), add.output(0), "Gemm", "", name, List.of(mm.input(0), mm.input(1), c), Map.of());
                ctx.changed(name, "MatMul + Add " + add.name() + " became Gemm");
                break;
            }
        }
        return g;
    }

    private static boolean applies(Node mm, Value c) {
        Shape a = mm.input(0).shape(), b = mm.input(1).shape();
        if (a == null || b == null || a.rank() != 2 || b.rank() != 2) return false;
        if (mm.input(0).dtype() != DType.FLOAT || mm.input(1).dtype() != DType.FLOAT || c.dtype() != DType.FLOAT) return false;
        // Gemm's C broadcasts one way only, to [M, N]: it may not widen the result.
        int[] cd = c.constant().dims();
        if (cd.length > 2) return false;
        Dim n = b.dim(1), m = a.dim(0);
        if (cd.length >= 1) {
            int last = cd[cd.length - 1];
            if (last != 1 && !(n.isKnown() && n.value() == last)) return false;
        }
        if (cd.length == 2 && cd[0] != 1 && !(m.isKnown() && m.value() == cd[0])) return false;
        return true;
    }
}
