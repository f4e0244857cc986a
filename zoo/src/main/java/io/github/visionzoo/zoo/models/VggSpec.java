package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.layers.AdaptiveAvgPool2d;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.zoo.weights.PretrainedWeights.EvalTransform;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.activations.Activation;

/**
 * VGG: Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR 2015
 * (arXiv:1409.1556), configurations A, B, D and E ({@link #vgg11()} ... {@link #vgg19()}).
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
 *
 * <p>The record holds the architecture: 3x3 convolutions per stage and their widths (each stage ends in a 2x2 max
 * pool), the classifier's hidden width and dropout, and the input size.
 *
 * @param convsPerStage 3x3 convolutions in each stage, e.g. configuration D (VGG16): {@code [2, 2, 3, 3, 3]}
 * @param widths        output channels of each stage, {@code [64, 128, 256, 512, 512]} in the paper
 * @param batchNorm     batch norm after every convolution (torchvision's {@code vgg16_bn}); the paper has none
 * @param hidden        units of the two hidden classifier layers, 4096 in the paper
 * @param dropout       drop probability before the second and third classifier layers, 0.5 in the paper
 * @param imageSize     input height and width; the adaptive 7x7 pool accepts any size from 32 up
 */
public record VggSpec(List<Integer> convsPerStage, List<Integer> widths, boolean batchNorm, int hidden,
                      double dropout, int imageSize) implements ModelSpec {

    /** The classifier vertex. */
    public static final String HEAD = "classifier.6";
    /** torchvision's adaptive pool output, which fixes the classifier's input at {@code 512 * 7 * 7}. */
    public static final int POOL_SIZE = 7;

    private static final List<Integer> PAPER_WIDTHS = List.of(64, 128, 256, 512, 512);

    /** The family's registration: its names, its JSON tag {@code vgg}, its builder and head. */
    public static final ModelFamily<VggSpec> FAMILY = ModelFamily.of("vgg", VggSpec.class, HEAD, VggSpec::build)
            .withVariant("vgg11", vgg11(), "VGG configuration A (Simonyan & Zisserman 2014)")
            .withVariant("vgg13", vgg13(), "VGG configuration B")
            .withVariant("vgg16", vgg16(), "VGG configuration D")
            .withVariant("vgg19", vgg19(), "VGG configuration E")
            .withWeights(torchvision("vgg11", "https://download.pytorch.org/models/vgg11-8a719046.pth", 132_863_336,
                    69.02, 88.628))
            .withWeights(torchvision("vgg13", "https://download.pytorch.org/models/vgg13-19584684.pth", 133_047_848,
                    69.928, 89.246))
            .withWeights(torchvision("vgg16", "https://download.pytorch.org/models/vgg16-397923af.pth", 138_357_544,
                    71.592, 90.382))
            .withWeights(torchvision("vgg19", "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth", 143_667_240,
                    72.376, 90.876));

    /**
     * torchvision's {@code IMAGENET1K_V1} of a VGG. Not listed: {@code VGG16_Weights.IMAGENET1K_FEATURES} (only its
     * {@code features} are trained, for SSD; its classifier is not, and it takes 0-255 inputs) and the weights of the
     * batch-norm VGGs ({@code vgg11_bn} ...), which no registered variant has.
     */
    private static PretrainedWeights torchvision(String model, String url, long numParams, double top1,
                                                 double top5) {
        return PretrainedWeights.torchvision(model, "IMAGENET1K_V1", url, EvalTransform.torchvision(224), numParams,
                top1, top5, "https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg");
    }

    public VggSpec {
        if (convsPerStage == null || convsPerStage.isEmpty()
                || convsPerStage.stream().anyMatch(n -> n == null || n < 1)) {
            throw new IllegalArgumentException("VggSpec.convsPerStage must list >= 1 convolutions per stage, "
                    + "e.g. [2, 2, 3, 3, 3]; was " + convsPerStage);
        }
        if (widths == null || widths.size() != convsPerStage.size() || widths.stream().anyMatch(w -> w == null || w < 1)) {
            throw new IllegalArgumentException("VggSpec.widths must give one width >= 1 per stage ("
                    + convsPerStage.size() + " stages), e.g. " + PAPER_WIDTHS + "; was " + widths);
        }
        if (hidden < 1) {
            throw new IllegalArgumentException("VggSpec.hidden must be >= 1 (4096 in the paper), was " + hidden);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("VggSpec.dropout must be in [0, 1), was " + dropout);
        }
        int minSize = 1 << convsPerStage.size();
        if (imageSize < minSize) {
            throw new IllegalArgumentException("VggSpec.imageSize must be >= " + minSize + " for "
                    + convsPerStage.size() + " pooling stages, was " + imageSize);
        }
        convsPerStage = List.copyOf(convsPerStage);
        widths = List.copyOf(widths);
    }

    /** Configuration A. */
    public static VggSpec vgg11() {
        return paper(List.of(1, 1, 2, 2, 2));
    }

    /** Configuration B. */
    public static VggSpec vgg13() {
        return paper(List.of(2, 2, 2, 2, 2));
    }

    /** Configuration D. */
    public static VggSpec vgg16() {
        return paper(List.of(2, 2, 3, 3, 3));
    }

    /** Configuration E. */
    public static VggSpec vgg19() {
        return paper(List.of(2, 2, 4, 4, 4));
    }

    private static VggSpec paper(List<Integer> convsPerStage) {
        return new VggSpec(convsPerStage, PAPER_WIDTHS, false, 4096, 0.5, 224);
    }

    @Override
    public ModelFamily<VggSpec> family() {
        return FAMILY;
    }

    @Override
    public VggSpec withImageSize(int imageSize) {
        return new VggSpec(convsPerStage, widths, batchNorm, hidden, dropout, imageSize);
    }

    private static ComputationGraphConfiguration build(VggSpec spec, int numClasses, long seed) {
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
