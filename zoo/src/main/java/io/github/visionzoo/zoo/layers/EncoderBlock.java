package io.github.visionzoo.zoo.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One pre-norm Transformer encoder block as a single layer, torchvision's ViT {@code EncoderBlock}, on a token
 * sequence {@code [b, T, D] -> [b, T, D]} (DL4J recurrent, {@code NWC}):
 *
 * <pre>
 *   x = x + Dropout(MHA(LN_1(x)))      (attention dropout inside MHA)
 *   x = x + MLP(LN_2(x))               (Linear, GELU, Dropout, Linear, Dropout)
 * </pre>
 *
 * The same computation as the separate layers {@link LayerNorm}, {@link MultiHeadSelfAttention} and {@link MlpBlock}
 * with two residual additions (both built from {@link TransformerOps}), in one SameDiff graph: one DL4J vertex instead
 * of six, one SameDiff session per block and pass, and the residual stream kept as one {@code [b*T, D]} matrix.
 *
 * <p>Parameter keys are torchvision's names inside the block with {@code _} written {@code -} ({@link TorchNamed}), so
 * vertex {@code encoder.layers.encoder_layer_0} holds, for instance, {@code self-attention.in-proj-weight}, that is
 * {@code encoder.layers.encoder_layer_0.self_attention.in_proj_weight}:
 * {@code ln-1.weight, ln-1.bias [D]}, {@code self-attention.in-proj-weight [3D, D]},
 * {@code self-attention.in-proj-bias [3D]}, {@code self-attention.out-proj.weight [D, D]},
 * {@code self-attention.out-proj.bias [D]}, {@code ln-2.weight, ln-2.bias [D]}, {@code mlp.0.weight [M, D]},
 * {@code mlp.0.bias [M]}, {@code mlp.3.weight [D, M]}, {@code mlp.3.bias [D]}. Initialization as the separate layers.
 */
public class EncoderBlock extends ZooSameDiffLayer implements TorchNamed {
    private static final long serialVersionUID = 1L;

    public static final String LN_1 = "ln-1.";
    public static final String ATTENTION = "self-attention.";
    public static final String LN_2 = "ln-2.";
    public static final String MLP = "mlp.";

    private int numHeads;
    private int mlpDim;
    private double dropout;
    private double attentionDropout;
    private double eps = TransformerOps.LAYER_NORM_EPS;
    private long hiddenDim;
    private long seqLength;

    /** For JSON. */
    public EncoderBlock() {
    }

    /**
     * @param numHeads         attention heads; they must divide the embedding size
     * @param mlpDim           the MLP's hidden width
     * @param dropout          torchvision's {@code dropout}: after the attention and twice in the MLP, in {@code [0, 1)}
     * @param attentionDropout on the attention probabilities, in {@code [0, 1)}
     * @param eps              the layer norms' epsilon, 1e-6 in torchvision's ViT
     */
    public EncoderBlock(int numHeads, int mlpDim, double dropout, double attentionDropout, double eps) {
        if (numHeads < 1) {
            throw new IllegalArgumentException("EncoderBlock.numHeads must be >= 1, was " + numHeads);
        }
        if (mlpDim < 1) {
            throw new IllegalArgumentException("EncoderBlock.mlpDim must be >= 1, was " + mlpDim);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("EncoderBlock.eps must be > 0, was " + eps);
        }
        this.numHeads = numHeads;
        this.mlpDim = mlpDim;
        this.dropout = checkRate("EncoderBlock.dropout", dropout);
        this.attentionDropout = checkRate("EncoderBlock.attentionDropout", attentionDropout);
        this.eps = eps;
    }

