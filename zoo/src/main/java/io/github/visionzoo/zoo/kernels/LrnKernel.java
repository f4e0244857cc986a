package io.github.visionzoo.zoo.kernels;

import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Local response normalization across channels for {@code LocalResponseNorm} ({@link Kernels#lrn}): inference and
 * training passes. Each pass returns null where this kernel does not take the input; the layer then runs its own
 * passes.
 */
public interface LrnKernel {
    /** Takes no input: the layer runs its own passes. */
    LrnKernel NONE = new LrnKernel() {
        @Override
        public INDArray inference(INDArray x, LayerWorkspaceMgr mgr) {
            return null;
        }

        @Override
        public INDArray forward(INDArray x, LayerWorkspaceMgr mgr) {
            return null;
        }

        @Override
        public INDArray backward(INDArray x, INDArray epsilon, LayerWorkspaceMgr mgr) {
            throw new IllegalStateException("backward pass without a forward pass of this kernel");
        }

        @Override
        public void forget() {
        }
    };

    /** The inference pass of {@code [b, c, h, w]} {@code x}, into a new array of its layout in the activations. */
    INDArray inference(INDArray x, LayerWorkspaceMgr mgr);

    /** The training forward pass of {@code x}, a new C-order array in the activations. */
    INDArray forward(INDArray x, LayerWorkspaceMgr mgr);

    /**
     * The input gradient for the output gradient {@code epsilon} of a {@link #forward} of {@code x} that this kernel
     * took, a new C-order array in the activation-gradient workspace.
     */
    INDArray backward(INDArray x, INDArray epsilon, LayerWorkspaceMgr mgr);

    /** Forgets what the last forward pass kept for its backward pass (the layer's input was cleared). */
    void forget();
}
