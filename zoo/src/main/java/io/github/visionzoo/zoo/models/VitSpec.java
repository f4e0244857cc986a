package io.github.visionzoo.zoo.models;

import static io.github.visionzoo.zoo.weights.PretrainedWeights.torchvision;

import io.github.visionzoo.imagenette.transform.Interpolation;
import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.zoo.weights.PretrainedWeights.EvalTransform;
import io.github.visionzoo.zoo.models.TransformerBlocks.Layout;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The Vision Transformer: Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image Recognition at
 * Scale", ICLR 2021 (arXiv:2010.11929).
 *
 * <p>Follows torchvision's {@code vision_transformer.py}: a patch embedding ({@code conv_proj}, a convolution with
 * kernel = stride = patch size) with a learned class token and position embedding ({@link
 * io.github.visionzoo.zoo.layers.PatchEmbedding}), {@code numLayers} pre-norm encoder blocks
 * ({@code x + MHA(LN(x))}, then {@code x + MLP(LN(x))}, {@link io.github.visionzoo.zoo.layers.EncoderBlock}), a final
 * layer norm ({@code encoder.ln}) and a linear classifier ({@code heads.head}) on the class token. Layer norms use
 * epsilon 1e-6, the MLP exact GELU, as torchvision. Vertex names are torchvision's state-dict names:
 *
 * <pre>
 *   input [b, 3, s, s]
 *   conv_proj                         [b, 1 + N, D]   (also class_token and encoder.pos_embedding)
 *   encoder.layers.encoder_layer_0    [b, 1 + N, D]
 *   ...
 *   encoder.ln                        [b, D]          (the class token's features)
 *   heads.head                        [b, classes]    (softmax; DL4J's OutputLayer)
 * </pre>
 *
 * <p>Token sequences are DL4J recurrent activations in {@code NWC} layout, {@code [b, T, D]}: PyTorch's
 * {@code batch_first} layout, in which every projection is a matrix product over the last axis without transposes.
 *
 * <p><b>One layer per encoder block.</b> Each block is one {@link io.github.visionzoo.zoo.layers.EncoderBlock}
 * ({@link Layout#FUSED}) with its forward and backward passes written out, rather than four SameDiff layers and two
 * additions ({@link Layout#SEPARATE}, same parameters and numbers). SameDiff layers in DL4J 1.0.0-M2.1 run their
 * forward pass again inside backprop and keep every intermediate array, so the fused block trains faster in less
 * memory (src/docs/PERFORMANCE.md). The separate layout stays for reading and testing the pieces one at a time.
 *
 * <p><b>Initialization</b> as torchvision: class token 0, position embedding normal (std 0.02), LeCun normal patch
 * kernel with zero bias, attention input projection Xavier uniform with zero biases, attention output projection
 * PyTorch's default {@code nn.Linear} init with zero bias (torchvision leaves it to {@code nn.MultiheadAttention}),
 * MLP weights Xavier uniform with biases normal (std 1e-6), layer norms 1 and 0, and a zero classifier (weights and
 * bias).
 *
 * <p><b>Departures.</b> The final layer norm normalizes the class token only, the only token the classifier reads (the
 * same numbers). The patch convolution is computed as one matrix product of the non-overlapping patches (the same
 * sum). torchvision's {@code representation_size} (a pre-logits layer) and convolutional stems are not offered. The
 * classifier is DL4J's softmax output layer, so {@code output()} gives probabilities, not logits.
 *
 * <p>The record holds torchvision's {@code VisionTransformer} arguments:
 *
 * <pre>{"family":"vit","patchSize":16,"hiddenDim":768,"numLayers":12,"numHeads":12,"mlpDim":3072,
 *  "dropout":0.0,"attentionDropout":0.0,"imageSize":224}</pre>
 *
 * <p>Weight import also reads timm's tensor names ({@code patch_embed.proj}, {@code blocks.0.attn.qkv}, ...), so that
 * timm's {@code vit_tiny_patch16_224} and {@code vit_small_patch16_224} weights load into {@code vit_ti_16} and
 * {@code vit_s_16}: the tensors are laid out alike (timm's fused {@code attn.qkv} is torchvision's {@code in_proj}: q,
 * k and v stacked on the first axis); torchvision's older {@code mlp.linear_1}/{@code mlp.linear_2} names are read
 * too.
 *
 * @param patchSize        side of the square patches; it must divide {@code imageSize}
 * @param hiddenDim        the embedding size {@code D}; {@code numHeads} must divide it
 * @param numLayers        encoder blocks
 * @param numHeads         attention heads per block
 * @param mlpDim           hidden width of each block's MLP
 * @param dropout          torchvision's {@code dropout}: after the position embedding, after each attention and twice
 *                         in each MLP; in {@code [0, 1)}, 0 in torchvision's models
 * @param attentionDropout on the attention probabilities; in {@code [0, 1)}, 0 in torchvision's models
 * @param imageSize        input height and width; a ViT can train at 64-128 px on a CPU, and weights saved at another
 *                         size need their position embedding resized
 *                         ({@link #resizePositionEmbedding})
 */
public record VitSpec(int patchSize, int hiddenDim, int numLayers, int numHeads, int mlpDim, double dropout,
                      double attentionDropout, int imageSize) implements ModelSpec {

    /** The classifier vertex. */
    public static final String HEAD = "heads.head";
    /** The patch embedding vertex (with the class token and the position embedding). */
    public static final String EMBEDDING = "conv_proj";
    /** The final layer norm vertex. */
    public static final String FINAL_NORM = "encoder.ln";

    private static final String TV_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification";
    private static final String SWAG = "https://github.com/facebookresearch/SWAG";
    private static final String SWAG_LINEAR = "https://github.com/pytorch/vision/pull/5793";
    private static final String SWAG_LICENCE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE";
    private static final String AUGREG = "https://arxiv.org/abs/2106.10270";
    /** timm's {@code _cfg} for its ViTs: 224 px, crop_pct 0.9, bicubic, the Inception mean and std of 0.5. */
    private static final EvalTransform TIMM_EVAL = EvalTransform.timm(224, 0.9, Interpolation.BICUBIC,
            EvalTransform.INCEPTION_MEAN, EvalTransform.INCEPTION_STD);

    /** The family's registration: its names, its JSON tag {@code vit}, its builder, head, timm's names and weights. */
    public static final ModelFamily<VitSpec> FAMILY = ModelFamily.of("vit", VitSpec.class, HEAD,
                    (spec, numClasses, seed) -> spec.configuration(numClasses, seed, Layout.FUSED))
            .withRecipe("cpu-transformer")
            .withVariant("vit_ti_16", vitTi16(), "ViT-Ti/16 (DeiT-Ti): D 192, 12 blocks, 3 heads, MLP 768")
            .withVariant("vit_s_16", vitS16(), "ViT-S/16 (DeiT-S): D 384, 12 blocks, 6 heads, MLP 1536")
            .withVariant("vit_b_16", vitB16(), "ViT-B/16 (Dosovitskiy et al. 2021): D 768, 12 blocks, 12 heads")
            .withVariant("vit_b_32", vitB32(), "ViT-B/32: ViT-B with 32x32 patches")
            .withVariant("vit_l_16", vitL16(), "ViT-L/16: D 1024, 24 blocks, 16 heads, MLP 4096")
            .withStateDictNames(VitSpec::torchvisionName)
            // timm's, for the sizes torchvision does not publish: "How to train your ViT" (AugReg) weights
            .withWeights(PretrainedWeights.timm("vit_ti_16", "vit_tiny_patch16_224", "augreg_in21k_ft_in1k", TIMM_EVAL,
                    5_717_416, 75.452, 92.858, AUGREG))
            .withWeights(PretrainedWeights.timm("vit_s_16", "vit_small_patch16_224", "augreg_in21k_ft_in1k", TIMM_EVAL,
                    22_050_664, 81.402, 96.150, AUGREG))
            .withWeights(PretrainedWeights.timm("vit_s_16", "vit_small_patch16_224", "augreg_in1k", TIMM_EVAL,
                    22_050_664, 78.842, 94.280, AUGREG))
            .withWeights(torchvision("vit_b_16", "IMAGENET1K_V1", "https://download.pytorch.org/models/vit_b_16-c867db91"
                    + ".pth", EvalTransform.torchvision(224), 86_567_656, 81.072, 95.318, TV_RECIPE + "#vit_b_16"))
            .withWeights(torchvision("vit_b_16", "IMAGENET1K_SWAG_E2E_V1", "https://download.pytorch.org/models/"
                    + "vit_b_16_swag-9ac1b537.pth", EvalTransform.torchvision(384, 384, Interpolation.BICUBIC),
                    86_859_496, 85.304, 97.65, SWAG).withLicence(SWAG_LICENCE))
            .withWeights(torchvision("vit_b_16", "IMAGENET1K_SWAG_LINEAR_V1", "https://download.pytorch.org/models/"
                    + "vit_b_16_lc_swag-4e70ced5.pth", EvalTransform.torchvision(224, 224, Interpolation.BICUBIC),
                    86_567_656, 81.886, 96.18, SWAG_LINEAR).withLicence(SWAG_LICENCE))
            .withWeights(torchvision("vit_b_32", "IMAGENET1K_V1", "https://download.pytorch.org/models/vit_b_32-d86f8d99"
                    + ".pth", EvalTransform.torchvision(224), 88_224_232, 75.912, 92.466, TV_RECIPE + "#vit_b_32"))
            .withWeights(torchvision("vit_l_16", "IMAGENET1K_V1", "https://download.pytorch.org/models/vit_l_16-852ce7e3"
                    + ".pth", EvalTransform.torchvision(224, 242, Interpolation.BILINEAR), 304_326_632, 79.662, 94.638,
                    TV_RECIPE + "#vit_l_16"))
            .withWeights(torchvision("vit_l_16", "IMAGENET1K_SWAG_E2E_V1", "https://download.pytorch.org/models/"
                    + "vit_l_16_swag-4f3808c9.pth", EvalTransform.torchvision(512, 512, Interpolation.BICUBIC),
                    305_174_504, 88.064, 98.512, SWAG).withLicence(SWAG_LICENCE))
            .withWeights(torchvision("vit_l_16", "IMAGENET1K_SWAG_LINEAR_V1", "https://download.pytorch.org/models/"
                    + "vit_l_16_lc_swag-4d563306.pth", EvalTransform.torchvision(224, 224, Interpolation.BICUBIC),
                    304_326_632, 85.146, 97.422, SWAG_LINEAR).withLicence(SWAG_LICENCE));

    public VitSpec {
        if (patchSize < 1) {
            throw new IllegalArgumentException("VitSpec.patchSize must be >= 1 (16 or 32 in the paper), was "
                    + patchSize);
        }
        if (imageSize < patchSize || imageSize % patchSize != 0) {
            throw new IllegalArgumentException("VitSpec.imageSize must be a positive multiple of patchSize "
                    + patchSize + ", was " + imageSize);
        }
        if (hiddenDim < 1) {
            throw new IllegalArgumentException("VitSpec.hiddenDim must be >= 1 (768 for ViT-B), was " + hiddenDim);
        }
        if (numLayers < 1) {
            throw new IllegalArgumentException("VitSpec.numLayers must be >= 1 (12 for ViT-B), was " + numLayers);
        }
        if (numHeads < 1 || hiddenDim % numHeads != 0) {
            throw new IllegalArgumentException("VitSpec.numHeads must be >= 1 and divide hiddenDim " + hiddenDim
                    + ", was " + numHeads);
        }
        if (mlpDim < 1) {
            throw new IllegalArgumentException("VitSpec.mlpDim must be >= 1 (4 * hiddenDim in the paper), was "
                    + mlpDim);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("VitSpec.dropout must be in [0, 1), was " + dropout);
        }
        if (!(attentionDropout >= 0 && attentionDropout < 1)) {
            throw new IllegalArgumentException("VitSpec.attentionDropout must be in [0, 1), was " + attentionDropout);
        }
    }

    /** ViT-Ti/16 (DeiT-Ti, Touvron et al. 2021): D 192, 12 blocks, 3 heads, MLP 768. */
    public static VitSpec vitTi16() {
        return new VitSpec(16, 192, 12, 3, 768, 0.0, 0.0, 224);
    }

    /** ViT-S/16 (DeiT-S): D 384, 12 blocks, 6 heads, MLP 1536. */
    public static VitSpec vitS16() {
        return new VitSpec(16, 384, 12, 6, 1536, 0.0, 0.0, 224);
    }

    /** ViT-B/16 (the paper's ViT-Base, torchvision's {@code vit_b_16}): D 768, 12 blocks, 12 heads, MLP 3072. */
    public static VitSpec vitB16() {
        return new VitSpec(16, 768, 12, 12, 3072, 0.0, 0.0, 224);
    }

    /** ViT-B/32 (torchvision's {@code vit_b_32}). */
    public static VitSpec vitB32() {
        return new VitSpec(32, 768, 12, 12, 3072, 0.0, 0.0, 224);
    }

    /** ViT-L/16 (the paper's ViT-Large, torchvision's {@code vit_l_16}): D 1024, 24 blocks, 16 heads, MLP 4096. */
    public static VitSpec vitL16() {
        return new VitSpec(16, 1024, 24, 16, 4096, 0.0, 0.0, 224);
    }

    /** Patches per side. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** Tokens per image: the class token and the patches. */
    public int seqLength() {
        return 1 + gridSize() * gridSize();
    }

    /** The same architecture with other dropout rates (for instance 0.1 to train from scratch). */
    public VitSpec withDropout(double dropout, double attentionDropout) {
        return new VitSpec(patchSize, hiddenDim, numLayers, numHeads, mlpDim, dropout, attentionDropout, imageSize);
    }

    /** The vertex name of encoder block {@code i}, torchvision's module name. */
    public static String blockName(int i) {
        return "encoder.layers.encoder_layer_" + i;
    }

    @Override
    public ModelFamily<VitSpec> family() {
        return FAMILY;
    }

    @Override
    public VitSpec withImageSize(int imageSize) {
        return new VitSpec(patchSize, hiddenDim, numLayers, numHeads, mlpDim, dropout, attentionDropout, imageSize);
    }

    /** The configuration with the encoder blocks in the given layout ({@link Layout#FUSED} is the default). */
    public ComputationGraphConfiguration configuration(int numClasses, long seed, Layout layout) {
        return configuration(numClasses, seed, layout, DataType.FLOAT);
    }

    /** The same in another data type ({@code DOUBLE} for gradient checks). */
    public ComputationGraphConfiguration configuration(int numClasses, long seed, Layout layout,
                                                       DataType dataType) {
        Models.requireClasses(numClasses);
        GraphBuilder g = Blocks.newGraph(seed, dataType, 3, imageSize, imageSize);
        // [b, 3, s, s] -> [b, 1 + N, D]
        String x = TransformerBlocks.patchEmbedding(g, EMBEDDING, Blocks.INPUT, patchSize, hiddenDim, dropout);
        for (int i = 0; i < numLayers; i++) {
            x = TransformerBlocks.encoderBlock(g, blockName(i), x, numHeads, mlpDim, dropout, attentionDropout,
                    layout);
        }
        // [b, 1 + N, D] -> [b, D] -> [b, classes]
        x = TransformerBlocks.layerNorm(g, FINAL_NORM, x, true);
        Blocks.classifier(g, HEAD, x, numClasses, 0.0, TorchInit.zeros());
        return Blocks.build(g);
    }

    /**
     * A position embedding {@code [1, 1 + g*g, D]} resized to another patch grid {@code [1, 1 + n*n, D]}, for weights
     * saved at one image size loaded into a model of another: the class token's row is kept, and the patch rows, as a
     * {@code g x g} image with {@code D} channels, are resized by bilinear interpolation with
     * {@code align_corners=False}, as {@code F.interpolate(mode="bilinear", align_corners=False)} and timm's
     * {@code resample_abs_pos_embed} with {@code interpolation="bilinear"}. No antialiasing is applied (it only
     * matters when shrinking; timm's default is bicubic with antialiasing). Returns a new array of the input's type.
     *
     * @throws IllegalArgumentException when the input is not {@code [1, 1 + g*g, D]} or {@code newGrid < 1}
     */
    public static INDArray resizePositionEmbedding(INDArray posEmbedding, int newGrid) {
        if (posEmbedding.rank() != 3 || posEmbedding.size(0) != 1) {
            throw new IllegalArgumentException("a position embedding is [1, 1 + g*g, D], got "
                    + java.util.Arrays.toString(posEmbedding.shape()));
        }
        long patches = posEmbedding.size(1) - 1;
        int oldGrid = (int) Math.round(Math.sqrt(patches));
        if (patches < 1 || (long) oldGrid * oldGrid != patches) {
            throw new IllegalArgumentException("a position embedding is [1, 1 + g*g, D] for a square grid of g*g "
                    + "patches, got " + (patches + 1) + " rows");
        }
        if (newGrid < 1) {
            throw new IllegalArgumentException("newGrid must be >= 1, was " + newGrid);
        }
        long dim = posEmbedding.size(2);
        INDArray rows = posEmbedding.reshape(patches + 1, dim).castTo(DataType.DOUBLE);
        INDArray classRow = rows.get(NDArrayIndex.interval(0, 1), NDArrayIndex.all());
        INDArray grid = rows.get(NDArrayIndex.interval(1, patches + 1), NDArrayIndex.all());
        // out[(i, j)] = sum over (y, x) of wy[i][y] * wx[j][x] * in[(y, x)]: one [n*n, g*g] matrix
        double[][] w = bilinearWeights(oldGrid, newGrid);
        INDArray m = Nd4j.zeros(DataType.DOUBLE, (long) newGrid * newGrid, patches);
        for (int i = 0; i < newGrid; i++) {
            for (int j = 0; j < newGrid; j++) {
                for (int y = 0; y < oldGrid; y++) {
                    for (int x = 0; x < oldGrid; x++) {
                        double v = w[i][y] * w[j][x];
                        if (v != 0) {
                            m.putScalar((long) i * newGrid + j, (long) y * oldGrid + x, v);
                        }
                    }
                }
            }
        }
        INDArray resized = Nd4j.concat(0, classRow, m.mmul(grid));
        return resized.reshape(1, 1 + (long) newGrid * newGrid, dim).castTo(posEmbedding.dataType());
    }

    /** PyTorch's 1-D linear interpolation weights, {@code align_corners=False}: {@code [out][in]}. */
    static double[][] bilinearWeights(int in, int out) {
        double[][] w = new double[out][in];
        double scale = (double) in / out;
        for (int i = 0; i < out; i++) {
            double src = Math.max((i + 0.5) * scale - 0.5, 0.0);
            int i0 = Math.min((int) src, in - 1);
            int i1 = Math.min(i0 + 1, in - 1);
            double l1 = src - i0;
            w[i][i0] += 1.0 - l1;
            w[i][i1] += l1;
        }
        return w;
    }

    /** A rename of timm's: a tensor name matching {@code from} becomes {@code to}, with its groups. */
    private record Rule(Pattern from, String to) {
    }

    private static final String LAYER = "encoder.layers.encoder_layer_$1.";
    private static final List<Rule> RULES = List.of(
            rule("patch_embed\\.proj\\.(weight|bias)", "conv_proj.$1"),
            rule("cls_token", "class_token"),
            rule("pos_embed", "encoder.pos_embedding"),
            rule("blocks\\.(\\d+)\\.norm1\\.(weight|bias)", LAYER + "ln_1.$2"),
            rule("blocks\\.(\\d+)\\.norm2\\.(weight|bias)", LAYER + "ln_2.$2"),
            rule("blocks\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)", LAYER + "self_attention.in_proj_$2"),
            rule("blocks\\.(\\d+)\\.attn\\.proj\\.(weight|bias)", LAYER + "self_attention.out_proj.$2"),
            rule("blocks\\.(\\d+)\\.mlp\\.fc1\\.(weight|bias)", LAYER + "mlp.0.$2"),
            rule("blocks\\.(\\d+)\\.mlp\\.fc2\\.(weight|bias)", LAYER + "mlp.3.$2"),
            rule("norm\\.(weight|bias)", "encoder.ln.$1"),
            rule("head\\.(weight|bias)", "heads.head.$1"),
            rule("(encoder\\.layers\\.encoder_layer_\\d+)\\.mlp\\.linear_1\\.(weight|bias)", "$1.mlp.0.$2"),
            rule("(encoder\\.layers\\.encoder_layer_\\d+)\\.mlp\\.linear_2\\.(weight|bias)", "$1.mlp.3.$2"));

    private static Rule rule(String from, String to) {
        return new Rule(Pattern.compile(from), to);
    }

    /** torchvision's name for a tensor of timm's (or torchvision's older) naming; other names pass unchanged. */
    private static String torchvisionName(String name) {
        for (Rule r : RULES) {
            Matcher m = r.from().matcher(name);
            if (m.matches()) {
                return m.replaceFirst(r.to());
            }
        }
        return name;
    }
}
