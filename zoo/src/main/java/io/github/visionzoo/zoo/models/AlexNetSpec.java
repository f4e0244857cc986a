package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.ModelSpec;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * An AlexNet ({@link AlexNet}): the five convolution widths, the first convolution's padding, local response
 * normalization after the first two, whether an adaptive 6x6 pool frees the input size, the classifier's hidden
 * width and dropout, and the input size.
 *
 * @param widths        output channels of the five convolutions: {@code [96, 256, 384, 384, 256]} in the paper
 * @param conv1Padding  padding of the 11x11/4 convolution: 0 in the paper (227 px in), 2 in torchvision (224 px in)
 * @param lrn           local response normalization after conv1 and conv2 (the paper), or none (torchvision)
 * @param adaptivePool  an adaptive average pool to 6x6 before the classifier (torchvision); without it the classifier
 *                      takes exactly the 6x6 map that {@code imageSize} must produce
 * @param hidden        units of the two hidden classifier layers, 4096 in the paper
 * @param dropout       drop probability before the first two classifier layers, 0.5 in the paper
 * @param imageSize     input height and width
 */
public record AlexNetSpec(List<Integer> widths, int conv1Padding, boolean lrn, boolean adaptivePool, int hidden,
                          double dropout, int imageSize) implements ModelSpec {

    public AlexNetSpec {
        if (widths == null || widths.size() != 5 || widths.stream().anyMatch(w -> w == null || w < 1)) {
            throw new IllegalArgumentException("AlexNetSpec.widths must give 5 convolution widths >= 1, e.g. "
                    + "[96, 256, 384, 384, 256]; was " + widths);
        }
        if (conv1Padding < 0) {
            throw new IllegalArgumentException("AlexNetSpec.conv1Padding must be >= 0, was " + conv1Padding);
        }
        if (hidden < 1) {
            throw new IllegalArgumentException("AlexNetSpec.hidden must be >= 1 (4096 in the paper), was " + hidden);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("AlexNetSpec.dropout must be in [0, 1), was " + dropout);
        }
        int features = AlexNet.featureMapSize(imageSize, conv1Padding);
        if (!adaptivePool && features != AlexNet.POOL_SIZE) {
            int paper = AlexNet.smallestInputSize(conv1Padding, AlexNet.POOL_SIZE);
            throw new IllegalArgumentException("AlexNet without adaptive pooling takes " + paper + "x" + paper
                    + " images: its first classifier layer expects a 6x6 feature map, and imageSize " + imageSize
                    + " gives " + Math.max(features, 0) + "x" + Math.max(features, 0) + ". Use imageSize " + paper
                    + ", or alexnet_tv, which pools adaptively and takes any size");
        }
        if (features < 1) {
            throw new IllegalArgumentException("AlexNetSpec.imageSize " + imageSize + " is too small: the features "
                    + "shrink it to nothing; use at least " + AlexNet.smallestInputSize(conv1Padding, 1));
        }
        widths = List.copyOf(widths);
    }

    /** The paper's AlexNet as the reference study trained it: LRN after conv1 and conv2, 227 px input. */
    public static AlexNetSpec alexnet() {
        return new AlexNetSpec(List.of(96, 256, 384, 384, 256), 0, true, false, 4096, 0.5, 227);
    }

    /** torchvision's {@code alexnet}: 64-192-384-256-256 channels, no LRN, adaptive 6x6 pool, 224 px input. */
    public static AlexNetSpec alexnetTorchvision() {
        return new AlexNetSpec(List.of(64, 192, 384, 256, 256), 2, false, true, 4096, 0.5, 224);
    }

    @Override
    public String headName() {
        return AlexNet.HEAD;
    }

    @Override
    public ComputationGraphConfiguration configuration(int numClasses, long seed) {
        return AlexNet.configuration(this, numClasses, seed);
    }

    @Override
    public AlexNetSpec withImageSize(int imageSize) {
        return new AlexNetSpec(widths, conv1Padding, lrn, adaptivePool, hidden, dropout, imageSize);
    }
}
