package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.init.TorchInit;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * ResNet: He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016 (arXiv:1512.03385).
 *
 * <p>Follows torchvision's {@code resnet.py}: a 7x7/2 stem with batch norm and ReLU, a 3x3/2 max pool, four stages of
 * basic or bottleneck blocks ({@link ResidualBlocks}), the first without and the others with stride 2, projection
 * shortcuts (the paper's option B) only where the shape changes, global average pooling and a linear classifier.
 * Vertex names are torchvision's state-dict names ({@code conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, fc}).
 *
 * <p>Initialization as torchvision: convolutions Kaiming normal (fan-out, ReLU gain), batch norm gamma 1 and beta 0,
 * the classifier PyTorch's default uniform weights. Departures: the classifier's bias starts at 0 (DL4J initializes
 * biases to a constant, PyTorch draws them uniformly); ReLUs are fused into the batch-norm layer before them. The
 * stride of a bottleneck sits on its 3x3 convolution, as torchvision's ("v1.5"), not on the first 1x1 as the paper's.
 */
public final class ResNet {
    /** The classifier vertex. */
    public static final String HEAD = "fc";

    private ResNet() {
    }

    public static ComputationGraphConfiguration configuration(ResNetSpec spec, int numClasses, long seed) {
        Models.requireClasses(numClasses);
        int size = spec.imageSize();
        GraphBuilder g = Blocks.newGraph(seed, 3, size, size);
        TorchInit convInit = TorchInit.kaimingNormalFanOut();

        // [b, 3, s, s] -> [b, w, s/2, s/2] -> [b, w, s/4, s/4]
        String x = Blocks.conv(g, "conv1", Blocks.INPUT, spec.width(), 7, 2, 3, spec.convBias(), Activation.IDENTITY,
                convInit, 0.0);
        x = Blocks.batchNorm(g, "bn1", x, Activation.RELU);
        x = Blocks.maxPool(g, "maxpool", x, 3, 2, 1);

        int channels = spec.width();
        for (int stage = 0; stage < spec.layers().size(); stage++) {
            int width = spec.width() << stage;
            for (int i = 0; i < spec.layers().get(stage); i++) {
                String prefix = "layer" + (stage + 1) + "." + i;
                int stride = (stage > 0 && i == 0) ? 2 : 1;
                if (spec.block() == ResNetSpec.Block.BASIC) {
                    x = ResidualBlocks.basic(g, prefix, x, channels, width, stride, spec.convBias(), convInit);
                    channels = width;
                } else {
                    x = ResidualBlocks.bottleneck(g, prefix, x, channels, width, stride, spec.convBias(), convInit);
                    channels = width * ResidualBlocks.BOTTLENECK_EXPANSION;
                }
            }
        }
        // [b, c, h, w] -> [b, c] -> [b, classes]
        x = Blocks.globalAvgPool(g, "avgpool", x);
        Blocks.classifier(g, HEAD, x, numClasses, 0.0, TorchInit.torchDefault());
        return Blocks.build(g);
    }
}
