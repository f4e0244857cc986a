package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.init.TorchInit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head self-attention (Vaswani et al., "Attention Is All You Need", NeurIPS 2017), as PyTorch's
 * {@code nn.MultiheadAttention(D, heads, dropout=attentionDropout, batch_first=True)} called with query = key = value
 * and no mask, on a token sequence {@code [b, T, D] -> [b, T, D]} (DL4J recurrent, {@code NWC}).
 * {@link TransformerOps#selfAttention} has the computation: batched matrix products over samples and heads together.
 *
 * <p>Parameters in PyTorch's layout, so that weight import is a copy: {@code in-proj-weight [3D, D]} (query, key and
 * value projections stacked), {@code in-proj-bias [3D]}, {@code out-proj.weight [D, D]}, {@code out-proj.bias [D]}:
 * PyTorch's {@code in_proj_weight}, {@code in_proj_bias}, {@code out_proj.weight}, {@code out_proj.bias} with
 * {@code _} written {@code -} ({@link TorchNamed}). DL4J's built-in {@code SelfAttentionLayer} has no projection
 * biases, so it cannot hold these.
 *
 * <p>Initialization as PyTorch's {@code _reset_parameters}: Xavier uniform input projection, zero biases; the output
 * projection keeps {@code nn.Linear}'s default, uniform with bound {@code 1/sqrt(D)}.
 *
 * <p>Dropout: {@code attentionDropout} on the attention probabilities ({@code nn.MultiheadAttention}'s own), and
 * {@code dropout} on the output, which torchvision applies in the encoder block right after the attention
 * ({@code encoder_layer.dropout}).
 */
public class MultiHeadSelfAttention extends ZooSameDiffLayer implements TorchNamed {
    private static final long serialVersionUID = 1L;

    public static final String IN_PROJ_WEIGHT = "in-proj-weight";
    public static final String IN_PROJ_BIAS = "in-proj-bias";
    public static final String OUT_PROJ_WEIGHT = "out-proj.weight";
    public static final String OUT_PROJ_BIAS = "out-proj.bias";

    private int numHeads;
    private double attentionDropout;
    private double dropout;
    private long hiddenDim;
    private long seqLength;

    /** For JSON. */
    public MultiHeadSelfAttention() {
    }

    /**
     * @param numHeads         heads; they must divide the embedding size
     * @param attentionDropout probability of dropping an attention weight, in {@code [0, 1)}
     * @param dropout          probability of dropping an output unit, in {@code [0, 1)}
     */
    public MultiHeadSelfAttention(int numHeads, double attentionDropout, double dropout) {
        if (numHeads < 1) {
            throw new IllegalArgumentException("MultiHeadSelfAttention.numHeads must be >= 1, was " + numHeads);
        }
        this.numHeads = numHeads;
        this.attentionDropout = checkRate("MultiHeadSelfAttention.attentionDropout", attentionDropout);
        this.dropout = checkRate("MultiHeadSelfAttention.dropout", dropout);
    }

    @Override
    public List<DropoutSite> dropoutSites() {
        List<DropoutSite> sites = new ArrayList<>();
        if (attentionDropout > 0) {
            sites.add(new DropoutSite("attention", attentionDropout, new long[] {numHeads, seqLength, seqLength}));
        }
        if (dropout > 0) {
            sites.add(new DropoutSite("dropout", dropout, new long[] {seqLength, hiddenDim}));
        }
        return sites;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable x = input.reshape(-1, hiddenDim);
        SDVariable out = TransformerOps.selfAttention(sd, x, seqLength, hiddenDim, numHeads,
                params.get(IN_PROJ_WEIGHT), params.get(IN_PROJ_BIAS), params.get(OUT_PROJ_WEIGHT),
                params.get(OUT_PROJ_BIAS),
                p -> dropout(sd, p, "attention", -1, numHeads, seqLength, seqLength));
        out = dropout(sd, out, "dropout", -1, hiddenDim);
        return out.reshape(-1, seqLength, hiddenDim);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(IN_PROJ_WEIGHT, 3 * hiddenDim, hiddenDim);
        params.addWeightParam(OUT_PROJ_WEIGHT, hiddenDim, hiddenDim);
        params.addBiasParam(IN_PROJ_BIAS, 3 * hiddenDim);
        params.addBiasParam(OUT_PROJ_BIAS, hiddenDim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        initialize(params, "");
    }

    /** PyTorch's initialization of the attention parameters named {@code prefix + key}. */
    static void initialize(Map<String, INDArray> params, String prefix) {
        INDArray in = params.get(prefix + IN_PROJ_WEIGHT);
        // xavier_uniform_ on [3D, D]: fan_in D, fan_out 3D
        TorchInit.xavierUniform(1.0).fill(in, in.size(1), in.size(0));
        params.get(prefix + IN_PROJ_BIAS).assign(0);
        INDArray out = params.get(prefix + OUT_PROJ_WEIGHT);
        TorchInit.torchDefault().fill(out, out.size(1), out.size(0));
        params.get(prefix + OUT_PROJ_BIAS).assign(0);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return sameTokens(inputType);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (hiddenDim == 0 || override) {
            InputType.InputTypeRecurrent r = requireTokens(inputType);
            if (r.getSize() % numHeads != 0) {
                throw new IllegalArgumentException("MultiHeadSelfAttention '" + getLayerName() + "': numHeads "
                        + numHeads + " does not divide the embedding size " + r.getSize());
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

    public double getAttentionDropout() {
        return attentionDropout;
    }

    public void setAttentionDropout(double attentionDropout) {
        this.attentionDropout = attentionDropout;
    }

    public double getDropout() {
        return dropout;
    }

    public void setDropout(double dropout) {
        this.dropout = dropout;
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
