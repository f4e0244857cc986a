package io.github.visionzoo.zoo.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The running {@link LayerNorm} over the channels of an image {@code [b, C, H, W]} (timm's {@code LayerNorm2d}, the
 * DaViT's norms): the image's positions as rows {@code [b*H*W, C]} ({@link FeatureMapRowsImpl}, channels-last in and
 * out), each row normalized by {@link LayerNormPass}, where the SameDiff definition permutes to rows and back and
 * differentiates through broadcast reductions.
 */
final class ImageLayerNormImpl extends FeatureMapRowsImpl {
    private static final long serialVersionUID = 1L;

    private final LayerNormPass norms;
    private LayerNormPass.Norm saved;

    ImageLayerNormImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        norms = new LayerNormPass(sums, dataType);
    }

    @Override
    protected void forwardRows(INDArray x, long b, boolean training, ArrayType keep, INDArray out,
                               LayerWorkspaceMgr mgr) {
        LayerNormPass.Norm norm = norms.forward(x, getParam(LayerNorm.WEIGHT), getParam(LayerNorm.BIAS),
                ((LayerNorm) layerConf()).getEps(), training, keep, out, mgr);
        saved = training ? norm : null;
    }

    @Override
    protected void backwardRows(INDArray x, INDArray dOut, long b, INDArray dx, LayerWorkspaceMgr mgr) {
        ArrayType work = ArrayType.BP_WORKING_MEM;
        INDArray ones = mgr.createUninitialized(work, dataType, 1, dOut.size(0)).assign(1);
        // the pass adds the input's gradient to what dx holds
        norms.backward(dOut, saved, getParam(LayerNorm.WEIGHT), grad(LayerNorm.WEIGHT), grad(LayerNorm.BIAS), ones,
                dx.assign(0), mgr);
    }

    @Override
    protected void forget() {
        saved = null;
    }
}
