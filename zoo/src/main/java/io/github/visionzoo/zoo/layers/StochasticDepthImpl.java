package io.github.visionzoo.zoo.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The running {@link StochasticDepth}: one multiplication each way by the per-example draw {@code [b, 1]} (0 or
 * {@code 1/(1-p)}) over the example's elements {@code [b, rest]}, where the SameDiff definition runs its forward pass
 * twice per training step and broadcasts through several ops. Inference copies the input (the output is an
 * activation of its own, as DL4J's layers give).
 */
final class StochasticDepthImpl extends WrittenOutLayer {
    private static final long serialVersionUID = 1L;

    /** The last training pass's draw, which the backward pass multiplies by; null without one. */
    private INDArray draw;

    StochasticDepthImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    protected void forget() {
        draw = null;
    }

    @Override
    protected INDArray forward(boolean training, LayerWorkspaceMgr mgr) {
        double p = ((StochasticDepth) layerConf()).getP();
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, input.shape(), 'c');
        if (!training || p == 0) {
            draw = null;
            return out.assign(input);
        }
        long b = input.size(0);
        // [b, ...] seen as [b, rest], times the draw [b, 1]
        draw = SelfAttentionPass.dropoutMask(p, dataType, mgr, b, 1);
        out.reshape('c', b, input.length() / b).assign(input.reshape(b, input.length() / b)).muliColumnVector(draw);
        return out;
    }

    @Override
    protected INDArray backward(INDArray epsilon, LayerWorkspaceMgr mgr) {
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
        dx.assign(epsilon);
        if (draw != null) {
            long b = input.size(0);
            dx.reshape('c', b, input.length() / b).muliColumnVector(draw);
        }
        return dx;
    }
}
