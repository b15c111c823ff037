package dev.edgeopt.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphTest {
    static Graph chain() {
        Graph g = new Graph("chain");
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 2));
        Value b = g.addInitializer("b", Tensor.of(new float[] {1, 2}, 2));
        Node add = g.addNode("Add", "add", List.of(x, b), List.of("s"));
        Node relu = g.addNode("Relu", "relu", List.of(add.output(0)), List.of("y"));
        g.addOutput(relu.output(0));
        return g;
    }

    @Test
    void copyIsDeepForStructureAndSharesConstants() {
        Graph g = chain();
        Graph c = g.copy();
        assertEquals(GraphPrinter.print(g), GraphPrinter.print(c));
        assertNotSame(g.nodes().get(0), c.nodes().get(0));
        assertSame(g.value("b").constant(), c.value("b").constant());
        assertSame(c.nodes().get(0), c.value("s").producer());
        c.removeNode(c.nodes().get(1));
        assertEquals(2, g.nodes().size());
    }

    @Test
    void replaceAllUsesRewiresNodesAndOutputs() {
        Graph g = chain();
        Value x = g.value("x");
        Value s = g.value("s");
        g.replaceAllUses(s, x);
        assertSame(x, g.nodes().get(1).input(0));
        assertEquals(List.of(g.nodes().get(0), g.nodes().get(1)), g.uses(x));
        g.removeNode(g.nodes().get(0));
        g.removeUnusedValues();
        assertEquals(null, g.value("s"));
        GraphVerifier.verify(g);
    }

    @Test
    void sortTopologicallyRestoresOrderAndNamesCycles() {
        Graph g = new Graph("t");
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 1));
        Node second = g.addNode("Relu", "second", List.of(x), List.of("a"));
        Node first = g.insertNode(0, "Relu", "", "first", List.of(), List.of("b"));
        first.setInput(0, second.output(0)); // first reads second's output but sits before it
        g.addOutput(first.output(0));
        g.sortTopologically();
        assertEquals(List.of("second", "first"), g.nodes().stream().map(Node::name).toList());

        second.setInput(0, first.output(0)); // now a cycle
        EdgeoptException e = assertThrows(EdgeoptException.class, g::sortTopologically);
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
    }

    @Test
    void namesStayUnique() {
        Graph g = chain();
        assertThrows(EdgeoptException.class, () -> g.newValue("s", null));
        String n = g.uniqueName("s");
        assertTrue(!n.equals("s") && g.value(n) == null);
        g.rename(g.value("y"), "logits");
        assertEquals("logits", g.outputs().get(0).name());
        assertSame(g.outputs().get(0), g.value("logits"));
    }
}
