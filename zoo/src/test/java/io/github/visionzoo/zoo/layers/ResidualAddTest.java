package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link ResidualAdd} against DL4J's add vertex: the same sums and gradients on NCHW, channels-last, mixed and token
 * inputs; two channels-last inputs give a channels-last sum and channels-last gradients, each input its own array.
 */
class ResidualAddTest {
    private static GraphVertex vertex(org.deeplearning4j.nn.conf.graph.GraphVertex conf) {
        ComputationGraphConfiguration c = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).graphBuilder()
                .addInputs("a", "b").setInputTypes(InputType.convolutional(5, 5, 4), InputType.convolutional(5, 5, 4))
                .addVertex("add", conf, "a", "b").setOutputs("add").build();
        ComputationGraph graph = new ComputationGraph(c);
        graph.init();
        return graph.getVertex("add");
    }

    @Test
    void sumsAndGradientsEqualDl4jsAddAndKeepTheLayout() {
        LayerWorkspaceMgr none = LayerWorkspaceMgr.noWorkspaces();
        INDArray a = Nd4j.rand(DataType.FLOAT, 3, 4, 5, 5);
        INDArray b = Nd4j.rand(DataType.FLOAT, 3, 4, 5, 5);
        INDArray aLast = ChannelsLast.create(none, ArrayType.ACTIVATIONS, DataType.FLOAT, 3, 4, 5, 5).assign(a);
        INDArray bLast = ChannelsLast.create(none, ArrayType.ACTIVATIONS, DataType.FLOAT, 3, 4, 5, 5).assign(b);
        INDArray eps = Nd4j.rand(DataType.FLOAT, 3, 4, 5, 5);
        INDArray epsLast = ChannelsLast.create(none, ArrayType.ACTIVATIONS, DataType.FLOAT, 3, 4, 5, 5).assign(eps);
        GraphVertex ours = vertex(new ResidualAdd());
        GraphVertex dl4j = vertex(new ElementWiseVertex(ElementWiseVertex.Op.Add));
        for (INDArray[] in : List.of(new INDArray[] {a, b}, new INDArray[] {aLast, bLast}, new INDArray[] {a, bLast},
                new INDArray[] {a.reshape(3, 4, 25), b.reshape(3, 4, 25)})) {
            INDArray e = in[0].rank() == 3 ? eps.reshape(3, 4, 25) : in[1] == bLast && in[0] == aLast ? epsLast : eps;
            ours.setInputs(in);
            dl4j.setInputs(in);
            INDArray sum = ours.doForward(true, none);
            assertThat(sum.equalsWithEps(dl4j.doForward(true, none), 1e-6)).isTrue();
            ours.setEpsilon(e);
            INDArray[] grads = ours.doBackward(false, none).getSecond();
            assertThat(grads[0].equalsWithEps(e, 0)).isTrue();
            assertThat(grads[1].equalsWithEps(e, 0)).isTrue();
            assertThat(grads[0]).isNotSameAs(grads[1]).isNotSameAs(e);
            if (in[0] == aLast && in[1] == bLast) {
                assertThat(ChannelsLast.nhwcOf(sum)).as("a channels-last sum").isNotNull();
                assertThat(ChannelsLast.nhwcOf(grads[0])).as("channels-last gradients").isNotNull();
            }
        }
    }

    @Test
    void savesAndRestoresAsItself(@TempDir Path dir) throws Exception {
        ComputationGraphConfiguration c = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).graphBuilder()
                .addInputs("a").setInputTypes(InputType.feedForward(4))
                .addLayer("fc", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(4).build(), "a")
                .addVertex("add", new ResidualAdd(), "fc", "a")
                .addLayer("out", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nOut(2)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build(), "add")
                .setOutputs("out").build();
        ComputationGraph graph = new ComputationGraph(c);
        graph.init();
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(graph, Nd4j.rand(DataType.FLOAT, 2, 4), dir);
        assertThat(restored.getConfiguration().getVertices().get("add")).isExactlyInstanceOf(ResidualAdd.class);
        assertThat(new ResidualAdd()).isNotEqualTo(new AddRelu()).isEqualTo(new ResidualAdd());
    }
}
