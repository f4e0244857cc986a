package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.GaussianCdf;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The running {@link ConvMlp}: {@code fc1}, exact GELU, {@code fc2} on the positions' rows {@code [n, C] -> [n, M] ->
 * [n, C]}, as {@link EncoderBlockImpl}'s MLP. Training keeps the pre-activation {@code u} and its gate {@code Phi(u)};
 * the backward pass recomputes {@code u Phi(u)} (one multiplication).
 */
final class ConvMlpImpl extends FeatureMapRowsImpl {
    private static final long serialVersionUID = 1L;

    private INDArray u;
    private INDArray phi;

    ConvMlpImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    protected void forward(INDArray x, long b, boolean training, ArrayType keep, INDArray out, LayerWorkspaceMgr mgr) {
        long n = x.size(0);
        long m = ((ConvMlp) config()).getHiddenDim();
        INDArray pre = linear(x, ConvMlp.FC1_WEIGHT, ConvMlp.FC1_BIAS, mgr.createUninitialized(keep, dataType, n, m));
        // training keeps u and Phi(u); inference overwrites u with u Phi(u)
        INDArray gate = training ? mgr.createUninitialized(keep, dataType, n, m) : null;
        INDArray a = training ? mgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, n, m) : pre;
        GaussianCdf.gelu(pre, gate, a);
        linear(a, ConvMlp.FC2_WEIGHT, ConvMlp.FC2_BIAS, out);
        u = training ? pre : null;
        phi = gate;
    }

    @Override
    protected void backward(INDArray x, INDArray dOut, long b, INDArray dx, LayerWorkspaceMgr mgr) {
        ArrayType work = ArrayType.BP_WORKING_MEM;
        long n = x.size(0);
        long m = u.size(1);
        INDArray ones = mgr.createUninitialized(work, dataType, 1, n).assign(1);
        INDArray a = mgr.createUninitialized(work, dataType, n, m);
        Nd4j.exec(new MulOp(u, phi, a));
        INDArray du = mgr.createUninitialized(work, dataType, n, m);
        linearBackward(a, dOut, ConvMlp.FC2_WEIGHT, ConvMlp.FC2_BIAS, ones, du);
        GaussianCdf.timesGeluDerivative(du, u, phi, a); // a is free again
        linearBackward(x, du, ConvMlp.FC1_WEIGHT, ConvMlp.FC1_BIAS, ones, dx);
    }

    @Override
    protected void forget() {
        u = null;
        phi = null;
    }
}
