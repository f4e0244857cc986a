package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.init.TorchInit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * torchvision's ViT {@code MLPBlock} on a token sequence {@code [b, T, D] -> [b, T, D]} (DL4J recurrent, {@code NWC}):
 * {@code Linear(D, mlpDim)}, exact GELU, {@code Dropout}, {@code Linear(mlpDim, D)}, {@code Dropout}, the modules
 * {@code 0} to {@code 4} of its {@code Sequential}.
 *
 * <p>Parameters, PyTorch's names and shapes: {@code 0.weight [mlpDim, D]}, {@code 0.bias [mlpDim]},
 * {@code 3.weight [D, mlpDim]}, {@code 3.bias [D]}. Initialization as torchvision's ViT: Xavier uniform weights,
 * biases normal with std 1e-6; or, with a {@code weightStd}, as its Swin Transformer (whose model-wide init overrides
 * the block's): weights normal with that std, biases 0.
 */
public class MlpBlock extends ZooSameDiffLayer implements TorchNamed {
    private static final long serialVersionUID = 1L;

    public static final String W0 = "0.weight";
    public static final String B0 = "0.bias";
    public static final String W3 = "3.weight";
    public static final String B3 = "3.bias";

    private int mlpDim;
    private double dropout;
    private double weightStd;
    private long hiddenDim;
    private long seqLength;

    /** For JSON. */
    public MlpBlock() {
    }

    /**
     * @param mlpDim  the hidden width
     * @param dropout probability of dropping a unit after the GELU and after the second linear layer, in {@code [0, 1)}
     */
    public MlpBlock(int mlpDim, double dropout) {
        this(mlpDim, dropout, 0.0);
    }

    /**
     * @param weightStd the std of normal weights with zero biases (0.02 in torchvision's Swin), or 0 for the ViT's
     *                  Xavier init
     */
    public MlpBlock(int mlpDim, double dropout, double weightStd) {
        if (!(weightStd >= 0)) {
            throw new IllegalArgumentException("MlpBlock.weightStd must be >= 0, was " + weightStd);
        }
        this.weightStd = weightStd;
        if (mlpDim < 1) {
            throw new IllegalArgumentException("MlpBlock.mlpDim must be >= 1, was " + mlpDim);
        }
        this.mlpDim = mlpDim;
        this.dropout = checkRate("MlpBlock.dropout", dropout);
    }

    @Override
    public List<DropoutSite> dropoutSites() {
        List<DropoutSite> sites = new ArrayList<>();
        if (dropout > 0) {
            sites.add(new DropoutSite("2", dropout, new long[] {seqLength, mlpDim}));
            sites.add(new DropoutSite("4", dropout, new long[] {seqLength, hiddenDim}));
        }
        return sites;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable x = input.reshape(-1, hiddenDim);
        SDVariable y = TransformerOps.mlp(sd, x, params.get(W0), params.get(B0), params.get(W3), params.get(B3),
                h -> dropout(sd, h, "2", -1, mlpDim), h -> dropout(sd, h, "4", -1, hiddenDim));
        return y.reshape(-1, seqLength, hiddenDim);
    }

    /** The running layer is written out ({@link MlpBlockImpl}); {@link #defineLayer} is its reference. */
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new MlpBlockImpl(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(W0, mlpDim, hiddenDim);
        params.addWeightParam(W3, hiddenDim, mlpDim);
        params.addBiasParam(B0, mlpDim);
        params.addBiasParam(B3, hiddenDim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        if (weightStd == 0) {
            initialize(params, "");
            return;
        }
        for (String[] wb : new String[][] {{W0, B0}, {W3, B3}}) {
            TorchInit.normal(weightStd).fill(params.get(wb[0]), 1, 1);
            params.get(wb[1]).assign(0);
        }
    }

    /** torchvision's {@code MLPBlock} initialization of the parameters named {@code prefix + key}. */
    static void initialize(Map<String, INDArray> params, String prefix) {
        for (String[] wb : new String[][] {{W0, B0}, {W3, B3}}) {
            INDArray w = params.get(prefix + wb[0]);
            TorchInit.xavierUniform(1.0).fill(w, w.size(1), w.size(0));
            TorchInit.normal(1e-6).fill(params.get(prefix + wb[1]), 1, 1);
        }
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return sameTokens(inputType);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (hiddenDim == 0 || override) {
            InputType.InputTypeRecurrent r = requireTokens(inputType);
            hiddenDim = r.getSize();
            seqLength = r.getTimeSeriesLength();
            refreshParameters();
        }
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

    public double getWeightStd() {
        return weightStd;
    }

    public void setWeightStd(double weightStd) {
        this.weightStd = weightStd;
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
