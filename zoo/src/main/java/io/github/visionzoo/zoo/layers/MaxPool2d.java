package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.MaxPoolKernel;
import io.github.visionzoo.zoo.kernels.Window;
import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.common.primitives.Pair;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;

/**
 * DL4J's max-pooling {@link SubsamplingLayer} (same configuration and JSON apart from the class name, same arithmetic)
 * that in inference keeps channels-last activations channels-last ({@link ChannelsLast}, as {@link Conv2d} writes
 * them): libnd4j's {@code maxpool2d} runs on their NHWC memory, where DL4J's layer would have oneDNN reorder them to
 * NCHW and the next convolution reorder them back. Training runs on the layer's max-pooling kernel where it takes the
 * input ({@link Kernels#maxPool}: oneDNN called directly, which keeps where the maxima were for the backward pass
 * instead of running the forward pass again in it). Other pooling types, dropout, dilated windows and inputs that
 * neither path takes run DL4J's code unchanged.
 */
public class MaxPool2d extends SubsamplingLayer {
    private static final long serialVersionUID = 1L;

    /** For JSON. */
    public MaxPool2d() {
    }

    /** The max pooling that {@code builder} describes ({@code builder.build()} runs first, for DL4J's checks). */
    public MaxPool2d(SubsamplingLayer.Builder builder) {
        super(validated(builder));
    }

    private static SubsamplingLayer.Builder validated(SubsamplingLayer.Builder builder) {
        SubsamplingLayer built = builder.build();
        if (!isMax(built)) {
            throw new IllegalArgumentException("MaxPool2d pools by MAX, got " + built.getPoolingType()
                    + "; use DL4J's SubsamplingLayer for other pooling types");
        }
        return builder;
    }

    /** Whether {@code layer} pools by maximum (here a bare {@code PoolingType} names DL4J's nested enum). */
    private static boolean isMax(SubsamplingLayer layer) {
        return layer.getPoolingType() == org.deeplearning4j.nn.conf.layers.PoolingType.MAX;
    }

    @Override
    public MaxPool2d clone() {
        return (MaxPool2d) super.clone();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new Impl(conf, networkDataType), conf, trainingListeners, layerIndex, layerParamsView,
                initializeParams);
    }

    /** The running layer: DL4J's, with channels-last inference and its kernel's training passes. */
    static final class Impl extends org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer {
        private final MaxPoolKernel kernel = Kernels.maxPool();
        /** The input of the last training pass run by {@link #kernel}, whose backward pass it then runs. */
        private INDArray pooledInput;
        private boolean backpropOnKernel;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** The window over {@code input}, or null where this layer's own passes do not take it (DL4J's code runs). */
        private Window window(INDArray input) {
            SubsamplingLayer c = layerConf();
            if (input == null || !isMax(c) || c.getCnn2dDataFormat() != CNN2DFormat.NCHW || c.getIDropout() != null) {
                return null;
            }
            return Window.of(input, c.getKernelSize(), c.getStride(), c.getPadding(), convolutionMode,
                    c.getDilation());
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            Window window = pooledInput == input ? window(input) : null;
            backpropOnKernel = window != null;
            if (window == null) {
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            // [b, c, h', w'] -> [b, c, h, w]; no parameters, so an empty gradient
            return new Pair<>(new DefaultGradient(), kernel.backward(input, window, epsilon, workspaceMgr));
        }

        /** Whether the last backward pass ran on the kernel. */
        boolean ranOnKernel() {
            return backpropOnKernel;
        }

        @Override
        public void clear() {
            super.clear();
            pooledInput = null;
            kernel.forget();
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            if (training) {
                assertInputSet(false);
                Window window = window(input);
                INDArray out = window == null ? null : kernel.forward(input, window, workspaceMgr);
                pooledInput = out == null ? null : input;
                return out != null ? out : super.activate(true, workspaceMgr);
            }
            INDArray nhwc = input == null ? null : ChannelsLast.nhwcOf(input);
            Window window = nhwc == null || dataType != DataType.FLOAT ? null : window(input);
            if (window == null) {
                return super.activate(false, workspaceMgr);
            }
            INDArray out = window.channelsLastOutput(workspaceMgr, dataType, input.size(0), input.size(1));
            // [b, h, w, c] in and out: the last argument 1 means NHWC
            Nd4j.exec(DynamicCustomOp.builder("maxpool2d").addInputs(nhwc).addOutputs(ChannelsLast.nhwcOf(out))
                    .addIntegerArguments(window.opArguments(0, 1)).build());
            return out;
        }
    }
}
