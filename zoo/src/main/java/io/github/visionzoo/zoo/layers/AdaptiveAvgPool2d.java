package io.github.visionzoo.zoo.layers;

import java.util.Map;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PyTorch's {@code nn.AdaptiveAvgPool2d((outHeight, outWidth))} on {@code [b, c, h, w]}, which DL4J lacks: output
 * cell {@code (i, j)} averages input rows {@code [floor(i*h/oh), ceil((i+1)*h/oh))} and the same for columns. Smaller
 * inputs are stretched (a cell repeats), which is how torchvision's VGG and AlexNet accept any image size.
 *
 * <p>The pooling is one fixed {@code [h*w, oh*ow]} matrix product, so it is exact for every size and its gradient is
 * the transposed product. The input size is fixed when the graph is configured.
 */
public class AdaptiveAvgPool2d extends ZooSameDiffLayer {
    private static final long serialVersionUID = 1L;

    private int outHeight;
    private int outWidth;
    private long inHeight;
    private long inWidth;
    private long channels;

    /** For JSON. */
    public AdaptiveAvgPool2d() {
    }

    public AdaptiveAvgPool2d(int outHeight, int outWidth) {
        if (outHeight < 1 || outWidth < 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d output size must be >= 1, was "
                    + outHeight + "x" + outWidth);
        }
        this.outHeight = outHeight;
        this.outWidth = outWidth;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable pool = sd.constant("pool_matrix", poolMatrix().castTo(input.dataType()));
        // [b, c, h, w] -> [b*c, h*w] -> [b*c, oh*ow] -> [b, c, oh, ow]
        SDVariable flat = input.reshape(-1, inHeight * inWidth);
        return flat.mmul(pool).reshape(-1, channels, outHeight, outWidth);
    }

    INDArray poolMatrix() {
        INDArray m = Nd4j.zeros(DataType.DOUBLE, inHeight * inWidth, (long) outHeight * outWidth);
        for (int i = 0; i < outHeight; i++) {
            long h0 = Math.floorDiv(i * inHeight, outHeight);
            long h1 = -Math.floorDiv(-(i + 1) * inHeight, outHeight);
            for (int j = 0; j < outWidth; j++) {
                long w0 = Math.floorDiv(j * inWidth, outWidth);
                long w1 = -Math.floorDiv(-(j + 1) * inWidth, outWidth);
                double weight = 1.0 / ((h1 - h0) * (w1 - w0));
                for (long h = h0; h < h1; h++) {
                    for (long w = w0; w < w1; w++) {
                        m.putScalar(h * inWidth + w, (long) i * outWidth + j, weight);
                    }
                }
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
        InputType.InputTypeConvolutional c = requireNchw(inputType);
        return InputType.convolutional(outHeight, outWidth, c.getChannels());
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (channels == 0 || override) {
            InputType.InputTypeConvolutional c = requireNchw(inputType);
            channels = c.getChannels();
            inHeight = c.getHeight();
            inWidth = c.getWidth();
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    public int getOutHeight() {
        return outHeight;
    }

    public void setOutHeight(int outHeight) {
        this.outHeight = outHeight;
    }

    public int getOutWidth() {
        return outWidth;
    }

    public void setOutWidth(int outWidth) {
        this.outWidth = outWidth;
    }

    public long getInHeight() {
        return inHeight;
    }

    public void setInHeight(long inHeight) {
        this.inHeight = inHeight;
    }

    public long getInWidth() {
        return inWidth;
    }

    public void setInWidth(long inWidth) {
        this.inWidth = inWidth;
    }

    public long getChannels() {
        return channels;
    }

    public void setChannels(long channels) {
        this.channels = channels;
    }
}
