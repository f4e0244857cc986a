package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Conv2dTest {
    private static final int BATCH = 4;
    private static final int CHANNELS = 8;
    private static final int SIZE = 16;

    @AfterEach
    void noWorkspacesLeft() {
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
    }

    private static ConvolutionLayer.Builder builder(Activation activation) {
        return new ConvolutionLayer.Builder(3, 3).padding(1, 1).convolutionMode(ConvolutionMode.Truncate)
                .nOut(CHANNELS).activation(activation).weightInit(TorchInit.kaimingNormalFanOut());
    }

    /**
     * conv (ReLU) -> conv (identity) -> BatchNorm (ReLU) -> conv (ReLU) -> average pool -> classifier, with
     * {@link Conv2d} or DL4J's {@link ConvolutionLayer}, all 16x16 at {@link #CHANNELS} channels.
     */
    private static ComputationGraph graph(boolean conv2d, CacheMode cacheMode) {
        GraphBuilder g = Blocks.newGraph(11, 3, SIZE, SIZE);
        String[] names = {"conv1", "conv2", "conv3"};
        Activation[] activations = {Activation.RELU, Activation.IDENTITY, Activation.RELU};
        String x = Blocks.INPUT;
        for (int i = 0; i < names.length; i++) {
            ConvolutionLayer.Builder b = builder(activations[i]);
            g.addLayer(names[i], conv2d ? new Conv2d(b) : b.build(), x);
            x = names[i];
            if (i == 1) {
                x = Blocks.batchNorm(g, "bn", x, Activation.RELU);
            }
        }
        x = Blocks.globalAvgPool(g, "avgpool", x);
        Blocks.classifier(g, "fc", x, 3, 0.0, TorchInit.torchDefault());
        ComputationGraphConfiguration conf = Blocks.build(g);
        ComputationGraph graph = new ComputationGraph(GraphChecks.withoutUpdater(conf));
        graph.init();
        graph.setCacheMode(cacheMode);
        return graph;
    }

    /** One training forward and backward pass on fresh workspaces; the activations workspace's largest cycle. */
    private static long gradientsAndActivationBytes(ComputationGraph graph, INDArray x) {
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
        graph.setInputs(x);
        graph.setLabels(GraphChecks.cyclicLabels(BATCH, 3));
        graph.computeGradientAndScore();
        MemoryWorkspace ws = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread("WS_ALL_LAYERS_ACT");
        return ws.getMaxCycleAllocations();
    }

    @Test
    void sameGradientsAsDl4jsConvolutionWithAndWithoutItsCache() {
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 3, SIZE, SIZE).subi(0.5);
        ComputationGraph ours = graph(true, CacheMode.DEVICE);
        for (CacheMode mode : new CacheMode[] {CacheMode.DEVICE, CacheMode.NONE}) {
            ComputationGraph plain = graph(false, mode);
            plain.setParams(ours.params().dup());
            gradientsAndActivationBytes(ours, x);
            gradientsAndActivationBytes(plain, x);
            assertThat(ours.score()).as("score, DL4J with cache mode %s", mode).isEqualTo(plain.score());
            ours.gradient().gradientForVariable().forEach((key, grad) -> assertThat(
                    grad.equalsWithEps(plain.gradient().gradientForVariable().get(key), 1e-6))
                    .as("%s, DL4J with cache mode %s", key, mode).isTrue());
        }
    }

    @Test
    void keepsNoCopyOfItsOutputsForTheBackwardPass() {
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 3, SIZE, SIZE);
        long ours = gradientsAndActivationBytes(graph(true, CacheMode.DEVICE), x);
        long plain = gradientsAndActivationBytes(graph(false, CacheMode.DEVICE), x);
        long convOutputs = 3L * BATCH * CHANNELS * SIZE * SIZE * Float.BYTES;
        // DL4J's layer copies each of the three outputs into the activations workspace; Conv2d keeps the outputs
        assertThat(plain - ours).isBetween(convOutputs, convOutputs + 3 * 1024);
    }

    @Test
    void keepsTheCopyForOtherActivations() {
        assertThat(RuntimeLayers.identityOrPlainRelu(Activation.IDENTITY.getActivationFunction())).isTrue();
        assertThat(RuntimeLayers.identityOrPlainRelu(new ActivationReLU())).isTrue();
        assertThat(RuntimeLayers.identityOrPlainRelu(new ActivationReLU(6.0, 0.0, 0.0))).isFalse();
        assertThat(RuntimeLayers.identityOrPlainRelu(new ActivationReLU(null, 0.5, null))).isFalse();
        assertThat(RuntimeLayers.identityOrPlainRelu(new ActivationTanH())).isFalse();
    }

    /**
     * Inference writes channels-last outputs with DL4J's numbers, also in Same mode with a stride (padding derived
     * from the output size) and a bias.
     */
    @Test
    void inferenceWritesChannelsLastOutputsWithDl4jsNumbers() {
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 3, SIZE + 1, SIZE + 1).subi(0.5);
        for (ConvolutionMode mode : new ConvolutionMode[] {ConvolutionMode.Truncate, ConvolutionMode.Same}) {
            ComputationGraph[] graphs = new ComputationGraph[2];
            for (int i = 0; i < 2; i++) {
                GraphBuilder g = Blocks.newGraph(5, 3, SIZE + 1, SIZE + 1);
                ConvolutionLayer.Builder b = new ConvolutionLayer.Builder(3, 3).stride(2, 2)
                        .padding(mode == ConvolutionMode.Same ? 0 : 1, mode == ConvolutionMode.Same ? 0 : 1)
                        .convolutionMode(mode).nOut(CHANNELS).hasBias(true).biasInit(0.3)
                        .activation(Activation.RELU).weightInit(TorchInit.kaimingNormalFanOut());
                g.addLayer("conv", i == 0 ? new Conv2d(b) : b.build(), Blocks.INPUT);
                Blocks.classifier(g, "fc", Blocks.globalAvgPool(g, "avgpool", "conv"), 3, 0.0,
                        TorchInit.torchDefault());
                graphs[i] = new ComputationGraph(Blocks.build(g));
                graphs[i].init();
            }
            graphs[1].setParams(graphs[0].params());
            INDArray ours = graphs[0].feedForward(x, false).get("conv");
            INDArray dl4j = graphs[1].feedForward(x, false).get("conv");
            assertThat(ChannelsLast.nhwcOf(ours)).as("%s: channels-last", mode).isNotNull();
            assertThat(ours.shape()).as("%s", mode).containsExactly(dl4j.shape());
            assertThat(ours.equalsWithEps(dl4j, 1e-5)).as("%s: same numbers", mode).isTrue();
        }
    }

    @Test
    void savesAndRestores(@TempDir Path dir) throws Exception {
        ComputationGraph graph = graph(true, CacheMode.DEVICE);
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(graph,
                Nd4j.rand(DataType.FLOAT, 2, 3, SIZE, SIZE), dir);
        assertThat(restored.getLayer("conv1").conf().getLayer()).isInstanceOf(Conv2d.class);
        assertThat(ComputationGraphConfiguration.fromJson(graph.getConfiguration().toJson()))
                .isEqualTo(graph.getConfiguration());
    }
}
