package io.github.visionzoo.zoo.layers;

import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The running {@link ConvMlp}: {@code fc1}, exact GELU, {@code fc2} on the positions' rows {@code [n, C] -> [n, M] ->
 * [n, C]}, by the same {@link MlpPass} as {@link MlpBlockImpl} and {@link EncoderBlockImpl}, without dropout (timm's
 * DaViT has none in its MLP).
 */
final class ConvMlpImpl extends FeatureMapRowsImpl {
    private static final long serialVersionUID = 1L;

    private final MlpPass mlp;
    private MlpPass.Saved saved;

    ConvMlpImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        mlp = new MlpPass(sums, dataType);
    }

    private static MlpPass.Weights weights(Map<String, INDArray> table) {
        return new MlpPass.Weights(table.get(ConvMlp.FC1_WEIGHT), table.get(ConvMlp.FC1_BIAS),
                table.get(ConvMlp.FC2_WEIGHT), table.get(ConvMlp.FC2_BIAS));
    }

    @Override
    protected void forwardRows(INDArray x, long b, boolean training, ArrayType keep, INDArray out,
                               LayerWorkspaceMgr mgr) {
        MlpPass.Saved s = mlp.forward(x, weights(paramTable), ((ConvMlp) layerConf()).getHiddenDim(), null, null,
                training, out, keep, mgr);
        saved = training ? s : null;
    }

    @Override
    protected void backwardRows(INDArray x, INDArray dOut, long b, INDArray dx, LayerWorkspaceMgr mgr) {
        INDArray ones = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, 1, x.size(0)).assign(1);
        mlp.backward(dOut, saved, weights(paramTable), weights(gradTable), ones, dx, mgr);
    }

    @Override
    protected void forget() {
        saved = null;
    }
}
