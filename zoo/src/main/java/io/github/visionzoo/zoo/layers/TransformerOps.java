package io.github.visionzoo.zoo.layers;

import java.util.function.UnaryOperator;
import org.nd4j.autodiff.samediff.NameScope;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The Transformer's pieces as SameDiff functions, shared by the SameDiff ViT layers ({@link LayerNorm},
 * {@link MultiHeadSelfAttention}, {@link MlpBlock}). {@link EncoderBlock} computes the same with a hand-written
 * backward pass; a test holds both to the same gradients.
 *
 * <p>Token sequences are handled as a {@code [b*T, D]} matrix (rows are tokens, features last), so every projection
 * is one 2-D matrix product and layer normalization reduces over the last axis. Weights are in PyTorch's layout:
 * {@code nn.Linear}'s weight is {@code [out, in]} and is used transposed inside the matrix product (no copy).
 */
public final class TransformerOps {
    /** torchvision's ViT layer-norm epsilon ({@code partial(nn.LayerNorm, eps=1e-6)}). */
    public static final double LAYER_NORM_EPS = 1e-6;
    /** The SameDiff name scope of the attention's variables. */
    public static final String ATTENTION_SCOPE = "attention";

    private TransformerOps() {
    }

    /** {@code nn.Linear}: {@code x [n, in] @ weight[out, in]^T + bias[out] -> [n, out]}. */
    public static SDVariable linear(SameDiff sd, SDVariable x, SDVariable weight, SDVariable bias) {
        return sd.nn.biasAdd(sd.mmul(x, weight, false, true, false), bias, false);
    }

    /**
     * A convolution with kernel = stride = {@code p} ({@code weight [D, C, p, p]}, {@code bias [D]}) as one matrix
     * product of the non-overlapping patches, the same sum: {@code [b, C, gh*p, gw*p] -> [b*gh*gw, D]}, patches row by
     * row, as the convolution's output flattened channels-last.
     */
    public static SDVariable patchProjection(SameDiff sd, SDVariable image, SDVariable weight, SDVariable bias,
                                             long channels, long gh, long gw, long p, long dim) {
        // [b, C, H, W] -> [b, C, gh, p, gw, p] -> [b, gh, gw, C, p, p] -> [b*N, C*p*p]
        SDVariable patches = image.reshape(-1, channels, gh, p, gw, p).permute(0, 2, 4, 1, 3, 5)
                .reshape(-1, channels * p * p);
        return linear(sd, patches, weight.reshape(dim, channels * p * p), bias);
    }

    /**
     * {@code nn.LayerNorm} over the last axis of a {@code [n, D]} matrix, written out because SameDiff's
     * {@code layerNorm} has no epsilon: {@code (x - mean) / sqrt(var + eps) * weight + bias}, with the biased variance,
     * as PyTorch.
     */
    public static SDVariable layerNorm(SameDiff sd, SDVariable x, SDVariable weight, SDVariable bias, double eps) {
        SDVariable centered = x.sub(x.mean(true, 1));
        SDVariable variance = sd.math.square(centered).mean(true, 1);
        SDVariable normed = centered.div(sd.math.sqrt(variance.add(eps)));
        return sd.nn.biasAdd(normed.mul(weight), bias, false);
    }

    /**
     * Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}, PyTorch's {@code nn.GELU()} default; DL4J's
     * {@code Activation.GELU} is the sigmoid approximation, up to 2e-2 away.
     */
    public static SDVariable gelu(SameDiff sd, SDVariable x) {
        return x.mul(sd.math.erf(x.mul(1.0 / Math.sqrt(2.0))).add(1.0)).mul(0.5);
    }

    /**
     * Multi-head scaled dot-product self-attention, {@code nn.MultiheadAttention(D, heads, batch_first=True)} with
     * query = key = value: {@code x [b*T, D] -> [b*T, D]}.
     *
     * <p>One matrix product with {@code inProjWeight [3D, D]} (query, key and value rows stacked, PyTorch's order)
     * and {@code inProjBias [3D]} gives all three projections, {@code [b*T, 3D]}, rearranged once to
     * {@code [3, b, h, T, D/h]}: the heads are a batch dimension, so the scores {@code softmax(q k^T / sqrt(D/h))}
     * and their product with the values are two batched matrix products over all samples and heads at once.
     *
     * <p>Speed: the projections are 2-D products, which libnd4j (1.0.0-M2.1) runs with oneDNN; the two batched products
     * over {@code [b, h]} are not (its oneDNN matmul takes rank 2 only) and run in libnd4j's own loops, far below the
     * machine's peak, so the attention takes a larger share of the time than of the arithmetic ({@code VitBench} in the
     * examples measures the share). Its variables are named under {@value #ATTENTION_SCOPE}{@code /}, so that profiles
     * can tell them apart.
     *
     * @param attentionDropout applied to the attention probabilities {@code [b, h, T, T]} (identity for none)
     */
    public static SDVariable selfAttention(SameDiff sd, SDVariable x, long seqLength, long dim, int heads,
                                           SDVariable inProjWeight, SDVariable inProjBias, SDVariable outProjWeight,
                                           SDVariable outProjBias, UnaryOperator<SDVariable> attentionDropout) {
        return selfAttention(sd, x, seqLength, dim, heads, inProjWeight, inProjBias, outProjWeight, outProjBias,
                UnaryOperator.identity(), attentionDropout);
    }

