package io.github.visionzoo.zoo.layers;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/** What the custom layers' running layers share: their wiring, when an output serves backprop, contiguous input. */
final class RuntimeLayers {
    private RuntimeLayers() {
    }

    /**
     * Gives a new running layer its listeners, index, parameter views (initialized when {@code initializeParams}) and
     * configuration, as DL4J's own layers do in {@code instantiate}; returns it.
     */
    static <L extends Layer> L wire(L layer, NeuralNetConfiguration conf, Collection<TrainingListener> listeners,
                                    int layerIndex, INDArray paramsView, boolean initializeParams) {
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(paramsView);
        layer.setParamTable(conf.getLayer().initializer().init(conf, paramsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }

    /**
     * Identity or ReLU without threshold, slope or cap: the activations whose output can stand in for the
     * pre-activation in the backward pass (identity's backward pass never reads it; ReLU's derivative is 1 exactly
     * where the output is positive), and the ones {@link BatchNorm} fuses.
     */
    static boolean identityOrPlainRelu(IActivation a) {
        return a instanceof ActivationIdentity || a instanceof ActivationReLU r && r.getMax() == null
                && (r.getThreshold() == null || r.getThreshold() == 0.0)
                && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0.0);
    }

    /**
     * {@code a} in the layer's data type with C-order default strides: itself where it already is, else a copy in
     * workspace {@code type}; the layers that write their passes out work on such arrays.
     */
    static INDArray contiguous(INDArray a, DataType dataType, ArrayType type, LayerWorkspaceMgr mgr) {
        INDArray cast = a.castTo(dataType);
        return Shape.hasDefaultStridesForShape(cast) ? cast : mgr.dup(type, cast, 'c');
    }

    /**
     * The {@code [b, h, w, c]} array behind a channels-last activation: an NCHW-shaped {@code [b, c, h, w]} view whose
     * memory is laid out as NHWC, as {@link #channelsLast} makes them (PyTorch's {@code channels_last} memory format);
     * null for any other array. The view itself is what the layers pass along: DL4J and ND4J see an NCHW array with
     * unusual strides, and every op reads it correctly.
     */
    static INDArray nhwcOf(INDArray a) {
        if (a.rank() != 4 || a.dataType() != DataType.FLOAT) {
            return null;
        }
        INDArray nhwc = a.permute(0, 2, 3, 1);
        return FloatLoops.takes(nhwc) ? nhwc : null;
    }

    /**
     * A new channels-last activation {@code [b, c, h, w]} (see {@link #nhwcOf}) in workspace {@code type}. oneDNN's
     * convolutions on this machine run on NHWC ({@code brgconv}); given NCHW arrays, libnd4j reorders each input, the
     * (uninitialized) output and the result, which channels-last arrays spare it.
     */
    static INDArray channelsLast(LayerWorkspaceMgr mgr, ArrayType type, DataType dataType, long b, long c, long h,
                                 long w) {
        return mgr.createUninitialized(type, dataType, new long[] {b, h, w, c}, 'c').permute(0, 3, 1, 2);
    }

    /**
     * A 2-D window (convolution or pooling) over an NCHW input as DL4J's layers compute it: output size {@code [h, w]}
     * and top-left padding (with {@link ConvolutionMode#Same}, the padding follows from the output size).
     */
    record Window(int[] kernel, int[] strides, int[] padding, int[] dilation, int[] outSize, boolean same) {
        static Window of(INDArray input, int[] kernel, int[] strides, int[] padding, ConvolutionMode mode,
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
        int[] opArguments(int... more) {
            int[] args = {kernel[0], kernel[1], strides[0], strides[1], padding[0], padding[1], dilation[0],
                    dilation[1], same ? 1 : 0};
            int[] all = java.util.Arrays.copyOf(args, args.length + more.length);
            System.arraycopy(more, 0, all, args.length, more.length);
            return all;
        }

        /** A new channels-last output {@code [batch, channels, h, w]} in the activations workspace. */
        INDArray channelsLastOutput(LayerWorkspaceMgr mgr, DataType dataType, long batch, long channels) {
            return channelsLast(mgr, ArrayType.ACTIVATIONS, dataType, batch, channels, outSize[0], outSize[1]);
        }
    }
}

