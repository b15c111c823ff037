package dev.edgeopt.train;

import dev.edgeopt.tensor.Tensor;

/**
 * One node of a {@link Tape}: a forward computation in training or inference mode, and the
 * backward computation of its gradient rule. Created once per input-shape signature by a
 * {@link GradRule}; all buffers it needs are allocated at creation, so steady-state steps do not
 * allocate.
 */
public abstract class TrainOp {
    /**
     * Computes the outputs. {@code training} selects batch statistics (BatchNormalization) and
     * random masks (Dropout); otherwise the op computes what the inference engine computes.
     */
    public abstract void forward(Tensor[] in, Tensor[] out, boolean training);

    /**
     * Adds this op's contribution to the input gradients. {@code gIn[i]} is null when input i needs
     * no gradient; gradients are accumulated (+=) because a value may feed several nodes. Called
     * only after a training-mode forward over the same tensors.
     */
    public abstract void backward(Tensor[] in, Tensor[] out, Tensor[] gOut, Tensor[] gIn);

    /**
     * Offers this op the first write of input i's gradient buffer in the backward pass: no op that
     * runs before it there adds to that buffer. An op that accepts clears the buffer itself, inside
     * its own parallel tasks and just before adding to it, and the tape stops clearing it serially
     * every step (several MB per step, which did not shrink with threads).
     */
    public boolean acceptFirstWrite(int input) { return false; }

    /** Whether input i carries a gradient (false for shapes, ratios and running statistics). */
    public boolean differentiable(int input) { return true; }
}
