package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.layers.AdaptiveAvgPool2d;
import io.github.visionzoo.zoo.layers.LocalResponseNorm;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.zoo.weights.PretrainedWeights.EvalTransform;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.activations.Activation;

/**
 * AlexNet: Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep Convolutional Neural Networks",
 * NIPS 2012.
 *
 * <p>{@link #alexnet()} follows the paper as the reference study trained it: conv 96@11x11/4, ReLU, LRN,
 * max pool 3/2, conv 256@5x5 pad 2, ReLU, LRN, max pool, conv 384, 384, 256 @3x3 pad 1, max pool, then dropout 0.5,
 * FC 4096, ReLU, dropout, FC 4096, ReLU, FC classes, on 227x227 inputs (the paper's "224" does not add up to its
 * 55x55 first map; 227 does). LRN uses PyTorch's convention with size 5, alpha 1e-4, beta 0.75, k 2
 * ({@link LocalResponseNorm}). Departure: the paper split conv2, conv4 and conv5 into two groups over two GPUs; like
 * the reference study and torchvision, this AlexNet runs them whole (58,322,314 parameters at 10 classes).
 * {@link #alexnetTorchvision()} is torchvision's variant, for its weights.
 *
 * <p>Initialization as the paper: weights N(0, 0.01); biases 1 in conv2, conv4, conv5 and the hidden FC layers, 0
 * elsewhere. The torchvision variant uses PyTorch's default uniform init with zero biases.
 *
 * <p>Vertex names are torchvision's {@code Sequential} indices ({@code features.0}, {@code classifier.1}, ...,
 * {@code classifier.6}), counting the paper model's LRN modules as torchvision would; ReLUs are fused into the layer
 * before them and dropout applies to the input of the next linear layer.
 *
 * <p>The record holds the architecture: the five convolution widths, the first convolution's padding, local response
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

    /** The classifier vertex. */
    public static final String HEAD = "classifier.6";
    /** Side of the last feature map that the classifier takes. */
    public static final int POOL_SIZE = 6;

    /** The family's registration: its names, its JSON tag {@code alexnet}, its builder and head. */
    public static final ModelFamily<AlexNetSpec> FAMILY = ModelFamily.of("alexnet", AlexNetSpec.class, HEAD,
                    AlexNetSpec::build)
            .withVariant("alexnet", alexnet(), "AlexNet (Krizhevsky et al. 2012), LRN after conv1 and conv2")
            .withVariant("alexnet_tv", alexnetTorchvision(), "torchvision's AlexNet: 64-192-384-256-256, no LRN")
            .withoutWeights("alexnet", "the paper's AlexNet (96-256-384-384-256 with LRN, 227 px) as the reference "
                    + "study trained it; neither torchvision nor timm publishes weights for it, torchvision's are for "
                    + "its own variant, alexnet_tv")
            .withWeights(PretrainedWeights.torchvision("alexnet_tv", "IMAGENET1K_V1",
                    "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", EvalTransform.torchvision(224),
                    61_100_840, 56.522, 79.066,
                    "https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg"));

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
        int features = featureMapSize(imageSize, conv1Padding);
        if (!adaptivePool && features != POOL_SIZE) {
            int paper = smallestInputSize(conv1Padding, POOL_SIZE);
            throw new IllegalArgumentException("AlexNet without adaptive pooling takes " + paper + "x" + paper
                    + " images: its first classifier layer expects a 6x6 feature map, and imageSize " + imageSize
                    + " gives " + Math.max(features, 0) + "x" + Math.max(features, 0) + ". Use imageSize " + paper
                    + ", or alexnet_tv, which pools adaptively and takes any size");
        }
        if (features < 1) {
            throw new IllegalArgumentException("AlexNetSpec.imageSize " + imageSize + " is too small: the features "
                    + "shrink it to nothing; use at least " + smallestInputSize(conv1Padding, 1));
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
    public ModelFamily<AlexNetSpec> family() {
        return FAMILY;
    }

    @Override
    public AlexNetSpec withImageSize(int imageSize) {
        return new AlexNetSpec(widths, conv1Padding, lrn, adaptivePool, hidden, dropout, imageSize);
    }

    private static ComputationGraphConfiguration build(AlexNetSpec spec, int numClasses, long seed) {
        Models.requireClasses(numClasses);
        GraphBuilder g = Blocks.newGraph(seed, 3, spec.imageSize(), spec.imageSize());
        boolean paper = !spec.adaptivePool();
        IWeightInit init = paper ? TorchInit.normal(0.01) : TorchInit.torchDefault();
        double oneIfPaper = paper ? 1.0 : 0.0;
        var w = spec.widths();

        // [b, 3, 227, 227] -> [b, 96, 55, 55] -> [b, 96, 27, 27]
        int[] index = {0};
        String x = convRelu(g, index, Blocks.INPUT, w.get(0), 11, 4, spec.conv1Padding(), init, 0.0);
        x = lrnIf(spec, g, index, x);
        x = Blocks.maxPool(g, "features." + index[0]++, x, 3, 2, 0);
        // -> [b, 256, 27, 27] -> [b, 256, 13, 13]
        x = convRelu(g, index, x, w.get(1), 5, 1, 2, init, oneIfPaper);
        x = lrnIf(spec, g, index, x);
        x = Blocks.maxPool(g, "features." + index[0]++, x, 3, 2, 0);
        // -> [b, 384, 13, 13] -> [b, 384, 13, 13] -> [b, 256, 13, 13] -> [b, 256, 6, 6]
        x = convRelu(g, index, x, w.get(2), 3, 1, 1, init, 0.0);
        x = convRelu(g, index, x, w.get(3), 3, 1, 1, init, oneIfPaper);
        x = convRelu(g, index, x, w.get(4), 3, 1, 1, init, oneIfPaper);
        x = Blocks.maxPool(g, "features." + index[0]++, x, 3, 2, 0);
        if (spec.adaptivePool()) {
            g.addLayer("avgpool", new AdaptiveAvgPool2d(POOL_SIZE, POOL_SIZE), x);
            x = "avgpool";
        }
        // [b, 256, 6, 6] -> [b, 9216] -> [b, 4096] -> [b, 4096] -> [b, classes]
        x = Blocks.dense(g, "classifier.1", x, spec.hidden(), Activation.RELU, spec.dropout(), init, oneIfPaper);
        x = Blocks.dense(g, "classifier.4", x, spec.hidden(), Activation.RELU, spec.dropout(), init, oneIfPaper);
        Blocks.classifier(g, HEAD, x, numClasses, 0.0, init);
        return Blocks.build(g);
    }

    /** A convolution with its ReLU fused; advances the torchvision index past both. */
    private static String convRelu(GraphBuilder g, int[] index, String input, int nOut, int kernel, int stride,
                                   int padding, IWeightInit init, double biasInit) {
        String name = "features." + index[0];
        index[0] += 2;
        return Blocks.conv(g, name, input, nOut, kernel, stride, padding, true, Activation.RELU, init, biasInit);
    }

    private static String lrnIf(AlexNetSpec spec, GraphBuilder g, int[] index, String input) {
        if (!spec.lrn()) {
            return input;
        }
        String name = "features." + index[0]++;
        g.addLayer(name, new LocalResponseNorm(), input);
        return name;
    }

    /** Side of the feature map after the five convolutions and three pools, PyTorch's arithmetic. */
    static int featureMapSize(int imageSize, int conv1Padding) {
        int s = Models.outSize(imageSize, 11, 4, conv1Padding);
        s = Models.outSize(s, 3, 2, 0);
        s = Models.outSize(s, 3, 2, 0);
        return Models.outSize(s, 3, 2, 0);
    }

    /** The smallest input size whose feature map is at least {@code side} x {@code side}. */
    static int smallestInputSize(int conv1Padding, int side) {
        for (int s = 1; s < 4096; s++) {
            if (featureMapSize(s, conv1Padding) >= side) {
                return s;
            }
        }
        throw new IllegalStateException("no input size gives a " + side + "x" + side + " map");
    }
}
