package io.github.visionzoo.zoo.kernels;

import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batch normalization's inference pass for {@code BatchNorm}, with ReLU or without as the kernel was made
 * ({@link Kernels#batchNorm}). Null where this kernel does not take the input; the layer then runs its Java passes.
 */
@FunctionalInterface
public interface BatchNormKernel {
    /** Takes no input: every batch norm runs the layer's Java passes. */
    BatchNormKernel NONE = (x, scale, shift, mgr) -> null;

    /**
     * {@code relu?(x * scale + shift)} with per-channel {@code scale} and {@code shift} {@code [c]}, for float
     * {@code x} {@code [b, c, h, w]}, into a new array of {@code x}'s layout (NCHW or channels-last) in the activations
     * workspace, or null.
     */
    INDArray inference(INDArray x, float[] scale, float[] shift, LayerWorkspaceMgr mgr);
}
