package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.layers.AddRelu;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.activations.Activation;

/**
 * The residual blocks of He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition" (CVPR 2016), each
 * added by one call under a name prefix such as {@code layer2.0}, with torchvision's names inside it
 * ({@code conv1, bn1, conv2, bn2[, conv3, bn3], downsample.0, downsample.1}), plus {@code relu} for the sum and its
 * activation ({@link AddRelu}), which torchvision applies inside {@code forward}.
 *
 * <p>Built from DL4J's native convolution and batch-norm layers, so oneDNN (CPU) and cuDNN (CUDA) run them. The
 * shortcut is the identity, or the paper's option B, a 1x1 projection with batch norm, where the stride or the
 * channel count changes. Bottlenecks put the stride on the 3x3 convolution (torchvision's "ResNet v1.5").
 */
public final class ResidualBlocks {
    /** Output channels of a bottleneck block per unit of its width. */
    public static final int BOTTLENECK_EXPANSION = 4;

    private ResidualBlocks() {
    }

    /**
     * Two 3x3 convolutions: {@code [b, inChannels, h, w] -> [b, outChannels, h/stride, w/stride]}.
     *
     * @return the name of the block's output vertex
     */
    public static String basic(GraphBuilder g, String prefix, String input, int inChannels, int outChannels,
                               int stride, boolean convBias, IWeightInit convInit) {
        String x = Blocks.conv(g, prefix + ".conv1", input, outChannels, 3, stride, 1, convBias, Activation.IDENTITY,
                convInit, 0.0);
        x = Blocks.batchNorm(g, prefix + ".bn1", x, Activation.RELU);
        x = Blocks.conv(g, prefix + ".conv2", x, outChannels, 3, 1, 1, convBias, Activation.IDENTITY, convInit, 0.0);
        x = Blocks.batchNorm(g, prefix + ".bn2", x, Activation.IDENTITY);
        return join(g, prefix, input, x, inChannels, outChannels, stride, convBias, convInit);
    }

    /**
     * 1x1 reduce to {@code width}, 3x3 with the stride, 1x1 expand to {@code width * 4}:
     * {@code [b, inChannels, h, w] -> [b, 4*width, h/stride, w/stride]}.
     *
     * @return the name of the block's output vertex
     */
    public static String bottleneck(GraphBuilder g, String prefix, String input, int inChannels, int width,
                                    int stride, boolean convBias, IWeightInit convInit) {
        int outChannels = width * BOTTLENECK_EXPANSION;
        String x = Blocks.conv(g, prefix + ".conv1", input, width, 1, 1, 0, convBias, Activation.IDENTITY, convInit,
                0.0);
        x = Blocks.batchNorm(g, prefix + ".bn1", x, Activation.RELU);
        x = Blocks.conv(g, prefix + ".conv2", x, width, 3, stride, 1, convBias, Activation.IDENTITY, convInit, 0.0);
        x = Blocks.batchNorm(g, prefix + ".bn2", x, Activation.RELU);
        x = Blocks.conv(g, prefix + ".conv3", x, outChannels, 1, 1, 0, convBias, Activation.IDENTITY, convInit, 0.0);
        x = Blocks.batchNorm(g, prefix + ".bn3", x, Activation.IDENTITY);
        return join(g, prefix, input, x, inChannels, outChannels, stride, convBias, convInit);
    }

    /** {@code relu(residual + shortcut(input))}, projecting the shortcut where the shape changes. */
    private static String join(GraphBuilder g, String prefix, String input, String residual, int inChannels,
                               int outChannels, int stride, boolean convBias, IWeightInit convInit) {
        String shortcut = input;
        if (stride != 1 || inChannels != outChannels) {
            shortcut = Blocks.conv(g, prefix + ".downsample.0", input, outChannels, 1, stride, 0, convBias,
                    Activation.IDENTITY, convInit, 0.0);
            shortcut = Blocks.batchNorm(g, prefix + ".downsample.1", shortcut, Activation.IDENTITY);
        }
        // [b, c, h, w] + [b, c, h, w] -> relu -> [b, c, h, w]
        g.addVertex(prefix + ".relu", new AddRelu(), residual, shortcut);
        return prefix + ".relu";
    }
}
