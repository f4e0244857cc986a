package io.github.visionzoo.zoo.models;

import io.github.visionzoo.imagenette.transform.Interpolation;
import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.layers.LayerNorm;
import io.github.visionzoo.zoo.layers.MlpBlock;
import io.github.visionzoo.zoo.layers.PatchMerging;
import io.github.visionzoo.zoo.layers.PatchPartition;
import io.github.visionzoo.zoo.layers.ResidualAdd;
import io.github.visionzoo.zoo.layers.ShiftedWindowAttention;
import io.github.visionzoo.zoo.layers.StochasticDepth;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.zoo.weights.PretrainedWeights.EvalTransform;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The Swin Transformer: Liu et al., "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows", ICCV
 * 2021 (arXiv:2103.14030), as torchvision's {@code swin_transformer.py} (V1): a patch partition and linear embedding
 * ({@link PatchPartition}), four stages of Swin blocks with patch merging between them ({@link PatchMerging}), a final
 * layer norm, average pooling and a linear head. Each block is pre-norm,
 * {@code x + SD(attn(norm1(x)))} then {@code x + SD(mlp(norm2(x)))}, with window attention ({@link
 * ShiftedWindowAttention}; shifted by half a window in every second block), an MLP with exact GELU ({@link MlpBlock})
 * and stochastic depth ({@link StochasticDepth}, rising linearly from 0 at the first block to
 * {@code stochasticDepthProb} at the last, as torchvision). Layer norms use epsilon 1e-5.
 *
 * <p>Activations are the tokens of the square feature map, row by row, {@code [b, s*s, C]} (DL4J recurrent,
 * {@code NWC}): torchvision's channels-last {@code [b, s, s, C]} flattened, so layer norms, linear layers and the
 * residual additions need no permutes. Vertex names are torchvision's modules:
 *
 * <pre>
 *   input [b, 3, S, S]
 *   features.0                      [b, (S/4)^2, C]        patch partition + embedding + LayerNorm
 *   features.1.0 ... features.1.{d1-1}                     stage 1 blocks: .norm1 .attn .stochastic_depth_1
 *                                                          .residual_1 .norm2 .mlp .stochastic_depth_2 .residual_2
 *   features.2                      [b, (S/8)^2, 2C]       patch merging
 *   features.3.*, features.4, features.5.*, features.6, features.7.*
 *   norm                            [b, (S/32)^2, 8C]
 *   avgpool                         [b, 8C]
 *   head                            [b, classes]           (softmax; DL4J's OutputLayer)
 * </pre>
 *
 * <p>A stochastic depth vertex exists only where its probability is above 0 (not in the first block); state-dict
 * names are the vertex names plus torchvision's parameter names ({@code features.1.0.attn.qkv.weight},
 * {@code features.2.reduction.weight}), so torchvision's weights import by name. The buffers
 * {@code relative_position_index} are ignored on import and written on export.
 *
 * <p><b>Initialization</b> as torchvision's {@code SwinTransformer}: every linear weight (attention, MLP, patch
 * merging, head) and the relative position bias tables normal with std 0.02 ({@code trunc_normal_}; its cut lies 100
 * standard deviations out), their biases 0, layer norms 1 and 0, the patch convolution PyTorch's default.
 *
 * <p><b>Departures.</b> Square inputs only (the spec has one image size). The classifier is DL4J's softmax output
 * layer, so {@code output()} gives probabilities, not logits. Swin V2 is not offered.
 *
 * <p>The record holds torchvision's {@code SwinTransformer} arguments:
 *
 * <pre>{"family":"swin","patchSize":4,"embedDim":96,"depths":[2,2,6,2],"numHeads":[3,6,12,24],"windowSize":7,
 *  "mlpRatio":4.0,"dropout":0.0,"attentionDropout":0.0,"stochasticDepthProb":0.2,"imageSize":224}</pre>
 *
 * @param patchSize           side of the square patches of the embedding; it must divide {@code imageSize}
 * @param embedDim            the first stage's width {@code C}; stage {@code i} has {@code C * 2^i}
 * @param depths              blocks per stage
 * @param numHeads            attention heads per stage; each must divide its stage's width
 * @param windowSize          side of the attention windows
 * @param mlpRatio            the MLP's hidden width over the block's width
 * @param dropout             after the attention's projection and twice in each MLP, in {@code [0, 1)}
 * @param attentionDropout    on the attention probabilities, in {@code [0, 1)}
 * @param stochasticDepthProb the last block's stochastic depth probability, in {@code [0, 1)}
 * @param imageSize           input height and width
 */
