package io.github.visionzoo.zoo.layers;

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

/**
 * DL4J's max-pooling {@link SubsamplingLayer} (same configuration and JSON apart from the class name, same arithmetic)
 * that in inference keeps channels-last activations channels-last ({@link RuntimeLayers#channelsLast}, as
 * {@link Conv2d} writes them): libnd4j's {@code maxpool2d} runs on their NHWC memory, where DL4J's layer would have
 * oneDNN reorder them to NCHW (57 ms for ResNet-34's stem output at batch 16) and the next convolution reorder them
 * back. Training, other pooling types and NCHW input run DL4J's code unchanged.
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

    /** The running layer: DL4J's, with channels-last inference. */
    static final class Impl extends org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer {
        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            SubsamplingLayer c = layerConf();
            INDArray nhwc = training || input == null ? null : RuntimeLayers.nhwcOf(input);
            if (nhwc == null || dataType != DataType.FLOAT || !isMax(c) || c.getCnn2dDataFormat() != CNN2DFormat.NCHW
                    || c.getIDropout() != null) {
                return super.activate(training, workspaceMgr);
            }
            RuntimeLayers.Window window = RuntimeLayers.Window.of(input, c.getKernelSize(), c.getStride(),
                    c.getPadding(), convolutionMode, c.getDilation());
            INDArray out = window.channelsLastOutput(workspaceMgr, dataType, input.size(0), input.size(1));
            // [b, h, w, c] in and out: the last argument 1 means NHWC
            Nd4j.exec(DynamicCustomOp.builder("maxpool2d").addInputs(nhwc).addOutputs(RuntimeLayers.nhwcOf(out))
                    .addIntegerArguments(window.opArguments(0, 1)).build());
            return out;
        }
    }
}
