package io.github.visionzoo.zoo.layers;

import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * PyTorch's {@code nn.LayerNorm(D, eps)} over the feature axis (Ba, Kiros, Hinton, "Layer Normalization",
 * arXiv:1607.06450), which DL4J 1.0.0-M2.1 has no layer for: {@code (x - mean) / sqrt(var + eps) * weight + bias},
 * mean and biased variance over {@code D}, written out since SameDiff's {@code layerNorm} has no epsilon. The default
 * epsilon is torchvision's ViT's, 1e-6.
 *
 * <p>Input: a token sequence {@code [b, T, D]} (DL4J recurrent, {@code NWC}), features {@code [b, D]}, or an image
 * {@code [b, D, H, W]} (NCHW) normalized over its channels at each position, timm's {@code LayerNorm2d}. With
 * {@code classTokenOnly}, only the first token of a sequence is normalized and returned as features {@code [b, D]}:
 * torchvision's final {@code encoder.ln} followed by {@code x[:, 0]} (the same numbers, since the normalization is per
 * token), which feeds the classifier directly.
 *
 * <p>Parameters {@code weight [D]} (1) and {@code bias [D]} (0), torchvision's names and shapes; both count as
 * "bias" parameters for DL4J's regularization (no weight decay on norms, as timm).
 */
public class LayerNorm extends ZooSameDiffLayer implements TorchNamed, FeatureMapShape {
    private static final long serialVersionUID = 1L;

    public static final String WEIGHT = "weight";
    public static final String BIAS = "bias";

    private double eps = TransformerOps.LAYER_NORM_EPS;
    private boolean classTokenOnly;
    private long size;
    private long seqLength;
    /** Height and width of an image input; 0 for tokens and features. */
    private long height;
    private long width;

    /** For JSON; epsilon 1e-6, every token. */
    public LayerNorm() {
    }

    public LayerNorm(double eps, boolean classTokenOnly) {
        if (!(eps > 0)) {
            throw new IllegalArgumentException("LayerNorm.eps must be > 0, was " + eps);
        }
        this.eps = eps;
        this.classTokenOnly = classTokenOnly;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable w = params.get(WEIGHT);
        SDVariable b = params.get(BIAS);
        if (height > 0) {
            return TransformerOps.rowsToImage(TransformerOps.layerNorm(sd, TransformerOps.imageToRows(input, size),
                    w, b, eps), size, height, width);
        }
        if (seqLength == 0) {
            return TransformerOps.layerNorm(sd, input, w, b, eps);
        }
        if (classTokenOnly) {
            SDVariable first = input.get(SDIndex.all(), SDIndex.point(0), SDIndex.all());
            return TransformerOps.layerNorm(sd, first, w, b, eps);
        }
        return TransformerOps.layerNorm(sd, input.reshape(-1, size), w, b, eps).reshape(-1, seqLength, size);
    }

    /**
     * Tokens and features run written out ({@link LayerNormImpl}), and so do images ({@link ImageLayerNormImpl});
     * the class token runs {@link #defineLayer} in SameDiff.
     */
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        if (classTokenOnly) {
            return super.instantiate(conf, trainingListeners, layerIndex, layerParamsView, initializeParams,
                    networkDataType);
        }
        return RuntimeLayers.wire(height > 0 ? new ImageLayerNormImpl(conf, networkDataType)
                : new LayerNormImpl(conf, networkDataType), conf, trainingListeners, layerIndex, layerParamsView,
                initializeParams);
    }

    /** {@code [C, H, W]} of an image input; meaningful for images only. */
    @Override
    public long[] featureMapShape() {
        return new long[] {size, height, width};
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addBiasParam(WEIGHT, size);
        params.addBiasParam(BIAS, size);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        params.get(WEIGHT).assign(1);
        params.get(BIAS).assign(0);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType instanceof InputType.InputTypeFeedForward f) {
            return InputType.feedForward(f.getSize());
        }
        if (inputType instanceof InputType.InputTypeConvolutional) {
            InputType.InputTypeConvolutional c = requireNchw(inputType);
            return InputType.convolutional(c.getHeight(), c.getWidth(), c.getChannels());
        }
        InputType.InputTypeRecurrent r = requireTokens(inputType);
        return classTokenOnly ? InputType.feedForward(r.getSize())
                : InputType.recurrent(r.getSize(), r.getTimeSeriesLength(), RNNFormat.NWC);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (size == 0 || override) {
            height = 0;
            width = 0;
            if (inputType instanceof InputType.InputTypeFeedForward f) {
                size = f.getSize();
                seqLength = 0;
            } else if (inputType instanceof InputType.InputTypeConvolutional) {
                InputType.InputTypeConvolutional c = requireNchw(inputType);
                size = c.getChannels();
                seqLength = 0;
                height = c.getHeight();
                width = c.getWidth();
            } else {
                InputType.InputTypeRecurrent r = requireTokens(inputType);
                size = r.getSize();
                seqLength = r.getTimeSeriesLength();
            }
            refreshParameters();
        }
    }

    public double getEps() {
        return eps;
    }

    public void setEps(double eps) {
        this.eps = eps;
    }

    public boolean isClassTokenOnly() {
        return classTokenOnly;
    }

    public void setClassTokenOnly(boolean classTokenOnly) {
        this.classTokenOnly = classTokenOnly;
    }

    public long getSize() {
        return size;
    }

    public void setSize(long size) {
        this.size = size;
    }

    public long getSeqLength() {
        return seqLength;
    }

    public void setSeqLength(long seqLength) {
        this.seqLength = seqLength;
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
