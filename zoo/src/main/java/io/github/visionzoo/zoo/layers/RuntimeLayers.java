package io.github.visionzoo.zoo.layers;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
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
}
