package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.init.TorchInit;
import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The Swin Transformer's patch partition and linear embedding (Liu et al. 2021, arXiv:2103.14030), torchvision's
 * {@code features.0}: {@code Sequential(Conv2d(C_in, D, p, stride=p), Permute([0, 2, 3, 1]), LayerNorm(D))},
 * {@code [b, C_in, H, W] -> [b, (H/p)(W/p), D]}, the patches row by row as tokens (DL4J recurrent, {@code NWC}): the
 * channels-last map of torchvision, flattened.
 *
 * <p>The convolution is one matrix product of the non-overlapping patches ({@link TransformerOps#patchProjection}),
 * its output already channels-last, so torchvision's {@code Permute} costs nothing; the layer norm
 * ({@link TransformerOps#layerNorm}) normalizes each token. That definition is the reference that the running layer,
 * written out with its backward pass ({@link PatchPartitionImpl}), is held to.
 *
 * <p>Parameters, torchvision's names under the vertex: {@code 0.weight [D, C_in, p, p]}, {@code 0.bias [D]},
 * {@code 2.weight [D]}, {@code 2.bias [D]}. Initialization as PyTorch's {@code nn.Conv2d} default (uniform with bound
 * {@code 1/sqrt(C_in p p)}, kernel and bias) and layer norm 1 and 0.
 */
public class PatchPartition extends ZooSameDiffLayer implements TorchNamed {
    private static final long serialVersionUID = 1L;

    public static final String CONV_WEIGHT = "0.weight";
    public static final String CONV_BIAS = "0.bias";
    public static final String NORM_WEIGHT = "2.weight";
    public static final String NORM_BIAS = "2.bias";

    private int patchSize;
    private int embedDim;
    private double eps = 1e-5;
    private long channels;
    private long height;
    private long width;

    /** For JSON. */
    public PatchPartition() {
    }

    /**
     * @param patchSize the side {@code p} of the square patches
     * @param embedDim  the embedding size {@code D}
     * @param eps       the layer norm's epsilon (1e-5 in torchvision's Swin)
     */
    public PatchPartition(int patchSize, int embedDim, double eps) {
        if (patchSize < 1) {
            throw new IllegalArgumentException("PatchPartition.patchSize must be >= 1, was " + patchSize);
        }
        if (embedDim < 1) {
            throw new IllegalArgumentException("PatchPartition.embedDim must be >= 1, was " + embedDim);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("PatchPartition.eps must be > 0, was " + eps);
        }
        this.patchSize = patchSize;
        this.embedDim = embedDim;
        this.eps = eps;
    }

    private long tokens() {
        return (height / patchSize) * (width / patchSize);
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        // [b, C_in, H, W] -> [b*N, D] -> [b, N, D]
        SDVariable tokens = TransformerOps.patchProjection(sd, input, params.get(CONV_WEIGHT), params.get(CONV_BIAS),
                channels, height / patchSize, width / patchSize, patchSize, embedDim);
        return TransformerOps.layerNorm(sd, tokens, params.get(NORM_WEIGHT), params.get(NORM_BIAS), eps)
                .reshape(-1, tokens(), embedDim);
    }

    /** Runs written out ({@link PatchPartitionImpl}); {@link #defineLayer} is its reference. */
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new PatchPartitionImpl(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(CONV_WEIGHT, embedDim, channels, patchSize, patchSize);
        params.addBiasParam(CONV_BIAS, embedDim);
        params.addBiasParam(NORM_WEIGHT, embedDim);
        params.addBiasParam(NORM_BIAS, embedDim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        long fanIn = channels * patchSize * patchSize;
        TorchInit.torchDefault().fill(params.get(CONV_WEIGHT), fanIn, (long) embedDim * patchSize * patchSize);
        TorchInit.torchDefault().fill(params.get(CONV_BIAS), fanIn, embedDim);
        params.get(NORM_WEIGHT).assign(1);
        params.get(NORM_BIAS).assign(0);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeConvolutional c = requireNchw(inputType);
        requireDivisible(c);
        return InputType.recurrent(embedDim, (c.getHeight() / patchSize) * (c.getWidth() / patchSize),
                RNNFormat.NWC);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (channels == 0 || override) {
            InputType.InputTypeConvolutional c = requireNchw(inputType);
            requireDivisible(c);
            channels = c.getChannels();
            height = c.getHeight();
            width = c.getWidth();
            refreshParameters();
        }
    }

    private void requireDivisible(InputType.InputTypeConvolutional c) {
        if (c.getHeight() % patchSize != 0 || c.getWidth() % patchSize != 0) {
            throw new IllegalArgumentException("PatchPartition '" + getLayerName() + "': the image size "
                    + c.getHeight() + "x" + c.getWidth() + " is not divisible by the patch size " + patchSize);
        }
    }

    public int getPatchSize() {
        return patchSize;
    }

    public void setPatchSize(int patchSize) {
        this.patchSize = patchSize;
    }

    public int getEmbedDim() {
        return embedDim;
    }

    public void setEmbedDim(int embedDim) {
        this.embedDim = embedDim;
    }

    public double getEps() {
        return eps;
    }

    public void setEps(double eps) {
        this.eps = eps;
    }

    public long getChannels() {
        return channels;
    }

    public void setChannels(long channels) {
        this.channels = channels;
    }

    public long getHeight() {
        return height;
    }

    public void setHeight(long height) {
        this.height = height;
    }

    public long getWidth() {
        return width;
    }

    public void setWidth(long width) {
        this.width = width;
    }
}
