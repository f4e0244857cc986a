package io.github.visionzoo.zoo.layers;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What every custom layer's {@code instantiate} does with its running layer, in one place. */
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
}
