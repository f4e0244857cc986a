package io.github.visionzoo.zoo.layers;

import java.util.Map;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
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
 * <p>The window sum is a 1x1 convolution of {@code a^2} with a fixed banded {@code [c, c]} matrix: one call into
 * oneDNN's convolution instead of {@code size} shifted slices, and exact for even sizes too. The layer has no
 * parameters.
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
        SDVariable window = sd.constant("lrn_window", windowMatrix(channels, size).castTo(input.dataType()));
        Conv2DConfig sum = Conv2DConfig.builder().kH(1).kW(1).sH(1).sW(1).pH(0).pW(0).dH(1).dW(1)
                .paddingMode(PaddingMode.VALID).dataFormat(Conv2DConfig.NCHW).weightsFormat(WeightsFormat.YXIO)
                .build();
        double coefficient = convention == Convention.PYTORCH ? alpha / size : alpha;
        // [b, c, h, w] -> the same shape: per position, the sum of squares over the channel window
        SDVariable sumSquares = sd.cnn().conv2d(sd.math().square(input), window, sum);
        SDVariable denominator = sd.math().pow(sumSquares.mul(coefficient).add(k), beta);
        return input.div(denominator);
    }

    /** The {@code [1, 1, c, c]} (YXIO) 0/1 matrix whose (in, out) entry is 1 when channel in lies in out's window. */
    static INDArray windowMatrix(long channels, int size) {
        INDArray m = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.DOUBLE, 1, 1, channels, channels);
        for (long out = 0; out < channels; out++) {
            long from = Math.max(0, out - size / 2);
            long to = Math.min(channels - 1, out + (size - 1) / 2);
            for (long in = from; in <= to; in++) {
                m.putScalar(new long[] {0, 0, in, out}, 1.0);
            }
        }
        return m;
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
            channels = requireNchw(inputType).getChannels();
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
}
