package io.github.visionzoo.zoo.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The running {@link StochasticDepth}: one multiplication each way by the per-example draw {@code [b, 1]} (0 or
 * {@code 1/(1-p)}) over the example's elements {@code [b, rest]}, where the SameDiff definition runs its forward pass
 * twice per training step and broadcasts through several ops. Inference copies the input (the output is an
 * activation of its own, as DL4J's layers give).
 */
final class StochasticDepthImpl extends SameDiffLayer {
    private static final long serialVersionUID = 1L;

    /** The last training pass's draw and the input it was drawn for, which the backward pass multiplies by. */
    private INDArray draw;
    private INDArray drawnFor;

    StochasticDepthImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public void clear() {
        super.clear();
        draw = null;
        drawnFor = null;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        double p = ((StochasticDepth) layerConf()).getP();
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, input.shape(), 'c');
        if (!training || p == 0) {
            draw = null;
            drawnFor = null;
            return out.assign(input);
        }
        long b = input.size(0);
        // [b, ...] seen as [b, rest], times the draw [b, 1]
        draw = SelfAttentionPass.dropoutMask(p, dataType, mgr, b, 1);
        drawnFor = input;
        out.reshape('c', b, input.length() / b).assign(input.reshape(b, input.length() / b)).muliColumnVector(draw);
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        if (((StochasticDepth) layerConf()).getP() != 0 && (draw == null || drawnFor != input)) {
            activate(true, mgr); // backprop without the training forward pass that it needs
        }
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
        dx.assign(epsilon);
        if (draw != null) {
            long b = input.size(0);
            dx.reshape('c', b, input.length() / b).muliColumnVector(draw);
        }
        draw = null;
        drawnFor = null;
        return new Pair<>(new DefaultGradient(), dx);
    }
}
