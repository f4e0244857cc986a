package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.ModelSpec;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * A Vision Transformer ({@link VisionTransformer}): torchvision's {@code VisionTransformer} arguments.
 *
 * <pre>{"family":"vit","patchSize":16,"hiddenDim":768,"numLayers":12,"numHeads":12,"mlpDim":3072,
 *  "dropout":0.0,"attentionDropout":0.0,"imageSize":224}</pre>
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
 *                         ({@link VisionTransformer#resizePositionEmbedding})
 */
public record VitSpec(int patchSize, int hiddenDim, int numLayers, int numHeads, int mlpDim, double dropout,
                      double attentionDropout, int imageSize) implements ModelSpec {

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

    @Override
    public String headName() {
        return VisionTransformer.HEAD;
    }

    @Override
    public ComputationGraphConfiguration configuration(int numClasses, long seed) {
        return VisionTransformer.configuration(this, numClasses, seed);
    }

    @Override
    public VitSpec withImageSize(int imageSize) {
        return new VitSpec(patchSize, hiddenDim, numLayers, numHeads, mlpDim, dropout, attentionDropout, imageSize);
    }
}
