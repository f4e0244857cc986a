package io.github.visionzoo.zoo.kernels;

import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One 2-D convolution's passes for {@code Conv2d}, {@code [b, inChannels, h, w] -> [b, outChannels, h', w']} with
 * weights {@code [outChannels, inChannels, kH, kW]}, bias (or none) and ReLU (or none) as the kernel was made
 * ({@link Kernels#convolution}). Each pass returns {@code null} where this kernel does not take it; the layer then
 * runs DL4J's code (and its oneDNN helper).
 */
public interface ConvolutionKernel {
    /** Takes no pass: every convolution runs DL4J's code. */
    ConvolutionKernel NONE = new ConvolutionKernel() {
        @Override
        public INDArray forward(INDArray input, INDArray weights, INDArray bias, Window window,
                                LayerWorkspaceMgr mgr) {
            return null;
        }

        @Override
        public INDArray backward(INDArray input, INDArray weights, INDArray delta, INDArray weightGradient,
                                 INDArray biasGradient, boolean inputGradient, LayerWorkspaceMgr mgr) {
            throw new IllegalStateException("backward pass without a forward pass of this kernel");
        }

        @Override
        public INDArray inference(INDArray input, INDArray weights, INDArray bias, Window window,
                                  LayerWorkspaceMgr mgr) {
            return null;
        }

        @Override
        public long keptWeightBytes() {
            return 0;
        }
    };

    /**
     * The training forward pass of float NCHW {@code input} into a new C-order array in the activations workspace,
     * with ReLU applied where the kernel fuses it; {@code bias} is null without one. Null where not taken.
     */
    INDArray forward(INDArray input, INDArray weights, INDArray bias, Window window, LayerWorkspaceMgr mgr);

    /**
     * The backward pass of the last {@link #forward} (same input) for the output gradient {@code delta} (after the
     * activation's derivative): writes the weight and bias gradients into {@code weightGradient} and
     * {@code biasGradient} (null without bias) and returns the input gradient, a new C-order array in the
     * activation-gradient workspace, or null when not {@code inputGradient}.
     */
    INDArray backward(INDArray input, INDArray weights, INDArray delta, INDArray weightGradient,
                      INDArray biasGradient, boolean inputGradient, LayerWorkspaceMgr mgr);

    /**
     * The inference pass of float {@code input} (NCHW, channels-last or any strides) into a new channels-last array
     * ({@link ChannelsLast}) that the next convolution reads in place. Null where not taken.
     */
    INDArray inference(INDArray input, INDArray weights, INDArray bias, Window window, LayerWorkspaceMgr mgr);

    /** The bytes of weights kept between inference passes (transformed for the algorithm), 0 for none. */
    long keptWeightBytes();
}
