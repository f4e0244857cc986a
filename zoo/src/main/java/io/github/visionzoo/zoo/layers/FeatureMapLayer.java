package io.github.visionzoo.zoo.layers;

import org.deeplearning4j.nn.conf.inputs.InputType;

/**
 * A SameDiff layer from an image {@code [b, C, H, W]} (NCHW) to one of the same shape, the DaViT's layers: it keeps
 * the input's size and checks it. Subclasses define the parameters and the computation from {@link #getChannels()},
 * {@link #getHeight()} and {@link #getWidth()}; {@link ConvMlp}, {@link WindowAttention} and {@link ChannelAttention}
 * run that computation written out with its backward pass ({@link FeatureMapRowsImpl}), the SameDiff definition
 * standing as its reference.
 */
public abstract class FeatureMapLayer extends ZooSameDiffLayer implements TorchNamed, FeatureMapShape {
    private static final long serialVersionUID = 1L;

    private long channels;
    private long height;
    private long width;

    protected FeatureMapLayer() {
    }

    /** Checks the channel count against the layer's own settings (heads that must divide it); nothing by default. */
    protected void checkChannels(long channels) {
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeConvolutional c = requireNchw(inputType);
        return InputType.convolutional(c.getHeight(), c.getWidth(), c.getChannels());
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (channels == 0 || override) {
            InputType.InputTypeConvolutional c = requireNchw(inputType);
            checkChannels(c.getChannels());
            channels = c.getChannels();
            height = c.getHeight();
            width = c.getWidth();
            refreshParameters();
        }
    }

    @Override
    public long[] featureMapShape() {
        return new long[] {channels, height, width};
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
