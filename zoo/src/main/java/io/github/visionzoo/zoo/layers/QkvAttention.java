package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.init.TorchInit;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The parameters and settings that DaViT's two attentions share ({@link WindowAttention}, {@link ChannelAttention}):
 * timm's {@code qkv} ({@code nn.Linear(C, 3C)}: query, key and value rows stacked, each split into {@code numHeads}
 * heads of {@code C / numHeads}) and {@code proj} ({@code nn.Linear(C, C)}), on an image {@code [b, C, H, W]} whose
 * positions are the tokens.
 *
 * <p>Parameters in PyTorch's layout and names: {@code qkv.weight [3C, C]}, {@code qkv.bias [3C]},
 * {@code proj.weight [C, C]}, {@code proj.bias [C]}; initialized as timm's DaViT initializes every {@code nn.Linear}:
 * weights truncated normal with std 0.02 (cut at +-2, a hundred standard deviations out, so a plain normal), biases 0.
 */
public abstract class QkvAttention extends FeatureMapLayer {
    private static final long serialVersionUID = 1L;

    public static final String QKV_WEIGHT = "qkv.weight";
    public static final String QKV_BIAS = "qkv.bias";
    public static final String PROJ_WEIGHT = "proj.weight";
    public static final String PROJ_BIAS = "proj.bias";

    private int numHeads;

    /** For JSON. */
    protected QkvAttention() {
    }

    protected QkvAttention(int numHeads) {
        if (numHeads < 1) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".numHeads must be >= 1, was " + numHeads);
        }
        this.numHeads = numHeads;
    }

    @Override
    protected void checkChannels(long channels) {
        if (channels % numHeads != 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " '" + getLayerName() + "': numHeads "
                    + numHeads + " does not divide the " + channels + " channels");
        }
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        long c = getChannels();
        params.addWeightParam(QKV_WEIGHT, 3 * c, c);
        params.addWeightParam(PROJ_WEIGHT, c, c);
        params.addBiasParam(QKV_BIAS, 3 * c);
        params.addBiasParam(PROJ_BIAS, c);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        initializeLinear(params.get(QKV_WEIGHT), params.get(QKV_BIAS));
        initializeLinear(params.get(PROJ_WEIGHT), params.get(PROJ_BIAS));
    }

    /** timm's DaViT {@code _init_weights} of an {@code nn.Linear}: N(0, 0.02) weight, zero bias. */
    static void initializeLinear(INDArray weight, INDArray bias) {
        TorchInit.normal(0.02).fill(weight, weight.size(1), weight.size(0));
        bias.assign(0);
    }

    public int getNumHeads() {
        return numHeads;
    }

    public void setNumHeads(int numHeads) {
        this.numHeads = numHeads;
    }
}
