package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.layers.AdaptiveAvgPool2d;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * VGG: Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR 2015
 * (arXiv:1409.1556), configurations A, B, D and E ({@link VggSpec#vgg11()} ... {@link VggSpec#vgg19()}).
 *
 * <p>Follows torchvision's {@code vgg.py}: {@code features} holds 3x3 convolutions with padding 1 and ReLU, a 2x2/2
 * max pool after each stage; {@code avgpool} adapts the feature map to 7x7; {@code classifier} is Linear-ReLU-Dropout
 * twice and the last Linear. Vertex names are torchvision's indices ({@code features.0}, {@code features.2}, ...,
 * {@code classifier.0}, {@code classifier.3}, {@code classifier.6}): each ReLU is fused into the layer before it, so
 * its index is not a vertex, and dropout is applied on the input of the next linear layer (DL4J's way).
 *
 * <p>Initialization: Xavier (Glorot) uniform with the ReLU gain sqrt(2) for every weight, biases 0 (the paper
 * initialized its deeper nets from shallower ones and later noted Glorot's init works as well). Departure:
 * torchvision itself uses Kaiming normal for convolutions and N(0, 0.01) for linear layers. The {@code avgpool}
 * vertex is left out when the feature map is already 7x7 (at 224 px), where it is the identity.
 */
public final class Vgg {
    /** The classifier vertex. */
    public static final String HEAD = "classifier.6";
    /** torchvision's adaptive pool output, which fixes the classifier's input at {@code 512 * 7 * 7}. */
    public static final int POOL_SIZE = 7;

    private Vgg() {
    }

    public static ComputationGraphConfiguration configuration(VggSpec spec, int numClasses, long seed) {
        Models.requireClasses(numClasses);
        int size = spec.imageSize();
        GraphBuilder g = Blocks.newGraph(seed, 3, size, size);
        TorchInit init = TorchInit.xavierUniform(Math.sqrt(2.0));

        String x = Blocks.INPUT;
        int index = 0;
        for (int stage = 0; stage < spec.convsPerStage().size(); stage++) {
            for (int i = 0; i < spec.convsPerStage().get(stage); i++) {
                Activation act = spec.batchNorm() ? Activation.IDENTITY : Activation.RELU;
                x = Blocks.conv(g, "features." + index++, x, spec.widths().get(stage), 3, 1, 1, true, act, init, 0.0);
                if (spec.batchNorm()) {
                    x = Blocks.batchNorm(g, "features." + index++, x, Activation.RELU);
                }
                index++; // the ReLU's index
            }
            // [b, c, h, w] -> [b, c, h/2, w/2]
            x = Blocks.maxPool(g, "features." + index++, x, 2, 2, 0);
            size = Models.outSize(size, 2, 2, 0);
        }
        if (size != POOL_SIZE) {
            // [b, 512, h, w] -> [b, 512, 7, 7]
            g.addLayer("avgpool", new AdaptiveAvgPool2d(POOL_SIZE, POOL_SIZE), x);
            x = "avgpool";
        }
        // [b, 512, 7, 7] -> [b, 25088] -> [b, hidden] -> [b, hidden] -> [b, classes]
        x = Blocks.dense(g, "classifier.0", x, spec.hidden(), Activation.RELU, 0.0, init, 0.0);
        x = Blocks.dense(g, "classifier.3", x, spec.hidden(), Activation.RELU, spec.dropout(), init, 0.0);
        Blocks.classifier(g, HEAD, x, numClasses, spec.dropout(), init);
        return Blocks.build(g);
    }
}
