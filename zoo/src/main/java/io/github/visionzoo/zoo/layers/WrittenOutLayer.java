package io.github.visionzoo.zoo.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The running layer of a SameDiff layer configuration whose forward and backward passes are written out instead of
 * run in SameDiff, which runs the forward pass again inside backprop and allocates every intermediate afresh at each
 * step. It extends DL4J's running SameDiff layer for its parameter and gradient views (the configuration's
 * {@code SDLayerParams}, so parameter names, the flattened order and checkpoints stay those of the SameDiff layer)
 * and never builds the SameDiff graph; its configuration's definition stays the reference that tests hold it to.
 *
 * <p>What is common to every such layer lives here: a backward pass without the training forward pass on the same
 * input runs that pass first; the gradients are handed out as the parameters' gradient views; what the training pass
 * kept is dropped once backprop has used it, and when the layer is cleared.
 */
abstract class WrittenOutLayer extends SameDiffLayer {
    private static final long serialVersionUID = 1L;

    /** The input of the last training forward pass, until backprop has used it. */
    private INDArray trainedOn;

    WrittenOutLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /**
     * The forward pass on {@link #input}; in training, what the backward pass needs is kept (in DL4J's activations
     * workspace).
     */
    protected abstract INDArray forward(boolean training, LayerWorkspaceMgr mgr);

    /**
     * The backward pass after the training forward pass on the same input: the parameter gradients into their views
     * ({@link #gradTable}), and the input's gradient returned.
     */
    protected abstract INDArray backward(INDArray epsilon, LayerWorkspaceMgr mgr);

    /** Drops what the last training forward pass kept. */
    protected abstract void forget();

    @Override
    public void clear() {
        super.clear();
        trainedOn = null;
        forget();
    }

    @Override
    public final INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        INDArray out = forward(training, mgr);
        trainedOn = training ? input : null;
        return out;
    }

    @Override
    public final Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        if (trainedOn != input) {
            activate(true, mgr);
        }
        INDArray dx = backward(epsilon, mgr);
        Gradient g = new DefaultGradient(gradients);
        for (String key : paramTable.keySet()) {
            g.setGradientFor(key, gradTable.get(key));
        }
        trainedOn = null;
        forget();
        return new Pair<>(g, dx);
    }
}
