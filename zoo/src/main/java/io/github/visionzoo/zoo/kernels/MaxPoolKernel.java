package io.github.visionzoo.zoo.kernels;

import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Max pooling's training passes for {@code MaxPool2d} ({@link Kernels#maxPool}). The forward pass returns null where
 * this kernel does not take the input; the layer then runs DL4J's code for both passes.
 */
public interface MaxPoolKernel {
    /** Takes no input: max pooling trains on DL4J's code. */
    MaxPoolKernel NONE = new MaxPoolKernel() {
        @Override
        public INDArray forward(INDArray input, Window window, LayerWorkspaceMgr mgr) {
            return null;
        }

        @Override
        public INDArray backward(INDArray input, Window window, INDArray epsilon, LayerWorkspaceMgr mgr) {
            throw new IllegalStateException("backward pass without a forward pass of this kernel");
        }

        @Override
        public void forget() {
        }
    };

    /** The training forward pass, {@code [b, c, h, w] -> [b, c, h', w']}, a new C-order array in the activations. */
    INDArray forward(INDArray input, Window window, LayerWorkspaceMgr mgr);

    /**
     * The input gradient for the output gradient {@code epsilon} of a {@link #forward} of {@code input} that this
     * kernel took, a new C-order array in the activation-gradient workspace.
     */
    INDArray backward(INDArray input, Window window, INDArray epsilon, LayerWorkspaceMgr mgr);

    /** Forgets what the last forward pass kept for its backward pass (the layer's input was cleared). */
    void forget();
}
