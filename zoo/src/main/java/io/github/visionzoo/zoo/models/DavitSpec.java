package io.github.visionzoo.zoo.models;

import io.github.visionzoo.imagenette.transform.Interpolation;
import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.layers.ChannelAttention;
import io.github.visionzoo.zoo.layers.ConvMlp;
import io.github.visionzoo.zoo.layers.ConvPosEnc;
import io.github.visionzoo.zoo.layers.LayerNorm;
import io.github.visionzoo.zoo.layers.QkvAttention;
import io.github.visionzoo.zoo.layers.ResidualAdd;
import io.github.visionzoo.zoo.layers.StochasticDepth;
import io.github.visionzoo.zoo.layers.WindowAttention;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.zoo.weights.PretrainedWeights.EvalTransform;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;

import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * DaViT: Ding, Xiao, Codella, Luo, Wang and Yuan, "DaViT: Dual Attention Vision Transformers", ECCV 2022
 * (arXiv:2204.03645).
 *
 * <p>Follows timm's {@code davit.py} (huggingface/pytorch-image-models, the version of {@code
 * src/tools/golden/golden_davit.py}): a stem ({@code stem.conv}, 7x7 stride 4 padding 3, overlapping, then
 * {@code stem.norm}, a layer norm over channels), four stages, each but the first opened by a downsampling
 * ({@code stages.i.downsample.norm}, then {@code .conv}, 2x2 stride 2), and in each stage {@code depths[i]} dual
 * attention blocks: a spatial block ({@code stages.i.blocks.j.0}, {@link WindowAttention}) and a channel block
 * ({@code stages.i.blocks.j.1}, {@link ChannelAttention}), each
 *
 * <pre>
 *   x = cpe1(x)                     x + depthwise 3x3 conv(x), {@link ConvPosEnc}
 *   x = x + attn(norm1(x))          window or channel group attention
 *   x = cpe2(x)
 *   x = x + mlp(norm2(x))           fc1, GELU, fc2 ({@link ConvMlp}), hidden width mlpRatio * C
 * </pre>
 *
 * then timm's {@code NormMlpClassifierHead}: global average pooling ({@code head.global_pool}), a layer norm
 * ({@code head.norm}) and the classifier ({@code head.fc}). Every layer norm has epsilon 1e-5. Activations stay images
 * {@code [b, C, H, W]} between layers; vertex names are timm's module names, so the parameters' state-dict names are
 * timm's ({@code stages.2.blocks.1.0.attn.qkv.weight}):
 *
 * <pre>
 *   input [b, 3, s, s]
 *   stem.conv, stem.norm                       [b, C0, s/4, s/4]
 *   stages.0.blocks.0.{0,1}.*                  [b, C0, s/4, s/4]
 *   stages.1.downsample.norm, .conv            [b, C1, s/8, s/8]
 *   ...
 *   head.global_pool, head.norm                [b, C3]
 *   head.fc                                    [b, classes]    (softmax; DL4J's OutputLayer)
 * </pre>
 *
 * <p><b>Initialization</b> as timm: linear layers (attention, MLP, classifier) normal with std 0.02 and zero bias,
 * convolutions PyTorch's default uniform, layer norms 1 and 0. Departure: the stem's and the downsampling's
 * convolution biases start at 0 (DL4J initializes biases to a constant; PyTorch draws them uniformly). The classifier
 * is DL4J's softmax output layer, so {@code output()} gives probabilities, not logits.
 *
 * <p><b>Stochastic depth</b> ({@code dropPathRate}, timm's {@code drop_path_rate}): a {@link StochasticDepth} vertex
 * ({@code .drop_path1}, {@code .drop_path2}) on each residual branch, at timm's rates, rising linearly from 0 at the
 * first dual block to {@code dropPathRate} at the last, the same for a dual block's spatial and channel block. 0 in
 * the registered variants, as timm registers them; training from scratch wants some ({@link #withDropPathRate}).
 *
 * <p>The record holds timm's {@code DaVit} arguments:
 *
 * <pre>{"family":"davit","depths":[1,1,3,1],"embedDims":[96,192,384,768],"numHeads":[3,6,12,24],"windowSize":7,
 *  "mlpRatio":4.0,"dropPathRate":0.0,"imageSize":224}</pre>
 *
 * @param depths     dual attention blocks per stage
 * @param embedDims  channels per stage
 * @param numHeads   attention heads (and channel groups) per stage; each must divide its stage's channels
 * @param windowSize the side of the spatial attention's windows, 7 in timm; feature maps are padded to whole windows
 * @param mlpRatio   the MLPs' hidden width over the channels, 4 in timm
 * @param dropPathRate the stochastic depth rate of the last dual block, in {@code [0, 1)}
 * @param imageSize  input height and width, a multiple of {@code 4 * 2^(stages - 1)} (32 for four stages) so that
 *                   every stage halves its input exactly; DaViT trains at 64-128 px on a CPU
 */
public record DavitSpec(List<Integer> depths, List<Integer> embedDims, List<Integer> numHeads, int windowSize,
                        double mlpRatio, double dropPathRate, int imageSize) implements ModelSpec {

    /** The classifier vertex. */
    public static final String HEAD = "head.fc";
    /** The layer norm before the classifier. */
    public static final String HEAD_NORM = "head.norm";
    /** timm's DaViT layer-norm epsilon ({@code norm_eps}). */
    public static final double LAYER_NORM_EPS = 1e-5;

    /** timm's {@code _cfg} for its DaViTs: 224 px, crop_pct 0.95, bicubic, ImageNet's mean and std. */
    private static final EvalTransform TIMM_EVAL = EvalTransform.timm(224, 0.95, Interpolation.BICUBIC,
            EvalTransform.IMAGENET_MEAN, EvalTransform.IMAGENET_STD);
    /** The authors' release, which timm's msft_in1k files convert. */
    private static final String SOURCE = "https://github.com/dingmyu/davit";

    /** The family's registration: its names, its JSON tag {@code davit}, its builder and head. */
    public static final ModelFamily<DavitSpec> FAMILY = ModelFamily.of("davit", DavitSpec.class, HEAD,
                    (spec, numClasses, seed) -> spec.configuration(numClasses, seed, DataType.FLOAT))
            .withRecipe("cpu-transformer")
            .withVariant("davit_tiny", davitTiny(), "DaViT-T (Ding et al. 2022): C 96, blocks [1,1,3,1]")
            .withVariant("davit_small", davitSmall(), "DaViT-S: C 96, blocks [1,1,9,1]")
            .withVariant("davit_base", davitBase(), "DaViT-B: C 128, blocks [1,1,9,1]")
            // the authors' ImageNet-1k weights as timm publishes them; top-1/top-5 from timm's results-imagenet.csv
            .withWeights(PretrainedWeights.timm("davit_tiny", "davit_tiny", "msft_in1k", TIMM_EVAL, 28_360_168,
                    82.694, 96.264, SOURCE))
            .withWeights(PretrainedWeights.timm("davit_small", "davit_small", "msft_in1k", TIMM_EVAL, 49_745_896,
                    84.252, 96.942, SOURCE))
            .withWeights(PretrainedWeights.timm("davit_base", "davit_base", "msft_in1k", TIMM_EVAL, 87_954_408,
                    84.652, 97.02, SOURCE));

    public DavitSpec {
        if (depths == null || depths.isEmpty() || depths.stream().anyMatch(n -> n == null || n < 1)) {
            throw new IllegalArgumentException("DavitSpec.depths must list at least one stage, each with >= 1 block,"
                    + " e.g. [1, 1, 3, 1]; was " + depths);
        }
        if (embedDims == null || embedDims.size() != depths.size()
                || embedDims.stream().anyMatch(n -> n == null || n < 1)) {
            throw new IllegalArgumentException("DavitSpec.embedDims must give one width >= 1 per stage ("
                    + depths.size() + "), e.g. [96, 192, 384, 768]; was " + embedDims);
        }
        if (numHeads == null || numHeads.size() != depths.size()) {
            throw new IllegalArgumentException("DavitSpec.numHeads must give one head count per stage ("
                    + depths.size() + "), e.g. [3, 6, 12, 24]; was " + numHeads);
        }
        for (int i = 0; i < depths.size(); i++) {
            Integer h = numHeads.get(i);
            if (h == null || h < 1 || embedDims.get(i) % h != 0) {
                throw new IllegalArgumentException("DavitSpec.numHeads[" + i + "] must be >= 1 and divide "
                        + "embedDims[" + i + "] " + embedDims.get(i) + ", was " + h);
            }
        }
        if (windowSize < 1) {
            throw new IllegalArgumentException("DavitSpec.windowSize must be >= 1 (7 in DaViT), was " + windowSize);
        }
        if (!(mlpRatio > 0) || (int) (embedDims.get(0) * mlpRatio) < 1) {
            throw new IllegalArgumentException("DavitSpec.mlpRatio must be > 0 (4 in DaViT), was " + mlpRatio);
        }
        if (!(dropPathRate >= 0 && dropPathRate < 1)) {
            throw new IllegalArgumentException("DavitSpec.dropPathRate must be in [0, 1), was " + dropPathRate);
        }
        int multiple = 4 << (depths.size() - 1);
        if (imageSize < multiple || imageSize % multiple != 0) {
            throw new IllegalArgumentException("DavitSpec.imageSize must be a positive multiple of " + multiple
                    + " for " + depths.size() + " stages (the stem divides by 4, each further stage by 2), was "
                    + imageSize);
        }
        depths = List.copyOf(depths);
        embedDims = List.copyOf(embedDims);
        numHeads = List.copyOf(numHeads);
    }

    /** timm's {@code davit_tiny}: 28,360,168 parameters with 1000 classes. */
    public static DavitSpec davitTiny() {
        return new DavitSpec(List.of(1, 1, 3, 1), List.of(96, 192, 384, 768), List.of(3, 6, 12, 24), 7, 4.0, 0.0, 224);
    }

    /** timm's {@code davit_small}: 49,745,896 parameters with 1000 classes. */
    public static DavitSpec davitSmall() {
        return new DavitSpec(List.of(1, 1, 9, 1), List.of(96, 192, 384, 768), List.of(3, 6, 12, 24), 7, 4.0, 0.0, 224);
    }

    /** timm's {@code davit_base}: 87,954,408 parameters with 1000 classes. */
    public static DavitSpec davitBase() {
        return new DavitSpec(List.of(1, 1, 9, 1), List.of(128, 256, 512, 1024), List.of(4, 8, 16, 32), 7, 4.0,
                0.0, 224);
    }

    @Override
    public ModelFamily<DavitSpec> family() {
        return FAMILY;
    }

    @Override
    public DavitSpec withImageSize(int imageSize) {
        return new DavitSpec(depths, embedDims, numHeads, windowSize, mlpRatio, dropPathRate, imageSize);
    }

    /** The same architecture with another stochastic depth rate. */
    public DavitSpec withDropPathRate(double dropPathRate) {
        return new DavitSpec(depths, embedDims, numHeads, windowSize, mlpRatio, dropPathRate, imageSize);
    }

    /**
     * The stochastic depth rate of dual block {@code index} (counted over all stages) of {@code total}, as timm's
     * {@code calculate_drop_path_rates}: {@code linspace(0, dropPathRate, total)}.
     */
    public double dropPathRate(int index, int total) {
        return total == 1 ? 0.0 : dropPathRate * index / (total - 1);
    }

    /** The vertex name prefix of block {@code kind} (0 spatial, 1 channel) of dual block {@code j} in stage {@code i}. */
    public static String blockName(int stage, int block, int kind) {
        return "stages." + stage + ".blocks." + block + "." + kind;
    }

    /** The configuration in another data type ({@code DOUBLE} for gradient checks). */
    public ComputationGraphConfiguration configuration(int numClasses, long seed, DataType dataType) {
        Models.requireClasses(numClasses);
        GraphBuilder g = Blocks.newGraph(seed, dataType, 3, imageSize, imageSize);
        TorchInit convInit = TorchInit.torchDefault();
        // [b, 3, s, s] -> [b, C0, s/4, s/4]
        String x = Blocks.conv(g, "stem.conv", Blocks.INPUT, embedDims.get(0), 7, 4, 3, true, Activation.IDENTITY,
                convInit, 0.0);
        x = layerNorm(g, "stem.norm", x);
        int total = depths.stream().mapToInt(Integer::intValue).sum();
        int index = 0;
        for (int i = 0; i < depths.size(); i++) {
            int dim = embedDims.get(i);
            if (i > 0) {
                // [b, C(i-1), h, w] -> [b, Ci, h/2, w/2]
                x = layerNorm(g, "stages." + i + ".downsample.norm", x);
                x = Blocks.conv(g, "stages." + i + ".downsample.conv", x, dim, 2, 2, 0, true, Activation.IDENTITY,
                        convInit, 0.0);
            }
            for (int j = 0; j < depths.get(i); j++, index++) {
                double rate = dropPathRate(index, total);
                x = block(g, blockName(i, j, 0), x, new WindowAttention(numHeads.get(i), windowSize), dim, rate);
                x = block(g, blockName(i, j, 1), x, new ChannelAttention(numHeads.get(i)), dim, rate);
            }
        }
        // [b, C, h, w] -> [b, C] -> [b, classes]
        x = Blocks.globalAvgPool(g, "head.global_pool", x);
        x = layerNorm(g, HEAD_NORM, x);
        Blocks.classifier(g, HEAD, x, numClasses, 0.0, TorchInit.normal(0.02));
        return Blocks.build(g);
    }

    /** timm's {@code SpatialBlock} or {@code ChannelBlock}, by its attention; returns the block's output vertex. */
    private String block(GraphBuilder g, String prefix, String input, QkvAttention attention, int dim,
                         double dropPath) {
        g.addLayer(prefix + ".cpe1", new ConvPosEnc(), input);
        String norm1 = layerNorm(g, prefix + ".norm1", prefix + ".cpe1");
        g.addLayer(prefix + ".attn", attention, norm1);
        String branch1 = dropPath(g, prefix + ".drop_path1", prefix + ".attn", dropPath);
        g.addVertex(prefix + ".residual1", new ResidualAdd(), prefix + ".cpe1",
                branch1);
        g.addLayer(prefix + ".cpe2", new ConvPosEnc(), prefix + ".residual1");
        String norm2 = layerNorm(g, prefix + ".norm2", prefix + ".cpe2");
        g.addLayer(prefix + ".mlp", new ConvMlp((int) (dim * mlpRatio)), norm2);
        String branch2 = dropPath(g, prefix + ".drop_path2", prefix + ".mlp", dropPath);
        g.addVertex(prefix + ".residual2", new ResidualAdd(), prefix + ".cpe2",
                branch2);
        return prefix + ".residual2";
    }

    /** A {@link StochasticDepth} vertex on a residual branch, or the branch itself at rate 0 (timm's Identity). */
    private static String dropPath(GraphBuilder g, String name, String branch, double rate) {
        if (rate == 0) {
            return branch;
        }
        g.addLayer(name, new StochasticDepth(rate), branch);
        return name;
    }

    private static String layerNorm(GraphBuilder g, String name, String input) {
        g.addLayer(name, new LayerNorm(LAYER_NORM_EPS, false), input);
        return name;
    }
}