    @Override
    public List<DropoutSite> dropoutSites() {
        List<DropoutSite> sites = new ArrayList<>();
        if (attentionDropout > 0) {
            sites.add(new DropoutSite("self_attention", attentionDropout,
                    new long[] {numHeads, seqLength, seqLength}));
        }
        if (dropout > 0) {
            sites.add(new DropoutSite("dropout", dropout, new long[] {seqLength, hiddenDim}));
            sites.add(new DropoutSite("mlp.2", dropout, new long[] {seqLength, mlpDim}));
            sites.add(new DropoutSite("mlp.4", dropout, new long[] {seqLength, hiddenDim}));
        }
        return sites;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        SDVariable x = input.reshape(-1, hiddenDim);
        SDVariable h = TransformerOps.layerNorm(sd, x, p.get(LN_1 + "weight"), p.get(LN_1 + "bias"), eps);
        h = TransformerOps.selfAttention(sd, h, seqLength, hiddenDim, numHeads,
                p.get(ATTENTION + MultiHeadSelfAttention.IN_PROJ_WEIGHT),
                p.get(ATTENTION + MultiHeadSelfAttention.IN_PROJ_BIAS),
                p.get(ATTENTION + MultiHeadSelfAttention.OUT_PROJ_WEIGHT),
                p.get(ATTENTION + MultiHeadSelfAttention.OUT_PROJ_BIAS),
                a -> dropout(sd, a, "self_attention", -1, numHeads, seqLength, seqLength));
        x = x.add(dropout(sd, h, "dropout", -1, hiddenDim));
        SDVariable y = TransformerOps.layerNorm(sd, x, p.get(LN_2 + "weight"), p.get(LN_2 + "bias"), eps);
        y = TransformerOps.mlp(sd, y, p.get(MLP + MlpBlock.W0), p.get(MLP + MlpBlock.B0), p.get(MLP + MlpBlock.W3),
                p.get(MLP + MlpBlock.B3), m -> dropout(sd, m, "mlp.2", -1, mlpDim),
                m -> dropout(sd, m, "mlp.4", -1, hiddenDim));
        return x.add(y).reshape(-1, seqLength, hiddenDim);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        long d = hiddenDim;
        params.addWeightParam(ATTENTION + MultiHeadSelfAttention.IN_PROJ_WEIGHT, 3 * d, d);
        params.addWeightParam(ATTENTION + MultiHeadSelfAttention.OUT_PROJ_WEIGHT, d, d);
        params.addWeightParam(MLP + MlpBlock.W0, mlpDim, d);
        params.addWeightParam(MLP + MlpBlock.W3, d, mlpDim);
        params.addBiasParam(LN_1 + "weight", d);
        params.addBiasParam(LN_1 + "bias", d);
        params.addBiasParam(ATTENTION + MultiHeadSelfAttention.IN_PROJ_BIAS, 3 * d);
        params.addBiasParam(ATTENTION + MultiHeadSelfAttention.OUT_PROJ_BIAS, d);
        params.addBiasParam(LN_2 + "weight", d);
        params.addBiasParam(LN_2 + "bias", d);
        params.addBiasParam(MLP + MlpBlock.B0, mlpDim);
        params.addBiasParam(MLP + MlpBlock.B3, d);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (String ln : new String[] {LN_1, LN_2}) {
            params.get(ln + "weight").assign(1);
            params.get(ln + "bias").assign(0);
        }
        MultiHeadSelfAttention.initialize(params, ATTENTION);
        MlpBlock.initialize(params, MLP);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeRecurrent r = requireTokens(inputType);
        return InputType.recurrent(r.getSize(), r.getTimeSeriesLength(), RNNFormat.NWC);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (hiddenDim == 0 || override) {
            InputType.InputTypeRecurrent r = requireTokens(inputType);
            if (r.getSize() % numHeads != 0) {
                throw new IllegalArgumentException("EncoderBlock '" + getLayerName() + "': numHeads " + numHeads
                        + " does not divide the embedding size " + r.getSize());
            }
            hiddenDim = r.getSize();
            seqLength = r.getTimeSeriesLength();
            refreshParameters();
        }
    }

    public int getNumHeads() {
        return numHeads;
    }

    public void setNumHeads(int numHeads) {
        this.numHeads = numHeads;
    }

    public int getMlpDim() {
        return mlpDim;
    }

    public void setMlpDim(int mlpDim) {
        this.mlpDim = mlpDim;
    }

    public double getDropout() {
        return dropout;
    }

    public void setDropout(double dropout) {
        this.dropout = dropout;
    }

    public double getAttentionDropout() {
        return attentionDropout;
    }

    public void setAttentionDropout(double attentionDropout) {
        this.attentionDropout = attentionDropout;
    }

    public double getEps() {
        return eps;
    }

    public void setEps(double eps) {
        this.eps = eps;
    }

    public long getHiddenDim() {
        return hiddenDim;
    }

    public void setHiddenDim(long hiddenDim) {
        this.hiddenDim = hiddenDim;
    }

    public long getSeqLength() {
        return seqLength;
    }

    public void setSeqLength(long seqLength) {
        this.seqLength = seqLength;
    }
}
