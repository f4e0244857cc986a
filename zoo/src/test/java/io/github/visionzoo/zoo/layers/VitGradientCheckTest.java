package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.models.TransformerBlocks.Layout;
import io.github.visionzoo.zoo.models.VitSpec;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
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
import org.nd4j.common.function.Consumer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * DL4J's numerical gradient checks (double precision, central differences with eps 1e-6, max relative error 1e-3,
 * min absolute error 1e-8) for each ViT layer and a whole tiny ViT: 8x8 images, patch 4, D 8, 2 heads, 2 blocks.
 * The encoder block and the whole models check a spread subset of each parameter array to keep the run short.
 */
@Tag("gradient-check")
class VitGradientCheckTest {
    static final int BATCH = 2;
    static final int T = 5;
    static final int D = 8;
    static final VitSpec TINY = new VitSpec(4, D, 2, 2, 16, 0.0, 0.0, 8);
    static final double EPS = 1e-6;
    static final double MAX_REL_ERROR = 1e-3;
    static final double MIN_ABS_ERROR = 1e-8;

    @BeforeAll
    static void doublePrecision() {
        GraphChecks.useDoublePrecision();
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    /**
     * Checks the gradient with DL4J's {@link GradientCheckUtil}, every parameter; or, with {@code maxPerParam > 0}, at
     * most that many evenly spread entries of each parameter array, computed exactly as {@code GradientCheckUtil} does
     * (whose graph variant ignores its {@code subset} option in 1.0.0-M2.1).
     */
    static void assertGradients(ComputationGraph graph, INDArray input, INDArray labels, int maxPerParam,
                                Consumer<ComputationGraph> beforeEachPass) {
        if (maxPerParam <= 0) {
            assertThat(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(graph)
                    .inputs(new INDArray[] {input}).labels(new INDArray[] {labels})
                    .epsilon(EPS).maxRelError(MAX_REL_ERROR).minAbsoluteError(MIN_ABS_ERROR)
                    .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                    .callEachIter(beforeEachPass))).as("analytic gradients equal numeric ones").isTrue();
            return;
        }
        graph.setInputs(input);
        graph.setLabels(labels);
        if (beforeEachPass != null) {
            beforeEachPass.accept(graph);
        }
        graph.computeGradientAndScore();
        Gradient gradient = graph.gradient();
        new ComputationGraphUpdater(graph).update(gradient, 0, 0, (int) input.size(0),
                LayerWorkspaceMgr.noWorkspaces()); // NoOp: only the division by the minibatch size
        INDArray analytic = gradient.gradient().dup().reshape(-1);
        INDArray params = graph.params();
        MultiDataSet data = new MultiDataSet(new INDArray[] {input}, new INDArray[] {labels});
        long offset = 0;
        int checked = 0;
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : graph.paramTable().entrySet()) {
            long n = e.getValue().length();
            long stride = Math.max(1, n / maxPerParam);
            for (long j = 0; j < n; j += stride) {
                long i = offset + j;
                double original = params.getDouble(i);
                params.putScalar(i, original + EPS);
                if (beforeEachPass != null) {
                    beforeEachPass.accept(graph);
                }
                double plus = graph.score(data, true);
                params.putScalar(i, original - EPS);
                if (beforeEachPass != null) {
                    beforeEachPass.accept(graph);
                }
                double minus = graph.score(data, true);
                params.putScalar(i, original);
                double numeric = (plus - minus) / (2 * EPS);
                double a = analytic.getDouble(i);
                double rel = a == numeric ? 0 : Math.abs(a - numeric) / (Math.abs(a) + Math.abs(numeric));
                if (rel > MAX_REL_ERROR && Math.abs(a - numeric) > MIN_ABS_ERROR) {
                    failures.add(e.getKey() + "[" + j + "]: analytic " + a + ", numeric " + numeric);
                }
                checked++;
            }
            offset += n;
        }
        System.out.printf("gradient check: %d of %d parameters checked, %d failed%n", checked, offset,
                failures.size());
        assertThat(failures).as("analytic gradients equal numeric ones").isEmpty();
    }

    /** input [b, T, D] -> layer -> per-token softmax classifier, so that every token's output reaches the loss. */
    static ComputationGraph onTokens(Layer layer) {
        return GraphChecks.gradientCheckGraph(new NeuralNetConfiguration.Builder()
                .seed(7).dataType(DataType.DOUBLE)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.recurrent(D, T, RNNFormat.NWC))
                .addLayer("layer", layer, "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nOut(3).dataFormat(RNNFormat.NWC).build(), "layer")
                .setOutputs("out")
                .build());
    }

    static INDArray tokenLabels() {
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, BATCH, T, 3);
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < T; t++) {
                labels.putScalar(b, t, (b + t) % 3, 1.0);
            }
        }
        return labels;
    }

    static INDArray tokens() {
        Nd4j.getRandom().setSeed(11);
        return Nd4j.randn(DataType.DOUBLE, BATCH, T, D);
    }

    /** Moves a parameter off its initial value (zeros, ones) so that its gradient is not a special case. */
    static void perturb(ComputationGraph graph, String vertex, String param) {
        INDArray p = graph.getLayer(vertex).getParam(param);
        p.addi(Nd4j.randn(DataType.DOUBLE, p.shape()).muli(0.3));
    }

    @Test
    void layerNorm() {
        ComputationGraph graph = onTokens(new LayerNorm(1e-6, false));
        perturb(graph, "layer", LayerNorm.WEIGHT);
        perturb(graph, "layer", LayerNorm.BIAS);
        assertGradients(graph, tokens(), tokenLabels(), 0, null);
    }

    @Test
    void layerNormOfTheClassToken() {
        ComputationGraph graph = GraphChecks.gradientCheckGraph(new NeuralNetConfiguration.Builder()
                .seed(7).dataType(DataType.DOUBLE)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.recurrent(D, T, RNNFormat.NWC))
                .addLayer("layer", new LayerNorm(1e-6, true), "in")
                .addLayer("out", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                        LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(3).build(), "layer")
                .setOutputs("out")
                .build());
        perturb(graph, "layer", LayerNorm.WEIGHT);
        assertGradients(graph, tokens(), imageLabels(), 0, null);
    }

    @Test
    void multiHeadSelfAttention() {
        ComputationGraph graph = onTokens(new MultiHeadSelfAttention(2, 0.0, 0.0));
        perturb(graph, "layer", MultiHeadSelfAttention.IN_PROJ_BIAS);
        perturb(graph, "layer", MultiHeadSelfAttention.OUT_PROJ_BIAS);
        assertGradients(graph, tokens(), tokenLabels(), 0, null);
    }

    @Test
    void mlpBlock() {
        assertGradients(onTokens(new MlpBlock(16, 0.0)), tokens(), tokenLabels(), 0, null);
    }

    @Test
    void encoderBlock() {
        ComputationGraph graph = onTokens(new EncoderBlock(2, 16, 0.0, 0.0, 1e-6));
        perturb(graph, "layer", EncoderBlock.LN_1 + "weight");
        perturb(graph, "layer", EncoderBlock.ATTENTION + MultiHeadSelfAttention.IN_PROJ_BIAS);
        assertGradients(graph, tokens(), tokenLabels(), 20, null);
    }

    /** An 8x8 image, patch 4: the class token and 4 patch tokens. */
    @Test
    void patchEmbedding() {
        ComputationGraph graph = GraphChecks.gradientCheckGraph(new NeuralNetConfiguration.Builder()
                .seed(7).dataType(DataType.DOUBLE)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(8, 8, 3))
                .addLayer("layer", new PatchEmbedding(4, D, 0.0), "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nOut(3).dataFormat(RNNFormat.NWC).build(), "layer")
                .setOutputs("out")
                .build());
        perturb(graph, "layer", PatchEmbedding.CLASS_TOKEN);
        Nd4j.getRandom().setSeed(12);
        assertGradients(graph, Nd4j.randn(DataType.DOUBLE, BATCH, 3, 8, 8), tokenLabels(), 0, null);
    }

    static ComputationGraph tinyVit(VitSpec spec, Layout layout) {
        ComputationGraph graph = GraphChecks.gradientCheckGraph(
                spec.configuration(3, 5, layout, DataType.DOUBLE));
        // torchvision starts the classifier at zero, which would leave every other gradient at zero
        perturb(graph, VitSpec.HEAD, "W");
        return graph;
    }

    static INDArray imageLabels() {
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, BATCH, 3);
        labels.putScalar(0, 1, 1.0);
        labels.putScalar(1, 2, 1.0);
        return labels;
    }

    static INDArray images() {
        Nd4j.getRandom().setSeed(13);
        return Nd4j.randn(DataType.DOUBLE, BATCH, 3, 8, 8);
    }

    @Test
    void wholeTinyVit() {
        assertGradients(tinyVit(TINY, Layout.FUSED), images(), imageLabels(), 12, null);
    }

    @Test
    void wholeTinyVitSeparateLayers() {
        assertGradients(tinyVit(TINY, Layout.SEPARATE), images(), imageLabels(), 6, null);
    }

    /**
     * With dropout everywhere (0.2), the gradient is still exact when every pass draws the same masks: the random
     * generator is reset before each pass, so this checks that the backward pass uses the forward pass's masks.
     */
    @Test
    void wholeTinyVitWithDropout() {
        ComputationGraph graph = tinyVit(TINY.withDropout(0.2, 0.2), Layout.FUSED);
        assertGradients(graph, images(), imageLabels(), 8, g -> Nd4j.getRandom().setSeed(99));
    }
}
