package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.FloatLoops;
import io.github.visionzoo.zoo.kernels.Kernels;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;

/**
 * {@code relu(a + b)}, the end of a residual block (torchvision's {@code out += identity; out = relu(out)}), as one
 * vertex, a {@link ResidualAdd} (an {@link ElementWiseVertex}, so JSON and tools treat it as one): DL4J's element-wise
 * add followed by an activation layer keeps one more activation array and copies the gradients twice more
 * backward. The backward pass takes its mask from the kept output (a reference into the activations workspace, not
 * a copy) instead of recomputing {@code a + b}. Forward runs on the vertex's kernel where it takes the inputs
 * ({@link Kernels#addRelu}: one oneDNN primitive for float inputs of one layout, NCHW or channels-last); otherwise,
 * and backward, float arrays take one Java pass ({@link FloatLoops}): the sum and its ReLU forward, both inputs'
 * gradients backward; other types take libnd4j's ops (two forward, three backward). The two inputs must have the same
 * shape.
 */
public class AddRelu extends ResidualAdd {
    private static final long serialVersionUID = 1L;

    @Override
    boolean relu() {
        return true;
    }

    @Override
    public AddRelu clone() {
        return new AddRelu();
    }
}
