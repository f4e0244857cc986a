package io.github.visionzoo.zoo.layers;

import java.util.Map;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Pooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Local response normalization across channels (Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep
 * Convolutional Neural Networks", NIPS 2012, section 3.3), on {@code [b, c, h, w]} activations:
 *
 * <pre>
 *   b[c] = a[c] / (k + alpha' * sum_{c' in window(c)} a[c']^2)^beta
 *   alpha' = alpha / size   (Convention.PYTORCH: torch.nn.LocalResponseNorm and Caffe, the default)
 *   alpha' = alpha          (Convention.PAPER: the paper's formula, and DL4J's built-in LocalResponseNormalization)
 * </pre>
 *
 * where {@code window(c)} is {@code [c - size/2, c + (size-1)/2]} clipped to the channels, as PyTorch pads it. The
 * defaults are the reference study's and PyTorch's: size 5, alpha 1e-4, beta 0.75, k 2. (With the paper's
 * convention the same layer needs alpha 2e-5 to match, since DL4J's and the paper's alpha is not divided by n.)
 *
 * <p>The window mean is computed as PyTorch computes it: {@code a^2}, zero-padded over channels, average-pooled
 * with a {@code size x 1} window (one native pooling call; measured faster than a 1x1 convolution with a banded
 * {@code [c, c]} matrix on AlexNet's conv1 shape). The layer has no parameters.
 */
public class LocalResponseNorm extends ZooSameDiffLayer {
    private static final long serialVersionUID = 1L;

    /** Whether {@code alpha} is divided by the window size. */
    public enum Convention { PYTORCH, PAPER }

    private int size = 5;
    private double alpha = 1e-4;
    private double beta = 0.75;
    private double k = 2.0;
    private Convention convention = Convention.PYTORCH;
    private long channels;
    private long height;
    private long width;

    /** For JSON; the defaults are PyTorch's {@code LocalResponseNorm(5, 1e-4, 0.75, 2)}. */
    public LocalResponseNorm() {
    }

    public LocalResponseNorm(int size, double alpha, double beta, double k, Convention convention) {
        if (size < 1) {
            throw new IllegalArgumentException("LocalResponseNorm size must be >= 1, was " + size);
        }
        if (!(alpha >= 0) || !(beta >= 0) || !(k > 0)) {
            throw new IllegalArgumentException("LocalResponseNorm needs alpha >= 0, beta >= 0 and k > 0; was alpha="
                    + alpha + ", beta=" + beta + ", k=" + k);
        }
        this.size = size;
        this.alpha = alpha;
        this.beta = beta;
        this.k = k;
        this.convention = java.util.Objects.requireNonNull(convention, "convention");
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        // PyTorch's own way: a^2 zero-padded over channels (size/2 before, (size-1)/2 after), then averaged over the
        // window: [b, c, h, w] -> [b, 1, c + size - 1, h*w] -> average pool (size x 1) -> [b, c, h, w]. The padding is
        // explicit because libnd4j's average-pool backward pass ignores the count-the-padding mode.
        SDVariable squares = sd.math().square(input).reshape(-1, 1, channels, height * width);
        SDVariable padding = sd.constant("lrn_padding", Nd4j.createFromArray(new int[][] {
                {0, 0}, {0, 0}, {size / 2, (size - 1) / 2}, {0, 0}}));
        Pooling2DConfig window = Pooling2DConfig.builder().kH(size).kW(1).sH(1).sW(1).pH(0).pW(0).dH(1).dW(1)
                .type(Pooling2D.Pooling2DType.AVG).paddingMode(PaddingMode.VALID).isNHWC(false).build();
        SDVariable mean = sd.cnn().avgPooling2d(sd.nn().pad(squares, padding, 0.0), window)
                .reshape(-1, channels, height, width);
        // the mean is sum / size, so PyTorch's alpha / size is alpha on the mean, and the paper's alpha is alpha * size
        double coefficient = convention == Convention.PYTORCH ? alpha : alpha * size;
        return input.div(sd.math().pow(mean.mul(coefficient).add(k), beta));
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        // no parameters
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        // no parameters
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        requireNchw(inputType);
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (channels == 0 || override) {
            InputType.InputTypeConvolutional c = requireNchw(inputType);
            channels = c.getChannels();
            height = c.getHeight();
            width = c.getWidth();
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    public int getSize() {
        return size;
    }

    public void setSize(int size) {
        this.size = size;
    }

    public double getAlpha() {
        return alpha;
    }

    public void setAlpha(double alpha) {
        this.alpha = alpha;
    }

    public double getBeta() {
        return beta;
    }

    public void setBeta(double beta) {
        this.beta = beta;
    }

    public double getK() {
        return k;
    }

    public void setK(double k) {
        this.k = k;
    }

    public Convention getConvention() {
        return convention;
    }

    public void setConvention(Convention convention) {
        this.convention = convention;
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
