package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.models.ResidualBlocks;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ResidualBlocksTest {

    /** A basic block with an identity shortcut, then a bottleneck with a projection, on [b, 4, 6, 6]. */
    private static ComputationGraphConfiguration twoBlocks(DataType type) {
        GraphBuilder g = Blocks.newGraph(5, type, 4, 6, 6);
        TorchInit init = TorchInit.kaimingNormalFanOut();
        String x = ResidualBlocks.basic(g, "layer1.0", Blocks.INPUT, 4, 4, 1, false, init);
        x = ResidualBlocks.bottleneck(g, "layer2.0", x, 4, 2, 2, true, init);
        x = Blocks.globalAvgPool(g, "avgpool", x);
        Blocks.classifier(g, "fc", x, 3, 0.0, TorchInit.torchDefault());
        return Blocks.build(g);
    }

    @Test
    void namesFollowTorchvision() {
        var names = twoBlocks(DataType.FLOAT).getVertices().keySet();
        assertThat(names).contains("layer1.0.conv1", "layer1.0.bn1", "layer1.0.conv2", "layer1.0.bn2",
                "layer1.0.relu", "layer2.0.conv3", "layer2.0.bn3", "layer2.0.downsample.0",
                "layer2.0.downsample.1");
        assertThat(names).doesNotContain("layer1.0.downsample.0"); // same shape: identity shortcut
    }

    @Test
    void flatParametersFollowTheVertexOrder() {
        ComputationGraph g = new ComputationGraph(twoBlocks(DataType.FLOAT));
        g.init();
        // paramTable() is in insertion order, the flat vector in DL4J's topological order: they must agree
        // (each parameter flattened in its own storage order: dense weights are 'f')
        INDArray flat = g.params().reshape(g.params().length());
        long offset = 0;
        for (var e : g.paramTable().entrySet()) {
            INDArray p = e.getValue();
            INDArray slice = flat.get(NDArrayIndex.interval(offset, offset + p.length()));
            assertThat(slice).as(e.getKey()).isEqualTo(Nd4j.toFlattened(p.ordering(), p).reshape(p.length()));
            offset += p.length();
        }
        assertThat(offset).isEqualTo(flat.length());
    }

    @Test
    void projectionChangesShape() {
        ComputationGraph g = new ComputationGraph(twoBlocks(DataType.FLOAT));
        g.init();
        var acts = g.feedForward(Nd4j.rand(DataType.FLOAT, 2, 4, 6, 6), false);
        assertThat(acts.get("layer1.0.relu").shape()).containsExactly(2, 4, 6, 6);
        assertThat(acts.get("layer2.0.relu").shape()).containsExactly(2, 8, 3, 3); // width 2 x expansion 4, stride 2
        assertThat(acts.get("layer2.0.relu").minNumber().doubleValue()).isGreaterThanOrEqualTo(0.0);
    }

    /**
     * In float inference, convolutions, batch norms and residual sums hand channels-last activations along
     * (NCHW-shaped views of NHWC memory, which oneDNN reads in place) and give the double graph's outputs, which runs
     * on plain NCHW arrays; running statistics and weights away from their initial values.
     */
    @Test
    void floatInferencePassesChannelsLastActivationsWithTheDoubleGraphsOutputs() {
        ComputationGraph single = new ComputationGraph(twoBlocks(DataType.FLOAT));
        single.init();
        Nd4j.getRandom().setSeed(3);
        single.params().addi(Nd4j.rand(DataType.FLOAT, single.params().shape()).subi(0.5).muli(0.4));
        ComputationGraph exact = new ComputationGraph(twoBlocks(DataType.DOUBLE));
        exact.init();
        exact.setParams(single.params().castTo(DataType.DOUBLE));
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 4, 6, 6).subi(0.5);

        var acts = single.feedForward(x, false);
        for (String vertex : new String[] {"layer1.0.conv1", "layer1.0.bn1", "layer1.0.bn2", "layer2.0.conv1",
                "layer2.0.bn3", "layer2.0.downsample.1", "layer2.0.relu"}) {
            assertThat(ChannelsLast.nhwcOf(acts.get(vertex))).as(vertex + " is channels-last").isNotNull();
        }
        // the identity shortcut is the NCHW input: the sum falls back to NCHW
        assertThat(ChannelsLast.nhwcOf(acts.get("layer1.0.relu"))).isNull();
        INDArray expected = exact.outputSingle(x.castTo(DataType.DOUBLE));
        INDArray actual = single.outputSingle(x).castTo(DataType.DOUBLE);
        assertThat(actual.sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);
        INDArray features = acts.get("layer2.0.relu").castTo(DataType.DOUBLE);
        INDArray exactFeatures = exact.feedForward(x.castTo(DataType.DOUBLE), false).get("layer2.0.relu");
        assertThat(features.sub(exactFeatures).amaxNumber().doubleValue()).isLessThan(1e-4);
        assertThat(exactFeatures.amaxNumber().doubleValue()).isGreaterThan(0.1);
    }

    @Test
    @Tag("gradient-check")
    void gradientsMatchNumericOnes() {
        GraphChecks.useDoublePrecision();
        ComputationGraph g = GraphChecks.gradientCheckGraph(twoBlocks(DataType.DOUBLE));
        Nd4j.getRandom().setSeed(11);
        GraphChecks.assertGradientsMatch(g, Nd4j.randn(DataType.DOUBLE, 3, 4, 6, 6),
                Nd4j.eye(3).castTo(DataType.DOUBLE));
    }

    @Test
    void savesAndRestores(@TempDir Path dir) throws Exception {
        ComputationGraph g = new ComputationGraph(twoBlocks(DataType.FLOAT));
        g.init();
        GraphChecks.assertSaveRestoreSame(g, Nd4j.rand(DataType.FLOAT, 2, 4, 6, 6), dir);
    }
}
