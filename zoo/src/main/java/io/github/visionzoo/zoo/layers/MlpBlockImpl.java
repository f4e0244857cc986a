package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.Kernels;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The running {@link MlpBlock}: forward and backward written out ({@link MlpPass}) on the tokens as one
 * {@code [b*T, D]} matrix, where the SameDiff definition runs the forward pass twice per training step. Dropout as the
 * SameDiff layer's sites {@code 2} and {@code 4}: fresh inverted-dropout masks per training pass, kept for its
 * backward pass. Parameters are the SameDiff layer's views, so configurations and checkpoints are unchanged.
 */
final class MlpBlockImpl extends WrittenOutLayer {
    private static final long serialVersionUID = 1L;

    private final MlpPass mlp;
    private MlpPass.Saved saved;

    MlpBlockImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        mlp = new MlpPass(Kernels.matrixSums(), dataType);
    }

    @Override
    protected void forget() {
        saved = null;
    }

    private MlpPass.Weights weights(java.util.Map<String, INDArray> table) {
        return new MlpPass.Weights(table.get(MlpBlock.W0), table.get(MlpBlock.B0), table.get(MlpBlock.W3),
                table.get(MlpBlock.B3));
    }

    @Override
    protected INDArray forward(boolean training, LayerWorkspaceMgr mgr) {
        MlpBlock c = (MlpBlock) layerConf();
        long d = c.getHiddenDim();
        long n = input.length() / d;
        ArrayType keep = training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM;
        INDArray x = RuntimeLayers.contiguous(input, dataType, keep, mgr).reshape('c', n, d);
        INDArray mask2 = training ? SelfAttentionPass.dropoutMask(c.getDropout(), dataType, mgr, n, c.getMlpDim())
                : null;
        INDArray mask4 = training ? SelfAttentionPass.dropoutMask(c.getDropout(), dataType, mgr, n, d) : null;
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, input.shape(), 'c');
        MlpPass.Saved s = mlp.forward(x, weights(paramTable), c.getMlpDim(), mask2, mask4, training,
                out.reshape('c', n, d), keep, mgr);
        saved = training ? s : null;
        return out;
    }

    @Override
    protected INDArray backward(INDArray epsilon, LayerWorkspaceMgr mgr) {
        long d = ((MlpBlock) layerConf()).getHiddenDim();
        long n = input.length() / d;
        ArrayType work = ArrayType.BP_WORKING_MEM;
        INDArray dOut = RuntimeLayers.contiguous(epsilon, dataType, work, mgr).reshape('c', n, d);
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
        INDArray ones = mgr.createUninitialized(work, dataType, 1, n).assign(1);
        mlp.backward(dOut, saved, weights(paramTable), weights(gradTable), ones, dx.reshape('c', n, d), mgr);
        return dx;
    }
}
