package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.layers.EncoderBlock;
import io.github.visionzoo.zoo.layers.LayerNorm;
import io.github.visionzoo.zoo.layers.MlpBlock;
import io.github.visionzoo.zoo.layers.MultiHeadSelfAttention;
import io.github.visionzoo.zoo.layers.PatchEmbedding;
import io.github.visionzoo.zoo.layers.TransformerOps;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;

/**
 * The Vision Transformer's pieces added to a graph, each under torchvision's state-dict name, the counterpart of
 * {@link Blocks} and {@link ResidualBlocks} for token sequences {@code [b, T, D]} (DL4J recurrent, {@code NWC}).
 */
public final class TransformerBlocks {
    /** How an encoder block becomes DL4J vertices. */
    public enum Layout {
        /** One {@link EncoderBlock} vertex per block, named {@code encoder.layers.encoder_layer_i} (the default). */
        FUSED,
        /**
         * Four layers and two additions per block: {@code ...encoder_layer_i.ln_1}, {@code .self_attention}
         * ({@link MultiHeadSelfAttention}, with the block's dropout after it), {@code .residual_1}, {@code .ln_2},
         * {@code .mlp} ({@link MlpBlock}), {@code .residual_2}. Same parameters, names and numbers as {@link #FUSED}.
         */
        SEPARATE
    }

    private TransformerBlocks() {
    }

    /** {@link PatchEmbedding}: image {@code [b, C, H, W]} to tokens {@code [b, 1 + N, D]}. */
    public static String patchEmbedding(GraphBuilder g, String name, String input, int patchSize, int hiddenDim,
                                        double dropout) {
        g.addLayer(name, new PatchEmbedding(patchSize, hiddenDim, dropout), input);
        return name;
    }

    /**
     * A pre-norm encoder block under the name prefix {@code prefix} (torchvision's
     * {@code encoder.layers.encoder_layer_i}).
     *
     * @return the name of the block's output vertex
     */
    public static String encoderBlock(GraphBuilder g, String prefix, String input, int numHeads, int mlpDim,
                                      double dropout, double attentionDropout, Layout layout) {
        if (layout == Layout.FUSED) {
            g.addLayer(prefix, new EncoderBlock(numHeads, mlpDim, dropout, attentionDropout,
                    TransformerOps.LAYER_NORM_EPS), input);
            return prefix;
        }
        String ln1 = layerNorm(g, prefix + ".ln_1", input, false);
        g.addLayer(prefix + ".self_attention", new MultiHeadSelfAttention(numHeads, attentionDropout, dropout), ln1);
        g.addVertex(prefix + ".residual_1", new ElementWiseVertex(ElementWiseVertex.Op.Add), input,
                prefix + ".self_attention");
        String ln2 = layerNorm(g, prefix + ".ln_2", prefix + ".residual_1", false);
        g.addLayer(prefix + ".mlp", new MlpBlock(mlpDim, dropout), ln2);
        g.addVertex(prefix + ".residual_2", new ElementWiseVertex(ElementWiseVertex.Op.Add),
                prefix + ".residual_1", prefix + ".mlp");
        return prefix + ".residual_2";
    }

    /**
     * {@link LayerNorm} with torchvision's ViT epsilon (1e-6); with {@code classTokenOnly} it outputs the class token's
     * normalized features {@code [b, D]}.
     */
    public static String layerNorm(GraphBuilder g, String name, String input, boolean classTokenOnly) {
        g.addLayer(name, new LayerNorm(TransformerOps.LAYER_NORM_EPS, classTokenOnly), input);
        return name;
    }
}
