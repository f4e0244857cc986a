package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LinearTest {
    private static final int BATCH = 6;

    @AfterEach
    void defaults() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
    }

    /**
     * [b, 3, 4, 4] -> fc1 (ReLU, dropout before it when asked) -> fc2 (identity, no bias) -> fc3 (tanh: DL4J's
     * backward pass) -> fc4 (ReLU, dropout) -> classifier, with {@link Linear} or DL4J's {@link DenseLayer}.
     */
    private static ComputationGraph graph(boolean linear, DataType dataType, double dropout) {
        GraphBuilder g = Blocks.newGraph(5, dataType, 3, 4, 4);
        String x = Blocks.INPUT;
        Activation[] activations = {Activation.RELU, Activation.IDENTITY, Activation.TANH, Activation.RELU};
        double[] dropouts = {dropout, 0, 0, dropout};
        int[] widths = {16, 12, 10, 8};
        for (int i = 0; i < activations.length; i++) {
            String name = "fc" + (i + 1);
            DenseLayer layer = linear
                    ? new Linear(widths[i], activations[i].getActivationFunction(), TorchInit.torchDefault(), 0.1)
                    : new DenseLayer.Builder().nOut(widths[i]).activation(activations[i])
                            .weightInit(TorchInit.torchDefault()).biasInit(0.1).build();
            layer.setHasBias(i != 1);
            if (dropouts[i] > 0) {
                layer.setIDropout(new org.deeplearning4j.nn.conf.dropout.Dropout(1 - dropouts[i]));
            }
            g.addLayer(name, layer, x);
            x = name;
        }
        Blocks.classifier(g, "fc", x, 3, 0.0, TorchInit.torchDefault());
        ComputationGraph graph = new ComputationGraph(GraphChecks.withoutUpdater(Blocks.build(g)));
        graph.init();
        return graph;
    }

    private static void gradients(ComputationGraph graph, INDArray x) {
        Nd4j.getRandom().setSeed(11); // the same dropout masks for both graphs
        graph.setInputs(x);
        graph.setLabels(GraphChecks.cyclicLabels(x.dataType(), BATCH, 3));
        graph.computeGradientAndScore();
    }

    @Test
    void sameScoreAndGradientsAsDl4jsDenseLayer() {
        for (double dropout : new double[] {0.0, 0.5}) {
            INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 3, 4, 4).subi(0.5);
            ComputationGraph ours = graph(true, DataType.FLOAT, dropout);
            ComputationGraph plain = graph(false, DataType.FLOAT, dropout);
            plain.setParams(ours.params().dup());
            gradients(ours, x);
            gradients(plain, x);
            assertThat(ours.score()).as("score, dropout %s", dropout).isCloseTo(plain.score(),
                    org.assertj.core.data.Offset.offset(1e-6));
            assertThat(ours.gradient().gradientForVariable()).containsOnlyKeys(
                    plain.gradient().gradientForVariable().keySet());
            ours.gradient().gradientForVariable().forEach((key, grad) -> assertThat(
                    grad.equalsWithEps(plain.gradient().gradientForVariable().get(key), 1e-5))
                    .as("%s, dropout %s", key, dropout).isTrue());
            // the weight gradients are not all zero, so the comparison says something
            assertThat(ours.gradient().gradientForVariable().get("fc1_W").norm2Number().doubleValue())
                    .isGreaterThan(1e-4);
        }
    }

    @Test
    @Tag("gradient-check")
    void gradientsMatchNumericOnes() {
        GraphChecks.useDoublePrecision();
        ComputationGraph graph = graph(true, DataType.DOUBLE, 0.0);
        GraphChecks.assertGradientsMatch(graph, Nd4j.rand(DataType.DOUBLE, BATCH, 3, 4, 4).subi(0.5),
                GraphChecks.cyclicLabels(DataType.DOUBLE, BATCH, 3));
    }

    @Test
    void savesAndRestores(@TempDir Path dir) throws Exception {
        ComputationGraph graph = graph(true, DataType.FLOAT, 0.5);
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(graph,
                Nd4j.rand(DataType.FLOAT, 2, 3, 4, 4), dir);
        assertThat(restored.getLayer("fc1").conf().getLayer()).isInstanceOf(Linear.class);
        assertThat(ComputationGraphConfiguration.fromJson(graph.getConfiguration().toJson()))
                .isEqualTo(graph.getConfiguration());
    }
}