public record SwinSpec(int patchSize, int embedDim, List<Integer> depths, List<Integer> numHeads, int windowSize,
                       double mlpRatio, double dropout, double attentionDropout, double stochasticDepthProb,
                       int imageSize) implements ModelSpec {

    /** The classifier vertex. */
    public static final String HEAD = "head";
    /** The patch partition vertex. */
    public static final String EMBEDDING = "features.0";
    /** The final layer norm and pooling vertices. */
    public static final String FINAL_NORM = "norm";
    public static final String POOL = "avgpool";
    /** torchvision's layer-norm epsilon for the Swin Transformer. */
    public static final double LAYER_NORM_EPS = 1e-5;
    /** The std of every linear weight and bias table at initialization. */
    static final double INIT_STD = 0.02;

    /** The family's registration: its names, its JSON tag {@code swin}, its builder and head. */
    /** torchvision's training recipe of its Swin weights. */
    private static final String RECIPE =
            "https://github.com/pytorch/vision/tree/main/references/classification#swintransformer";

    public static final ModelFamily<SwinSpec> FAMILY = ModelFamily.of("swin", SwinSpec.class, HEAD,
                    (spec, numClasses, seed) -> spec.configuration(numClasses, seed, DataType.FLOAT))
            .withRecipe("cpu-transformer")
            .withVariant("swin_t", swinT(), "Swin-T (Liu et al. 2021): C 96, blocks [2,2,6,2], window 7")
            .withVariant("swin_s", swinS(), "Swin-S: C 96, blocks [2,2,18,2], window 7")
            .withVariant("swin_b", swinB(), "Swin-B: C 128, blocks [2,2,18,2], window 7")
            .withWeights(PretrainedWeights.torchvision("swin_t", "IMAGENET1K_V1",
                    "https://download.pytorch.org/models/swin_t-704ceda3.pth",
                    EvalTransform.torchvision(224, 232, Interpolation.BICUBIC), 28_288_354, 81.474, 95.776, RECIPE))
            .withWeights(PretrainedWeights.torchvision("swin_s", "IMAGENET1K_V1",
                    "https://download.pytorch.org/models/swin_s-5e29d889.pth",
                    EvalTransform.torchvision(224, 246, Interpolation.BICUBIC), 49_606_258, 83.196, 96.36, RECIPE))
            .withWeights(PretrainedWeights.torchvision("swin_b", "IMAGENET1K_V1",
                    "https://download.pytorch.org/models/swin_b-68c6b09e.pth",
                    EvalTransform.torchvision(224, 238, Interpolation.BICUBIC), 87_768_224, 83.582, 96.64, RECIPE));

    public SwinSpec {
        if (patchSize < 1) {
            throw new IllegalArgumentException("SwinSpec.patchSize must be >= 1 (4 in the paper), was " + patchSize);
        }
        if (imageSize < patchSize || imageSize % patchSize != 0) {
            throw new IllegalArgumentException("SwinSpec.imageSize must be a positive multiple of patchSize "
                    + patchSize + ", was " + imageSize);
        }
        if (embedDim < 1) {
            throw new IllegalArgumentException("SwinSpec.embedDim must be >= 1 (96 for Swin-T), was " + embedDim);
        }
        if (depths == null || depths.isEmpty() || depths.stream().anyMatch(d -> d == null || d < 1)) {
            throw new IllegalArgumentException("SwinSpec.depths must list at least one stage, each with >= 1 block, "
                    + "was " + depths);
        }
        if (numHeads == null || numHeads.size() != depths.size()) {
            throw new IllegalArgumentException("SwinSpec.numHeads must give one head count per stage ("
                    + depths.size() + "), was " + numHeads);
        }
        for (int i = 0; i < numHeads.size(); i++) {
            Integer h = numHeads.get(i);
            long width = (long) embedDim << i;
            if (h == null || h < 1 || width % h != 0) {
                throw new IllegalArgumentException("SwinSpec.numHeads[" + i + "] must be >= 1 and divide the stage's "
                        + "width " + width + ", was " + h);
            }
        }
        if (windowSize < 1) {
            throw new IllegalArgumentException("SwinSpec.windowSize must be >= 1 (7 in the paper), was "
                    + windowSize);
        }
        if (!(mlpRatio > 0)) {
            throw new IllegalArgumentException("SwinSpec.mlpRatio must be > 0 (4 in the paper), was " + mlpRatio);
        }
        for (double[] rate : new double[][] {{dropout}, {attentionDropout}, {stochasticDepthProb}}) {
            if (!(rate[0] >= 0 && rate[0] < 1)) {
                throw new IllegalArgumentException("SwinSpec.dropout, attentionDropout and stochasticDepthProb must "
                        + "be in [0, 1), were " + dropout + ", " + attentionDropout + ", " + stochasticDepthProb);
            }
        }
        depths = List.copyOf(depths);
        numHeads = List.copyOf(numHeads);
    }

    /** Swin-T, torchvision's {@code swin_t}: C 96, depths [2,2,6,2], heads [3,6,12,24], stochastic depth 0.2. */
    public static SwinSpec swinT() {
        return new SwinSpec(4, 96, List.of(2, 2, 6, 2), List.of(3, 6, 12, 24), 7, 4.0, 0.0, 0.0, 0.2, 224);
    }

    /** Swin-S, torchvision's {@code swin_s}: C 96, depths [2,2,18,2], heads [3,6,12,24], stochastic depth 0.3. */
    public static SwinSpec swinS() {
        return new SwinSpec(4, 96, List.of(2, 2, 18, 2), List.of(3, 6, 12, 24), 7, 4.0, 0.0, 0.0, 0.3, 224);
    }

    /** Swin-B, torchvision's {@code swin_b}: C 128, depths [2,2,18,2], heads [4,8,16,32], stochastic depth 0.5. */
    public static SwinSpec swinB() {
        return new SwinSpec(4, 128, List.of(2, 2, 18, 2), List.of(4, 8, 16, 32), 7, 4.0, 0.0, 0.0, 0.5, 224);
    }

    @Override
    public ModelFamily<SwinSpec> family() {
        return FAMILY;
    }

    @Override
    public SwinSpec withImageSize(int imageSize) {
        return new SwinSpec(patchSize, embedDim, depths, numHeads, windowSize, mlpRatio, dropout, attentionDropout,
                stochasticDepthProb, imageSize);
    }

    /** The same architecture with another stochastic depth probability (0 for none). */
    public SwinSpec withStochasticDepth(double stochasticDepthProb) {
        return new SwinSpec(patchSize, embedDim, depths, numHeads, windowSize, mlpRatio, dropout, attentionDropout,
                stochasticDepthProb, imageSize);
    }

    /** The vertex name of block {@code block} of stage {@code stage} (both from 0), torchvision's module name. */
    public static String blockName(int stage, int block) {
        return "features." + (2 * stage + 1) + "." + block;
    }

    /** The vertex name of the patch merging after stage {@code stage}. */
    public static String mergingName(int stage) {
        return "features." + (2 * stage + 2);
    }

    /** The configuration in another data type ({@code DOUBLE} for gradient checks). */
    public ComputationGraphConfiguration configuration(int numClasses, long seed, DataType dataType) {
        Models.requireClasses(numClasses);
        GraphBuilder g = Blocks.newGraph(seed, dataType, 3, imageSize, imageSize);
        // [b, 3, S, S] -> [b, (S/p)^2, C]
        g.addLayer(EMBEDDING, new PatchPartition(patchSize, embedDim, LAYER_NORM_EPS), Blocks.INPUT);
        String x = EMBEDDING;
        int total = depths.stream().mapToInt(Integer::intValue).sum();
        int blockId = 0;
        for (int stage = 0; stage < depths.size(); stage++) {
            int dim = embedDim << stage;
            for (int i = 0; i < depths.get(stage); i++) {
                double sd = total > 1 ? stochasticDepthProb * blockId / (total - 1) : 0.0;
                x = block(g, blockName(stage, i), x, dim, numHeads.get(stage), i % 2 == 0 ? 0 : windowSize / 2, sd);
                blockId++;
            }
            if (stage < depths.size() - 1) {
                // [b, s*s, C] -> [b, ceil(s/2)^2, 2C]
                g.addLayer(mergingName(stage), new PatchMerging(LAYER_NORM_EPS), x);
                x = mergingName(stage);
            }
        }
        g.addLayer(FINAL_NORM, new LayerNorm(LAYER_NORM_EPS, false), x);
        // [b, s*s, 8C] -> [b, 8C]
        g.addLayer(POOL, new GlobalPoolingLayer.Builder(PoolingType.AVG).poolingDimensions(1).build(), FINAL_NORM);
        Blocks.classifier(g, HEAD, POOL, numClasses, 0.0, TorchInit.normal(INIT_STD));
        return Blocks.build(g);
    }

    /** One Swin block under {@code prefix}; returns its output vertex. */
    private String block(GraphBuilder g, String prefix, String input, int dim, int heads, int shift,
                         double stochasticDepth) {
        g.addLayer(prefix + ".norm1", new LayerNorm(LAYER_NORM_EPS, false), input);
        g.addLayer(prefix + ".attn", new ShiftedWindowAttention(heads, windowSize, shift, attentionDropout, dropout),
                prefix + ".norm1");
        String attn = dropPath(g, prefix + ".stochastic_depth_1", prefix + ".attn", stochasticDepth);
        g.addVertex(prefix + ".residual_1", new ResidualAdd(), input, attn);
        g.addLayer(prefix + ".norm2", new LayerNorm(LAYER_NORM_EPS, false), prefix + ".residual_1");
        g.addLayer(prefix + ".mlp", new MlpBlock((int) (dim * mlpRatio), dropout, INIT_STD), prefix + ".norm2");
        String mlp = dropPath(g, prefix + ".stochastic_depth_2", prefix + ".mlp", stochasticDepth);
        g.addVertex(prefix + ".residual_2", new ResidualAdd(), prefix + ".residual_1",
                mlp);
        return prefix + ".residual_2";
    }

    private static String dropPath(GraphBuilder g, String name, String input, double p) {
        if (p == 0) {
            return input;
        }
        g.addLayer(name, new StochasticDepth(p), input);
        return name;
    }
}