    /**
     * The same with {@code scoreBias} applied to the scaled scores {@code [b, h, T, T]} before the softmax: the Swin
     * Transformer's relative position bias and shifted-window mask ({@link ShiftedWindowAttention}), whose batch
     * {@code b} is the images' windows.
     */
    public static SDVariable selfAttention(SameDiff sd, SDVariable x, long seqLength, long dim, int heads,
                                           SDVariable inProjWeight, SDVariable inProjBias, SDVariable outProjWeight,
                                           SDVariable outProjBias, UnaryOperator<SDVariable> scoreBias,
                                           UnaryOperator<SDVariable> attentionDropout) {
        try (NameScope scope = sd.withNameScope(ATTENTION_SCOPE)) {
            return selfAttentionOps(sd, x, seqLength, dim, heads, inProjWeight, inProjBias, outProjWeight,
                    outProjBias, scoreBias, attentionDropout);
        }
    }

    private static SDVariable selfAttentionOps(SameDiff sd, SDVariable x, long seqLength, long dim, int heads,
                                               SDVariable inProjWeight, SDVariable inProjBias,
                                               SDVariable outProjWeight, SDVariable outProjBias,
                                               UnaryOperator<SDVariable> scoreBias,
                                               UnaryOperator<SDVariable> attentionDropout) {
        long headDim = dim / heads;
        // [b*T, 3D] -> [b, T, 3, h, d] -> [3, b, h, T, d]
        SDVariable qkv = linear(sd, x, inProjWeight, inProjBias).reshape(-1, seqLength, 3, heads, headDim)
                .permute(2, 0, 3, 1, 4);
        SDVariable[] parts = sd.unstack(qkv, 0, 3);
        // the scale goes on q, the smaller tensor than the scores
        SDVariable q = parts[0].mul(1.0 / Math.sqrt(headDim));
        SDVariable k = parts[1];
        SDVariable v = parts[2];
        // [b, h, T, d] x [b, h, d, T] -> [b, h, T, T]
        SDVariable scores = scoreBias.apply(sd.mmul(q, k, false, true, false));
        SDVariable probs = attentionDropout.apply(sd.nn.softmax(scores, 3));
        // [b, h, T, T] x [b, h, T, d] -> [b, h, T, d] -> [b, T, h, d] -> [b*T, D]
        SDVariable context = sd.mmul(probs, v).permute(0, 2, 1, 3).reshape(-1, dim);
        return linear(sd, context, outProjWeight, outProjBias);
    }

    /**
     * torchvision's {@code MLPBlock}: {@code Linear(D, mlp) -> GELU -> Dropout -> Linear(mlp, D) -> Dropout},
     * {@code x [b*T, D] -> [b*T, D]}; {@code dropout1} and {@code dropout2} are modules {@code mlp.2} and {@code mlp.4}.
     */
    public static SDVariable mlp(SameDiff sd, SDVariable x, SDVariable w0, SDVariable b0, SDVariable w3,
                                 SDVariable b3, UnaryOperator<SDVariable> dropout1,
                                 UnaryOperator<SDVariable> dropout2) {
        SDVariable hidden = dropout1.apply(gelu(sd, linear(sd, x, w0, b0)));
        return dropout2.apply(linear(sd, hidden, w3, b3));
    }

    /** An image {@code [b, C, H, W]} as the matrix of its positions' features, {@code [b*H*W, C]}, row-major. */
    public static SDVariable imageToRows(SDVariable image, long channels) {
        return image.permute(0, 2, 3, 1).reshape(-1, channels);
    }

    /** The inverse of {@link #imageToRows}: {@code [b*H*W, C] -> [b, C, H, W]}. */
    public static SDVariable rowsToImage(SDVariable rows, long channels, long height, long width) {
        return rows.reshape(-1, height, width, channels).permute(0, 3, 1, 2);
    }
}
