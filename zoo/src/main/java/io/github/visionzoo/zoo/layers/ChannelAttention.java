package io.github.visionzoo.zoo.layers;

import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DaViT's channel group attention (Ding et al. 2022, arXiv:2204.03645, section 3.2), timm's {@code ChannelAttention}
 * on the normalized image {@code [b, C, H, W] -> [b, C, H, W]}: the channels are split into {@code numHeads} groups
 * of {@code d = C / numHeads}, and within each group every channel attends to every other over all {@code N = H*W}
 * positions, so the attention map is {@code [d, d]} per group and the cost is linear in {@code N}.
 *
 * <p>As timm computes it (the names of q, k and v as timm's, whose roles differ from the paper's formula):
 * {@code A = softmax((k / sqrt(d))^T v)} over the last axis, {@code [b, h, d, d]}; the output is
 * {@code (A q^T)^T}, {@code [b, h, N, d]}, with the groups joined back into {@code C} channels and then {@code proj}.
 * Parameters: {@link QkvAttention}.
 */
public class ChannelAttention extends QkvAttention {
    private static final long serialVersionUID = 1L;

    /** For JSON. */
    public ChannelAttention() {
    }

    /** @param numHeads channel groups; they must divide the channels */
    public ChannelAttention(int numHeads) {
        super(numHeads);
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        long c = getChannels();
        long n = getHeight() * getWidth();
        long heads = getNumHeads();
        long d = c / heads;
        // [b*N, 3C] -> [b, N, 3, h, d] -> [3, b, h, N, d]
        SDVariable qkv = TransformerOps.linear(sd, TransformerOps.imageToRows(input, c), params.get(QKV_WEIGHT),
                params.get(QKV_BIAS)).reshape(-1, n, 3, heads, d).permute(2, 0, 3, 1, 4);
        SDVariable[] parts = sd.unstack(qkv, 0, 3);
        SDVariable k = parts[1].mul(1.0 / Math.sqrt(d));
        // [b, h, d, N] x [b, h, N, d] -> [b, h, d, d]
        SDVariable attention = sd.nn.softmax(sd.mmul(k, parts[2], true, false, false), 3);
        // [b, h, d, d] x [b, h, d, N] -> [b, h, d, N] -> [b, N, h, d] -> [b*N, C]
        SDVariable context = sd.mmul(attention, parts[0], false, true, false).permute(0, 3, 1, 2).reshape(-1, c);
        SDVariable out = TransformerOps.linear(sd, context, params.get(PROJ_WEIGHT), params.get(PROJ_BIAS));
        return TransformerOps.rowsToImage(out, c, getHeight(), getWidth());
    }

    /** Runs the passes written out ({@link ChannelAttentionImpl}); {@link #defineLayer} is the same computation in SameDiff. */
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new ChannelAttentionImpl(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }
}
