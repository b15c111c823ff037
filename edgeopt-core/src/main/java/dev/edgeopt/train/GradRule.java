package dev.edgeopt.train;

/**
 * The gradient rule of one op, keyed by the op's name like its schema and kernel: it validates the
 * node, fixes output shapes and returns a {@link TrainOp} that runs forward and backward.
 */
@FunctionalInterface
public interface GradRule {
    TrainOp create(TrainContext ctx);
}
