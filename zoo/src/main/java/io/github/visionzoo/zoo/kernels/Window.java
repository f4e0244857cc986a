package io.github.visionzoo.zoo.kernels;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A 2-D window (convolution or pooling) over an NCHW input as DL4J's layers compute it: output size {@code [h, w]}
 * and top-left padding (with {@link ConvolutionMode#Same}, the padding follows from the output size).
 */
public record Window(int[] kernel, int[] strides, int[] padding, int[] dilation, int[] outSize, boolean same) {
    /** The window of a layer with these settings over {@code input}. */
    public static Window of(INDArray input, int[] kernel, int[] strides, int[] padding, ConvolutionMode mode,
                            int[] dilation) {
        if (mode == ConvolutionMode.Same) {
            int[] outSize = ConvolutionUtils.getOutputSize(input, kernel, strides, null, mode, dilation,
                    CNN2DFormat.NCHW);
            int[] pad = ConvolutionUtils.getSameModeTopLeftPadding(outSize,
                    new int[] {(int) input.size(2), (int) input.size(3)}, kernel, strides, dilation);
            return new Window(kernel, strides, pad, dilation, outSize, true);
        }
        return new Window(kernel, strides, padding, dilation,
                ConvolutionUtils.getOutputSize(input, kernel, strides, padding, mode, dilation, CNN2DFormat.NCHW),
                false);
    }

    /** The window's nine integer arguments to libnd4j's {@code conv2d} and {@code maxpool2d}, then {@code more}. */
    public int[] opArguments(int... more) {
        int[] args = {kernel[0], kernel[1], strides[0], strides[1], padding[0], padding[1], dilation[0],
                dilation[1], same ? 1 : 0};
        int[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }

    /** A new channels-last output {@code [batch, channels, h', w']} in the activations workspace. */
    public INDArray channelsLastOutput(LayerWorkspaceMgr mgr, DataType dataType, long batch, long channels) {
        return ChannelsLast.create(mgr, ArrayType.ACTIVATIONS, dataType, batch, channels, outSize[0], outSize[1]);
    }
}
