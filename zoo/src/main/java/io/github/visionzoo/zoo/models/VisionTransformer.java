package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.models.TransformerBlocks.Layout;
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
 * forward pass again inside backprop and keep every intermediate array; measured on 2 cores (batch 16, 224 px), a
 * vit_b_16 training step took 16.3 s with the encoder blocks as SameDiff layers and 8.8 s with
 * {@code EncoderBlock}. The separate layout stays for reading and testing the pieces one at a time.
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
 */
public final class VisionTransformer {
    /** The classifier vertex. */
    public static final String HEAD = "heads.head";
    /** The patch embedding vertex (with the class token and the position embedding). */
    public static final String EMBEDDING = "conv_proj";
    /** The final layer norm vertex. */
    public static final String FINAL_NORM = "encoder.ln";

    private VisionTransformer() {
    }

    /** The vertex name of encoder block {@code i}, torchvision's module name. */
    public static String blockName(int i) {
        return "encoder.layers.encoder_layer_" + i;
    }

    public static ComputationGraphConfiguration configuration(VitSpec spec, int numClasses, long seed) {
        return configuration(spec, numClasses, seed, Layout.FUSED);
    }

    /** The configuration with the encoder blocks in the given layout ({@link Layout#FUSED} is the default). */
    public static ComputationGraphConfiguration configuration(VitSpec spec, int numClasses, long seed,
                                                              Layout layout) {
        return configuration(spec, numClasses, seed, layout, DataType.FLOAT);
    }

    /** The same in another data type ({@code DOUBLE} for gradient checks). */
    public static ComputationGraphConfiguration configuration(VitSpec spec, int numClasses, long seed,
                                                              Layout layout, DataType dataType) {
        Models.requireClasses(numClasses);
        int size = spec.imageSize();
        GraphBuilder g = Blocks.newGraph(seed, dataType, 3, size, size);
        // [b, 3, s, s] -> [b, 1 + N, D]
        String x = TransformerBlocks.patchEmbedding(g, EMBEDDING, Blocks.INPUT, spec.patchSize(), spec.hiddenDim(),
                spec.dropout());
        for (int i = 0; i < spec.numLayers(); i++) {
            x = TransformerBlocks.encoderBlock(g, blockName(i), x, spec.numHeads(), spec.mlpDim(), spec.dropout(),
                    spec.attentionDropout(), layout);
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
}
