package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BatchNormFoldingTest {

    /**
     * Running statistics, gamma and beta far from their initial 0, 1, 1, 0, as after training, so that a fold that
     * skipped any of them would show.
     */
    private static void trainedStatistics(ComputationGraph graph) {
        Nd4j.getRandom().setSeed(3);
        for (var layer : graph.getLayers()) {
            if (!(layer instanceof BatchNorm.Impl)) {
                continue;
            }
            Map<String, INDArray> p = layer.paramTable();
            p.get(BatchNormalizationParamInitializer.GAMMA).assign(Nd4j.rand(DataType.FLOAT,
                    p.get(BatchNormalizationParamInitializer.GAMMA).shape()).addi(0.5));
            p.get(BatchNormalizationParamInitializer.BETA).assign(Nd4j.randn(DataType.FLOAT,
                    p.get(BatchNormalizationParamInitializer.BETA).shape()).muli(0.3));
            p.get(BatchNormalizationParamInitializer.GLOBAL_MEAN).assign(Nd4j.randn(DataType.FLOAT,
                    p.get(BatchNormalizationParamInitializer.GLOBAL_MEAN).shape()).muli(0.2));
            // log10 of the running std: variances 0.3 to 3
            p.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).assign(Nd4j.rand(DataType.FLOAT,
                    p.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).shape()).subi(0.5).muli(0.5));
        }
    }

    private static long batchNorms(ComputationGraph graph) {
        return graph.getConfiguration().getVertices().values().stream()
                .filter(v -> v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BatchNorm).count();
    }

    /**
     * The pooled features (what the classifier reads: its softmax saturates on these random statistics) and the
     * outputs agree.
     */
    private static void assertSameOutputs(ComputationGraph graph, ComputationGraph folded, int size) {
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 3, size, size);
        for (String vertex : new String[] {"avgpool", "fc"}) {
            INDArray expected = graph.feedForward(x, false).get(vertex).dup();
            INDArray actual = folded.feedForward(x, false).get(vertex);
            assertThat(actual.shape()).isEqualTo(expected.shape());
            double scale = expected.amaxNumber().doubleValue();
            assertThat(actual.sub(expected).amaxNumber().doubleValue()).as(vertex).isLessThan(1e-4 * scale);
        }
    }

    @ParameterizedTest(name = "oneDNN kernels: {0}")
    @ValueSource(booleans = {true, false})
    void foldsEveryBatchNormOfAResNetWithTheSameOutputs(boolean oneDnn) {
        ComputationGraph graph = GraphChecks.withKernels(oneDnn, () -> Zoo.create(Zoo.spec("resnet18")
                .withImageSize(64), 10, 1));
        trainedStatistics(graph);
        ComputationGraph folded = GraphChecks.withKernels(oneDnn, () -> BatchNormFolding.fold(graph));

        assertThat(batchNorms(graph)).isEqualTo(20); // after each of 17 convolutions and 3 projections
        assertThat(batchNorms(folded)).isZero();
        assertThat(folded.getVertex("layer1.0.conv1")).isNotNull();
        assertThat(folded.getConfiguration().getVertexInputs().get("layer1.0.conv2"))
                .containsExactly("layer1.0.conv1"); // bn1 gone, its consumer reads the convolution
        assertSameOutputs(graph, folded, 64);
        assertSameOutputs(graph, folded, 64); // the second pass too (kernels keep state between passes)
    }

    @Test
    void foldsIntoABiasedConvolutionAndLeavesWhatDoesNotFold() {
        GraphBuilder g = Blocks.newGraph(5, 3, 12, 12);
        TorchInit init = TorchInit.kaimingNormalFanOut();
        // biased convolution -> batch norm with ReLU: folds, bias and all
        String x = Blocks.conv(g, "conv1", Blocks.INPUT, 8, 3, 1, 1, true, Activation.IDENTITY, init, 0.1);
        x = Blocks.batchNorm(g, "bn1", x, Activation.RELU);
        // a convolution read by its batch norm and by the head: does not fold
        String shared = Blocks.conv(g, "conv2", x, 8, 3, 1, 1, false, Activation.IDENTITY, init, 0);
        String normed = Blocks.batchNorm(g, "bn2", shared, null);
        // a convolution with its own ReLU before the batch norm: does not fold
        String relu = Blocks.conv(g, "conv3", normed, 8, 1, 1, 0, false, Activation.RELU, init, 0);
        String after = Blocks.batchNorm(g, "bn3", relu, null);
        g.addVertex("sum", new org.deeplearning4j.nn.conf.graph.ElementWiseVertex(
                org.deeplearning4j.nn.conf.graph.ElementWiseVertex.Op.Add), shared, after);
        x = Blocks.globalAvgPool(g, "avgpool", "sum");
        Blocks.classifier(g, "fc", x, 4, 0.0, TorchInit.torchDefault());
        ComputationGraph graph = new ComputationGraph(Blocks.build(g));
        graph.init();
        trainedStatistics(graph);

        ComputationGraph folded = BatchNormFolding.fold(graph);

        assertThat(folded.getConfiguration().getVertices()).doesNotContainKey("bn1")
                .containsKeys("bn2", "bn3", "conv2", "conv3");
        assertSameOutputs(graph, folded, 12);
    }

    @Test
    void aGraphWithoutBatchNormIsItself() {
        GraphBuilder g = Blocks.newGraph(5, 3, 8, 8);
        String x = Blocks.conv(g, "conv", Blocks.INPUT, 4, 3, 1, 1, true, Activation.RELU,
                TorchInit.kaimingNormalFanOut(), 0);
        x = Blocks.globalAvgPool(g, "avgpool", x);
        Blocks.classifier(g, "fc", x, 2, 0.0, TorchInit.torchDefault());
        ComputationGraph graph = new ComputationGraph(Blocks.build(g));
        graph.init();

        assertThat(BatchNormFolding.fold(graph)).isSameAs(graph);
    }
}
