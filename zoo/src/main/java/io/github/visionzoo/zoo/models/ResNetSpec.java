package io.github.visionzoo.zoo.models;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.imagenette.transform.Interpolation;
import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.zoo.weights.PretrainedWeights.EvalTransform;
import java.util.List;
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
 *
 * <p>The record holds the architecture: block kind, blocks per stage, stem width (stage {@code i} is
 * {@code width * 2^i} wide), whether convolutions carry a bias, and the input size.
 *
 * @param block     basic (two 3x3) or bottleneck (1x1, 3x3, 1x1 with expansion 4)
 * @param layers    blocks per stage, e.g. {@code [3, 4, 6, 3]}
 * @param width     channels of the stem and of the first stage, 64 in the paper
 * @param convBias  a bias on every convolution (the reference study's ResNet34); the paper has none
 * @param imageSize input height and width; global average pooling accepts any size from 32 up
 */
public record ResNetSpec(Block block, List<Integer> layers, int width, boolean convBias, int imageSize)
        implements ModelSpec {

    /** The classifier vertex. */
    public static final String HEAD = "fc";

    private static final String RECIPE =
            "https://github.com/pytorch/vision/tree/main/references/classification#resnet";

    /** The family's registration: its names, its JSON tag {@code resnet}, its builder, head and weights. */
    public static final ModelFamily<ResNetSpec> FAMILY = ModelFamily.of("resnet", ResNetSpec.class, HEAD,
                    ResNetSpec::build)
            .withVariant("resnet18", resnet18(), "ResNet-18 (He et al. 2015), basic blocks [2,2,2,2]")
            .withVariant("resnet34", resnet34(), "ResNet-34, basic blocks [3,4,6,3]")
            .withVariant("resnet50", resnet50(), "ResNet-50, bottleneck blocks [3,4,6,3]")
            .withVariant("resnet34_convbias", resnet34ConvBias(),
                    "the reference study's ResNet-34: a bias on every convolution")
            .withWeights(PretrainedWeights.torchvision("resnet18", "IMAGENET1K_V1",
                    "https://download.pytorch.org/models/resnet18-f37072fd.pth", EvalTransform.torchvision(224),
                    11_689_512, 69.758, 89.078, RECIPE))
            .withWeights(PretrainedWeights.torchvision("resnet34", "IMAGENET1K_V1",
                    "https://download.pytorch.org/models/resnet34-b627a593.pth", EvalTransform.torchvision(224),
                    21_797_672, 73.314, 91.42, RECIPE))
            // torchvision's DEFAULT, so listed first
            .withWeights(PretrainedWeights.torchvision("resnet50", "IMAGENET1K_V2",
                    "https://download.pytorch.org/models/resnet50-11ad3fa6.pth",
                    EvalTransform.torchvision(224, 232, Interpolation.BILINEAR), 25_557_032, 80.858, 95.434,
                    "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621"))
            .withWeights(PretrainedWeights.torchvision("resnet50", "IMAGENET1K_V1",
                    "https://download.pytorch.org/models/resnet50-0676ba61.pth", EvalTransform.torchvision(224),
                    25_557_032, 76.13, 92.862, RECIPE))
            .withoutWeights("resnet34_convbias", "the reference study's variant with a bias on every convolution; "
                    + "torchvision's and timm's ResNets have none, so no published file fits it");

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
    public ModelFamily<ResNetSpec> family() {
        return FAMILY;
    }

    @Override
    public ResNetSpec withImageSize(int imageSize) {
        return new ResNetSpec(block, layers, width, convBias, imageSize);
    }

    private static ComputationGraphConfiguration build(ResNetSpec spec, int numClasses, long seed) {
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
                if (spec.block() == Block.BASIC) {
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
