package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class AddReluTest {
    @AfterEach
    void floatAgain() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    /** conv -> bn, added to the input, then ReLU: fused, or DL4J's add vertex and an activation layer. */
    private static ComputationGraph graph(DataType type, boolean fused) {
        GraphBuilder g = Blocks.newGraph(7, type, 4, 5, 5);
        String x = Blocks.conv(g, "conv", Blocks.INPUT, 4, 3, 1, 1, false, Activation.IDENTITY,
                TorchInit.kaimingNormalFanOut(), 0);
        x = Blocks.batchNorm(g, "bn", x, Activation.IDENTITY);
        if (fused) {
            g.addVertex("relu", new AddRelu(), x, Blocks.INPUT);
        } else {
            g.addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), x, Blocks.INPUT);
            Blocks.activation(g, "relu", "add", Activation.RELU);
        }
        x = Blocks.globalAvgPool(g, "avgpool", "relu");
        Blocks.classifier(g, "fc", x, 3, 0.0, TorchInit.torchDefault());
        ComputationGraphConfiguration conf = Blocks.build(g);
        ComputationGraph graph = new ComputationGraph(GraphChecks.withoutUpdater(conf));
        graph.init();
        return graph;
    }

    private static void assertSameAsAddThenRelu(DataType type, double tolerance) {
        ComputationGraph fused = graph(type, true);
        ComputationGraph plain = graph(type, false);
        fused.paramTable().forEach((k, v) -> plain.setParam(k, v.dup()));
        INDArray x = Nd4j.rand(type, 3, 4, 5, 5).subi(0.5);
        INDArray y = GraphChecks.cyclicLabels(3, 3).castTo(type);
        assertThat(fused.outputSingle(true, x).equalsWithEps(plain.outputSingle(true, x), tolerance)).isTrue();
        for (ComputationGraph g : new ComputationGraph[] {fused, plain}) {
            g.setInputs(x);
            g.setLabels(y);
            g.computeGradientAndScore();
        }
        fused.gradient().gradientForVariable().forEach((key, grad) -> assertThat(
                grad.equalsWithEps(plain.gradient().gradientForVariable().get(key), tolerance)).as(key).isTrue());
    }

    @Test
    void sameOutputsAndGradientsAsAddThenReluInFloat() {
        assertSameAsAddThenRelu(DataType.FLOAT, 1e-5);
    }

    @Test
    void sameOutputsAndGradientsAsAddThenReluInDouble() {
        GraphChecks.useDoublePrecision();
        assertSameAsAddThenRelu(DataType.DOUBLE, 1e-12);
    }

    /**
     * The forward pass on oneDNN's kernel against the Java pass (the vertex of a graph on the portable kernels), on
     * NCHW and channels-last inputs, in training (the backward pass then reads its mask from oneDNN's output) and
     * inference; inputs of two layouts take the Java pass.
     */
    @Test
    void forwardOnOneDnnMatchesTheJavaPass() {
        LayerWorkspaceMgr none = LayerWorkspaceMgr.noWorkspaces();
        INDArray a = Nd4j.rand(DataType.FLOAT, 3, 4, 5, 5).subi(0.5);
        INDArray b = Nd4j.rand(DataType.FLOAT, 3, 4, 5, 5).subi(0.5);
        INDArray expected = org.nd4j.linalg.ops.transforms.Transforms.relu(a.add(b));
        INDArray aLast = ChannelsLast.create(none, ArrayType.ACTIVATIONS, DataType.FLOAT, 3, 4, 5, 5).assign(a);
        INDArray bLast = ChannelsLast.create(none, ArrayType.ACTIVATIONS, DataType.FLOAT, 3, 4, 5, 5).assign(b);
        for (boolean direct : new boolean[] {false, true}) {
            ResidualAdd.Impl vertex = (ResidualAdd.Impl) GraphChecks.withKernels(direct, () -> graph(DataType.FLOAT, true))
                    .getVertex("relu");
            for (boolean training : new boolean[] {true, false}) {
                for (INDArray[] inputs : new INDArray[][] {{a, b}, {aLast, bLast}, {a, bLast}}) {
                    vertex.setInputs(inputs);
                    INDArray out = vertex.doForward(training, none);
                    assertThat(vertex.ranOnKernel()).isEqualTo(direct
                            && java.util.Arrays.equals(inputs[0].stride(), inputs[1].stride()));
                    assertThat(out.equalsWithEps(expected, 1e-6)).as("training %s, direct %s", training, direct)
                            .isTrue();
                    if (training) {
                        vertex.setEpsilon(Nd4j.ones(DataType.FLOAT, 3, 4, 5, 5));
                        INDArray[] gradients = vertex.doBackward(false, none).getSecond();
                        INDArray mask = expected.gt(0).castTo(DataType.FLOAT);
                        assertThat(gradients[0].equalsWithEps(mask, 0)).isTrue();
                        assertThat(gradients[1].equalsWithEps(mask, 0)).isTrue();
                    }
                }
            }
        }
    }

    @Test
    @Tag("gradient-check")
    void gradientsMatchNumericOnes() {
        GraphChecks.useDoublePrecision();
        GraphChecks.assertGradientsMatch(graph(DataType.DOUBLE, true), Nd4j.rand(DataType.DOUBLE, 3, 4, 5, 5)
                .subi(0.5), GraphChecks.cyclicLabels(3, 3));
    }

    @Test
    void savesAndRestores(@TempDir Path dir) throws Exception {
        ComputationGraph graph = graph(DataType.FLOAT, true);
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(graph, Nd4j.rand(DataType.FLOAT, 2, 4, 5, 5),
                dir);
        assertThat(restored.getConfiguration().getVertices().get("relu")).isInstanceOf(AddRelu.class);
        assertThat(new AddRelu()).isNotEqualTo(new ElementWiseVertex(ElementWiseVertex.Op.Add));
    }

    @Test
    void backwardPassWithoutTheTrainingForwardPassRecomputesTheMask() {
        ComputationGraph graph = graph(DataType.FLOAT, true);
        var vertex = graph.getVertex("relu");
        INDArray a = Nd4j.rand(DataType.FLOAT, 2, 4, 5, 5).subi(0.5);
        INDArray b = Nd4j.rand(DataType.FLOAT, 2, 4, 5, 5).subi(0.5);
        INDArray eps = Nd4j.rand(DataType.FLOAT, 2, 4, 5, 5);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        vertex.setInputs(a, b);
        vertex.setEpsilon(eps);
        INDArray[] cold = vertex.doBackward(false, mgr).getSecond();
        vertex.setInputs(a, b);
        vertex.doForward(true, mgr);
        vertex.setEpsilon(eps);
        INDArray[] kept = vertex.doBackward(false, mgr).getSecond();
        INDArray expected = eps.mul(a.add(b).gt(0).castTo(DataType.FLOAT));
        assertThat(cold[0]).isEqualTo(expected);
        assertThat(cold[1]).isEqualTo(expected);
        assertThat(kept[0]).isEqualTo(expected);
        assertThat(kept[1]).isEqualTo(expected).isNotSameAs(kept[0]);
        assertThat(expected.sumNumber().doubleValue()).isGreaterThan(0).isLessThan(eps.sumNumber().doubleValue());
    }

    @Test
    void refusesInputsOfDifferentShapes() {
        GraphBuilder g = Blocks.newGraph(1, 2, 4, 4);
        Blocks.conv(g, "conv", Blocks.INPUT, 3, 1, 1, 0, false, Activation.IDENTITY, TorchInit.torchDefault(), 0);
        g.addVertex("relu", new AddRelu(), "conv", Blocks.INPUT);
        g.setOutputs("relu");
        // caught when the configuration is built, by the element-wise vertex's shape check
        assertThatThrownBy(g::build).hasMessageContaining("different sizes");
    }
}
