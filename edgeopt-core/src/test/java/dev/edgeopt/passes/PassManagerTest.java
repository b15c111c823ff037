package dev.edgeopt.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PassManagerTest {
    /** y = Relu(Identity(x) + b). */
    private static Graph small() {
        Graph g = new Graph("t");
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 2, 3));
        Value b = g.addInitializer("b", Tensor.of(new float[] {1, -2, 3}, 3));
        g.addInitializer("unused", Tensor.of(new float[] {1}, 1));
        var id = g.addNode("Identity", "id", List.of(x), List.of("xi"));
        var add = g.addNode("Add", "add", List.of(id.output(0), b), List.of("s"));
        var relu = g.addNode("Relu", "relu", List.of(add.output(0)), List.of("y"));
        g.addOutput(relu.output(0));
        ShapeInference.annotate(g, Executor.evaluator());
        return g;
    }

    @Test void logsEachPassAndLeavesTheInputAlone() {
        Graph g = small();
        PassManager.Result r = new PassManager(List.of(new RemoveNoOps(), new EliminateDeadCode())).run(g);
        assertEquals(3, g.nodes().size(), "the input graph is not mutated");
        assertNotSame(g, r.graph());
        assertEquals(2, r.graph().nodes().size());
        PassManager.Step s0 = r.steps().get(0);
        assertEquals("remove-noops", s0.pass());
        assertEquals(3, s0.nodesBefore());
        assertEquals(2, s0.nodesAfter());
        assertEquals("id", s0.changes().get(0).node());
        assertTrue(s0.typesVerified());
        // Rewrites drop values they orphan, and with them any initializer nothing reads.
        assertEquals(null, r.graph().value("unused"));
        assertEquals(0.0, Equivalence.compare(g, r.graph(), 7).maxAbs());
    }

    @Test void aPassThatBreaksTheGraphIsNamed() {
        Pass broken = new Pass() {
            @Override public String name() { return "broken"; }
            @Override public String description() { return "reads a value nothing defines"; }
            @Override public Graph run(Graph g, PassContext ctx) {
                Value ghost = g.newValue("ghost", TensorType.of(DType.FLOAT, 2, 3));
                g.nodes().get(0).setInput(0, ghost);
                return g;
            }
        };
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> new PassManager(List.of(broken)).run(small()));
        assertTrue(e.getMessage().startsWith("after pass broken: "), e.getMessage());
        assertTrue(e.getMessage().contains("ghost"), e.getMessage());
    }

    @Test void aPassThatChangesTypesIsCaught() {
        Pass retype = new Pass() {
            @Override public String name() { return "retype"; }
            @Override public String description() { return "declares a wrong output type"; }
            @Override public Graph run(Graph g, PassContext ctx) {
                g.outputs().get(0).setType(TensorType.of(DType.FLOAT, 3, 2));
                return g;
            }
        };
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> new PassManager(List.of(retype)).run(small()));
        assertTrue(e.getMessage().startsWith("after pass retype: "), e.getMessage());
    }

    @Test void equivalenceSeesADifference() {
        Graph g = small();
        Graph h = g.copy();
        Graph changed = h.copy();
        changed.setConstant(changed.value("b"), Tensor.of(new float[] {1, -2, 3.5f}, 3));
        Map<String, Tensor> in = Map.of("x", Tensor.of(new float[] {0, 0, 0, 1, 1, 1}, 2, 3));
        Equivalence.Report r = Equivalence.compare(g, changed, in);
        assertEquals(0.5, r.maxAbs(), 1e-6);
        assertEquals(0.5 / 4, r.maxRel(), 1e-6);
        assertEquals(0.0, Equivalence.compare(g, h, in).maxAbs());
        // Same seed, same inputs.
        assertTrue(Equivalence.randomInputs(g, 3, 1).get("x").contentEquals(Equivalence.randomInputs(g, 3, 1).get("x")));
    }

    @Test void everyPassLeavesAGraphWithoutItsPatternUnchanged() {
        for (Pass p : Pipelines.all().values()) {
            Graph g = small();
            g.removeNode(g.nodes().get(0));
            g.nodes().get(0).setInput(0, g.inputs().get(0));
            g.removeUnusedValues();
            PassManager.Result r = new PassManager(List.of(p)).run(g);
            assertEquals(g.opHistogram(), r.graph().opHistogram(), p.name());
            assertEquals(0, r.totalChanges(), p.name());
        }
    }

    @Test void pipelinesParse() {
        assertEquals(Pipelines.defaults().passes().size(), Pipelines.parse("default").passes().size());
        assertEquals(List.of("fold-batchnorm", "fuse-activation"),
                Pipelines.parse("fold-batchnorm, fuse-activation").passes().stream().map(Pass::name).toList());
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> Pipelines.parse("fold-batchnorm,nope"));
        assertTrue(e.getMessage().contains("unknown pass 'nope'"), e.getMessage());
        assertEquals(0, Pipelines.engine(Pipelines.Level.NONE).passes().size());
        assertTrue(Pipelines.engine(Pipelines.Level.BASIC).passes().size() < Pipelines.engine(Pipelines.Level.ALL).passes().size());
    }
}
