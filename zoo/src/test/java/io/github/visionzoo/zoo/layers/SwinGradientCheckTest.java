package io.github.visionzoo.zoo.layers;

import static io.github.visionzoo.zoo.layers.VitGradientCheckTest.assertGradients;
import static io.github.visionzoo.zoo.layers.VitGradientCheckTest.perturb;

import io.github.visionzoo.zoo.models.SwinSpec;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * DL4J's numerical gradient checks (double precision, as {@link VitGradientCheckTest}) for the Swin Transformer's
 * layers on small maps, with padding, shifts and masks, and a whole tiny Swin.
 */
@Tag("gradient-check")
class SwinGradientCheckTest {
    static final int BATCH = 2;
    static final int C = 4;

    @BeforeAll
    static void doublePrecision() {
        GraphChecks.useDoublePrecision();
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    /** input tokens of a {@code side x side} map, {@code [b, side*side, C]} -> layer -> per-token softmax. */
    static ComputationGraph onMap(Layer layer, int side) {
        return GraphChecks.gradientCheckGraph(new NeuralNetConfiguration.Builder()
                .seed(7).dataType(DataType.DOUBLE)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.recurrent(C, (long) side * side, RNNFormat.NWC))
                .addLayer("layer", layer, "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nOut(3).dataFormat(RNNFormat.NWC).build(), "layer")
                .setOutputs("out")
                .build());
    }

    static INDArray labels(long tokens) {
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, BATCH, tokens, 3);
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < tokens; t++) {
                labels.putScalar(b, t, (b + t) % 3, 1.0);
            }
        }
        return labels;
    }

    static INDArray map(int side) {
        Nd4j.getRandom().setSeed(11);
        return Nd4j.randn(DataType.DOUBLE, BATCH, (long) side * side, C);
    }

    /** A 4x4 map in 2x2 windows shifted by 1: four windows, each with tokens of different regions masked. */
    @Test
    void shiftedWindowAttention() {
        ComputationGraph graph = onMap(new ShiftedWindowAttention(2, 2, 1, 0.0, 0.0), 4);
        perturb(graph, "layer", ShiftedWindowAttention.QKV_BIAS);
        perturb(graph, "layer", ShiftedWindowAttention.BIAS_TABLE);
        assertGradients(graph, map(4), labels(16), 0, null);
    }

    /** A 5x5 map in 3x3 windows: padded to 6x6 (zero tokens that attend and are attended to), unshifted. */
    @Test
    void windowAttentionOnAPaddedMap() {
        ComputationGraph graph = onMap(new ShiftedWindowAttention(2, 3, 0, 0.0, 0.0), 5);
        perturb(graph, "layer", ShiftedWindowAttention.QKV_BIAS);
        assertGradients(graph, map(5), labels(25), 0, null);
    }

    /** A 5x5 map in 3x3 windows shifted by 1: padded to 6x6, then rolled, so padding rows land inside windows. */
    @Test
    void shiftedWindowAttentionOnAPaddedMap() {
        ComputationGraph graph = onMap(new ShiftedWindowAttention(2, 3, 1, 0.0, 0.0), 5);
        perturb(graph, "layer", ShiftedWindowAttention.QKV_BIAS);
        perturb(graph, "layer", ShiftedWindowAttention.BIAS_TABLE);
        assertGradients(graph, map(5), labels(25), 0, null);
    }

    /** A 3x3 map merged to 2x2 (padded to 4x4). */
    @Test
    void patchMerging() {
        ComputationGraph graph = onMap(new PatchMerging(1e-5), 3);
        perturb(graph, "layer", PatchMerging.NORM_WEIGHT);
        perturb(graph, "layer", PatchMerging.NORM_BIAS);
        assertGradients(graph, map(3), labels(4), 0, null);
    }

    /** An 8x8 image, patch 4: convolution, permute and layer norm to 4 tokens. */
    @Test
    void patchPartition() {
        ComputationGraph graph = GraphChecks.gradientCheckGraph(new NeuralNetConfiguration.Builder()
                .seed(7).dataType(DataType.DOUBLE)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(8, 8, 3))
                .addLayer("layer", new PatchPartition(4, C, 1e-5), "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nOut(3).dataFormat(RNNFormat.NWC).build(), "layer")
                .setOutputs("out")
                .build());
        perturb(graph, "layer", PatchPartition.NORM_WEIGHT);
        perturb(graph, "layer", PatchPartition.NORM_BIAS);
        Nd4j.getRandom().setSeed(12);
        assertGradients(graph, Nd4j.randn(DataType.DOUBLE, BATCH, 3, 8, 8), labels(4), 0, null);
    }

    /**
     * A whole tiny Swin at 16 px: patch 2, C 4, two stages of 2 and 1 blocks (the second block of stage 1 shifted),
     * windows 2, with stochastic depth 0.5 drawn alike in every pass.
     */
    @Test
    void wholeTinySwin() {
        SwinSpec spec = new SwinSpec(2, C, List.of(2, 1), List.of(2, 2), 2, 2.0, 0.0, 0.0, 0.5, 8);
        ComputationGraph graph = GraphChecks.gradientCheckGraph(spec.configuration(3, 5, DataType.DOUBLE));
        Nd4j.getRandom().setSeed(13);
        INDArray images = Nd4j.randn(DataType.DOUBLE, BATCH, 3, 8, 8);
        assertGradients(graph, images, GraphChecks.cyclicLabels(BATCH, 3), 10, g -> Nd4j.getRandom().setSeed(99));
    }
}
