package io.github.visionzoo.zoo.layers;

import java.util.Collection;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * timm's {@code Mlp} (without dropout) applied at every position of an image {@code [b, C, H, W] -> [b, C, H, W]},
 * as DaViT's blocks apply it to their tokens: {@code fc1} ({@code nn.Linear(C, M)}), exact GELU, {@code fc2}
 * ({@code nn.Linear(M, C)}).
 *
 * <p>Parameters in PyTorch's layout and names: {@code fc1.weight [M, C]}, {@code fc1.bias [M]},
 * {@code fc2.weight [C, M]}, {@code fc2.bias [C]}; initialized as timm's DaViT, weights N(0, 0.02), biases 0.
 */
public class ConvMlp extends FeatureMapLayer {
    private static final long serialVersionUID = 1L;

    public static final String FC1_WEIGHT = "fc1.weight";
    public static final String FC1_BIAS = "fc1.bias";
    public static final String FC2_WEIGHT = "fc2.weight";
    public static final String FC2_BIAS = "fc2.bias";

    private int hiddenDim;

    /** For JSON. */
    public ConvMlp() {
    }

    /** @param hiddenDim the hidden width {@code M}, {@code int(C * mlp_ratio)} in timm */
    public ConvMlp(int hiddenDim) {
        if (hiddenDim < 1) {
            throw new IllegalArgumentException("ConvMlp.hiddenDim must be >= 1, was " + hiddenDim);
        }
        this.hiddenDim = hiddenDim;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        long c = getChannels();
        // [b*H*W, C] -> [b*H*W, M] -> [b*H*W, C]
        SDVariable y = TransformerOps.mlp(sd, TransformerOps.imageToRows(input, c), params.get(FC1_WEIGHT),
                params.get(FC1_BIAS), params.get(FC2_WEIGHT), params.get(FC2_BIAS), UnaryOperator.identity(),
                UnaryOperator.identity());
        return TransformerOps.rowsToImage(y, c, getHeight(), getWidth());
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        long c = getChannels();
        params.addWeightParam(FC1_WEIGHT, hiddenDim, c);
        params.addWeightParam(FC2_WEIGHT, c, hiddenDim);
        params.addBiasParam(FC1_BIAS, hiddenDim);
        params.addBiasParam(FC2_BIAS, c);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        QkvAttention.initializeLinear(params.get(FC1_WEIGHT), params.get(FC1_BIAS));
        QkvAttention.initializeLinear(params.get(FC2_WEIGHT), params.get(FC2_BIAS));
    }

    public int getHiddenDim() {
        return hiddenDim;
    }

    public void setHiddenDim(int hiddenDim) {
        this.hiddenDim = hiddenDim;
    }

    /** Runs the passes written out ({@link ConvMlpImpl}); {@link #defineLayer} is the same computation in SameDiff. */
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new ConvMlpImpl(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }
}
