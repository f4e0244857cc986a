package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.Kernels;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The running {@link LayerNorm} on tokens {@code [b, T, D]} or features {@code [b, D]}: forward and backward written
 * out ({@link LayerNormPass}), where the SameDiff definition runs the forward pass twice per training step and
 * differentiates the mean and variance through slow broadcast reductions. The training forward pass keeps the
 * normalized input and the inverse deviations. Parameters are the SameDiff layer's views, so configurations and
 * checkpoints are unchanged.
 */
final class LayerNormImpl extends WrittenOutLayer {
    private static final long serialVersionUID = 1L;

    private final LayerNormPass norms;
    private LayerNormPass.Norm saved;

    LayerNormImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        norms = new LayerNormPass(Kernels.matrixSums(), dataType);
    }

    @Override
    protected void forget() {
        saved = null;
    }

    @Override
    protected INDArray forward(boolean training, LayerWorkspaceMgr mgr) {
        LayerNorm c = (LayerNorm) layerConf();
        long d = c.getSize();
        INDArray x = RuntimeLayers.contiguous(input, dataType, ArrayType.FF_WORKING_MEM, mgr)
                .reshape('c', input.length() / d, d);
        LayerNormPass.Norm norm = norms.forward(x, paramTable.get(LayerNorm.WEIGHT), paramTable.get(LayerNorm.BIAS),
                c.getEps(), training, ArrayType.ACTIVATIONS, mgr);
        saved = training ? norm : null;
        return norm.out().reshape('c', input.shape());
    }

    @Override
    protected INDArray backward(INDArray epsilon, LayerWorkspaceMgr mgr) {
        long d = ((LayerNorm) layerConf()).getSize();
        long n = input.length() / d;
        ArrayType work = ArrayType.BP_WORKING_MEM;
        INDArray dOut = RuntimeLayers.contiguous(epsilon, dataType, work, mgr).reshape('c', n, d);
        INDArray dx = mgr.create(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
        INDArray ones = mgr.createUninitialized(work, dataType, 1, n).assign(1);
        norms.backward(dOut, saved, paramTable.get(LayerNorm.WEIGHT), gradTable.get(LayerNorm.WEIGHT),
                gradTable.get(LayerNorm.BIAS), ones, dx.reshape('c', n, d), mgr);
        return dx;
    }
}
