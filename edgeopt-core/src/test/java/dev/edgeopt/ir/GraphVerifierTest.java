package dev.edgeopt.ir;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphVerifierTest {
    private static String fail(Graph g) {
        return assertThrows(EdgeoptException.class, () -> GraphVerifier.verify(g)).getMessage();
    }

    @Test
    void acceptsWellFormedGraph() {
        GraphVerifier.verify(GraphTest.chain());
    }

    @Test
    void readBeforeDefinitionNamesNodeAndValue() {
        Graph g = new Graph("t");
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 1));
        Node a = g.addNode("Relu", "a", List.of(x), List.of("a_out"));
        Node b = g.insertNode(0, "Relu", "", "b", List.of(a.output(0)), List.of("b_out"));
        g.addOutput(b.output(0));
        String m = fail(g);
        assertTrue(m.contains("b (Relu)") && m.contains("a_out"), m);
    }

    @Test
    void cycleIsReported() {
        Graph g = new Graph("t");
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 1));
        Node a = g.addNode("Add", "a", List.of(x, x), List.of("a_out"));
        Node b = g.addNode("Relu", "b", List.of(a.output(0)), List.of("b_out"));
        a.setInput(1, b.output(0));
        g.addOutput(b.output(0));
        assertTrue(fail(g).contains("cycle"));
    }

    @Test
    void undefinedOutputAndDuplicateNodeNames() {
        Graph g = GraphTest.chain();
        g.addOutput(g.newValue("ghost", null));
        assertTrue(fail(g).contains("ghost"));

        Graph h = GraphTest.chain();
        h.nodes().get(1).setName("add");
        assertTrue(fail(h).contains("duplicate node name"));
    }

    @Test
    void danglingValueFromAnotherGraph() {
        Graph g = GraphTest.chain();
        Graph other = GraphTest.chain();
        g.nodes().get(1).setInput(0, other.value("s"));
        assertTrue(fail(g).contains("not a value of graph"));
    }
}
