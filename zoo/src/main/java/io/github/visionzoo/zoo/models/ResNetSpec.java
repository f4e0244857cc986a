package io.github.visionzoo.zoo.models;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.visionzoo.zoo.ModelSpec;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * A ResNet ({@link ResNet}): block kind, blocks per stage, stem width (stage {@code i} is {@code width * 2^i} wide),
 * whether convolutions carry a bias, and the input size.
 *
 * @param block     basic (two 3x3) or bottleneck (1x1, 3x3, 1x1 with expansion 4)
 * @param layers    blocks per stage, e.g. {@code [3, 4, 6, 3]}
 * @param width     channels of the stem and of the first stage, 64 in the paper
 * @param convBias  a bias on every convolution (the reference study's ResNet34); the paper has none
 * @param imageSize input height and width; global average pooling accepts any size from 32 up
 */
public record ResNetSpec(Block block, List<Integer> layers, int width, boolean convBias, int imageSize)
        implements ModelSpec {

    /** The residual block kinds. */
    public enum Block {
        @JsonProperty("basic") BASIC,
        @JsonProperty("bottleneck") BOTTLENECK
    }

    public ResNetSpec {
        if (block == null) {
            throw new IllegalArgumentException("ResNetSpec.block is required: basic or bottleneck");
        }
        if (layers == null || layers.isEmpty() || layers.stream().anyMatch(n -> n == null || n < 1)) {
            throw new IllegalArgumentException("ResNetSpec.layers must list at least one stage, each with >= 1 block,"
                    + " e.g. [3, 4, 6, 3]; was " + layers);
        }
        if (width < 1) {
            throw new IllegalArgumentException("ResNetSpec.width must be >= 1 (64 in the paper), was " + width);
        }
        int minSize = 1 << (layers.size() + 1);
        if (imageSize < minSize) {
            throw new IllegalArgumentException("ResNetSpec.imageSize must be >= " + minSize + " for "
                    + layers.size() + " stages (each halves the size after the /4 stem), was " + imageSize);
        }
        layers = List.copyOf(layers);
    }

    public static ResNetSpec resnet18() {
        return new ResNetSpec(Block.BASIC, List.of(2, 2, 2, 2), 64, false, 224);
    }

    public static ResNetSpec resnet34() {
        return new ResNetSpec(Block.BASIC, List.of(3, 4, 6, 3), 64, false, 224);
    }

    public static ResNetSpec resnet50() {
        return new ResNetSpec(Block.BOTTLENECK, List.of(3, 4, 6, 3), 64, false, 224);
    }

    /** The reference study's ResNet34: a bias on every convolution. */
    public static ResNetSpec resnet34ConvBias() {
        return new ResNetSpec(Block.BASIC, List.of(3, 4, 6, 3), 64, true, 224);
    }

    @Override
    public String headName() {
        return ResNet.HEAD;
    }

    @Override
    public ComputationGraphConfiguration configuration(int numClasses, long seed) {
        return ResNet.configuration(this, numClasses, seed);
    }

    @Override
    public ResNetSpec withImageSize(int imageSize) {
        return new ResNetSpec(block, layers, width, convBias, imageSize);
    }
}
