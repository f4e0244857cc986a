package io.github.visionzoo.zoo.kernels;

import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The forward pass of {@code AddRelu}, {@code relu(a + b)} ({@link Kernels#addRelu}). Null where this kernel does not
 * take the inputs; the layer then runs its Java pass or libnd4j's ops.
 */
@FunctionalInterface
public interface AddReluKernel {
    /** Takes no input: every residual sum runs the layer's own pass. */
    AddReluKernel NONE = (a, b, dataType, mgr) -> null;

    /**
     * {@code relu(a + b)}, both {@code [b, c, h, w]} of one shape, into a new array of {@code dataType} and
     * {@code a}'s layout (NCHW or channels-last) in the activations workspace, or null.
     */
    INDArray forward(INDArray a, INDArray b, DataType dataType, LayerWorkspaceMgr mgr);
}
