package io.github.visionzoo.zoo.layers;

import java.util.Collection;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DaViT's spatial window attention (Ding et al. 2022, arXiv:2204.03645, section 3.1), timm's {@code WindowAttention}
 * as {@code SpatialBlock} applies it to the normalized image {@code [b, C, H, W] -> [b, C, H, W]}:
 *
 * <ol>
 *   <li>the positions are padded with zeros at the bottom and right to whole windows, {@code Hp x Wp}, and cut into
 *   {@code (Hp/w)(Wp/w)} non-overlapping windows of {@code w x w} tokens;</li>
 *   <li>in each window, multi-head self-attention {@code softmax(q k^T / sqrt(C/h)) v} over its {@code w*w} tokens
 *   (no position bias: DaViT's position encoding is {@link ConvPosEnc}), then {@code proj};</li>
 *   <li>the windows are put back in place and the padding cut off.</li>
 * </ol>
 *
 * The padded positions take part in the attention as timm computes it (their keys and values are the projections'
 * biases). Parameters: {@link QkvAttention}.
 */
public class WindowAttention extends QkvAttention {
    private static final long serialVersionUID = 1L;

    private int windowSize;

    /** For JSON. */
    public WindowAttention() {
    }

    /**
     * @param numHeads   attention heads; they must divide the channels
     * @param windowSize the side {@code w} of the square windows, 7 in DaViT
     */
    public WindowAttention(int numHeads, int windowSize) {
        super(numHeads);
        if (windowSize < 1) {
            throw new IllegalArgumentException("WindowAttention.windowSize must be >= 1, was " + windowSize);
        }
        this.windowSize = windowSize;
    }

    /** The height or width {@code n} padded to whole windows. */
    public long padded(long n) {
        return (n + windowSize - 1) / windowSize * windowSize;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        long c = getChannels();
        long h = getHeight();
        long w = getWidth();
        long hp = padded(h);
        long wp = padded(w);
        long ws = windowSize;
        // [b, C, H, W] -> [b, H, W, C] -> [b, Hp, Wp, C]
        SDVariable x = input.permute(0, 2, 3, 1);
        if (hp != h || wp != w) {
            x = sd.nn.pad(x, sd.constant("window_pad", Nd4j.createFromArray(
                    new int[][] {{0, 0}, {0, (int) (hp - h)}, {0, (int) (wp - w)}, {0, 0}})), 0.0);
        }
        // [b, Hp/w, w, Wp/w, w, C] -> [b, Hp/w, Wp/w, w, w, C] -> [b*windows*w*w, C]
        SDVariable rows = x.reshape(-1, hp / ws, ws, wp / ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, c);
        SDVariable attended = TransformerOps.selfAttention(sd, rows, ws * ws, c, getNumHeads(),
                params.get(QKV_WEIGHT), params.get(QKV_BIAS), params.get(PROJ_WEIGHT), params.get(PROJ_BIAS),
                UnaryOperator.identity());
        // [b*windows*w*w, C] -> [b, Hp/w, Wp/w, w, w, C] -> [b, Hp/w, w, Wp/w, w, C] -> [b, Hp, Wp, C]
        SDVariable y = attended.reshape(-1, hp / ws, wp / ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5)
                .reshape(-1, hp, wp, c);
        if (hp != h || wp != w) {
            y = y.get(SDIndex.all(), SDIndex.interval(0L, h), SDIndex.interval(0L, w), SDIndex.all());
        }
        return y.permute(0, 3, 1, 2);
    }

    /** Runs the passes written out ({@link WindowAttentionImpl}); {@link #defineLayer} is the same computation in SameDiff. */
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new WindowAttentionImpl(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    public int getWindowSize() {
        return windowSize;
    }

    public void setWindowSize(int windowSize) {
        this.windowSize = windowSize;
    }
}
