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
     * (uninitialized) output and the result: 30 against 19 ms for a 64-channel 3x3 convolution at 56x56, batch 16.
     */
    static INDArray channelsLast(LayerWorkspaceMgr mgr, ArrayType type, DataType dataType, long b, long c, long h,
                                 long w) {
        return mgr.createUninitialized(type, dataType, new long[] {b, h, w, c}, 'c').permute(0, 3, 1, 2);
    }

    /**
     * Output size {@code [h, w]} and top-left padding of a 2-D window (convolution or pooling) over NCHW
     * {@code input}, as DL4J's layers compute them: with {@link ConvolutionMode#Same}, the padding follows from the
     * output size. Returns {@code {outSize, padding}}.
     */
    static int[][] windowOutput(INDArray input, int[] kernel, int[] strides, int[] padding, ConvolutionMode mode,
                                int[] dilation) {
        if (mode == ConvolutionMode.Same) {
            int[] outSize = ConvolutionUtils.getOutputSize(input, kernel, strides, null, mode, dilation,
                    CNN2DFormat.NCHW);
            return new int[][] {outSize, ConvolutionUtils.getSameModeTopLeftPadding(outSize,
                    new int[] {(int) input.size(2), (int) input.size(3)}, kernel, strides, dilation)};
        }
        return new int[][] {ConvolutionUtils.getOutputSize(input, kernel, strides, padding, mode, dilation,
                CNN2DFormat.NCHW), padding};
    }
}

