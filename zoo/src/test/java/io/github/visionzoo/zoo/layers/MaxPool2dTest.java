package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MaxPool2dTest {
    /** ResNet's stem pooling: 3x3/2, padding 1. */
    private static SubsamplingLayer.Builder stemPool() {
        return new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2).padding(1, 1)
                .convolutionMode(ConvolutionMode.Truncate);
    }

    /** conv (ReLU) -> 3x3/2 max pool, padding 1 -> conv -> global average -> linear; ours or DL4J's pooling layer. */
    private static ComputationGraph graph(boolean ours) {
        return graph(ours, stemPool());
    }

    /** conv (ReLU) -> {@code pool} -> conv -> global average -> linear; ours or DL4J's pooling layer. */
    private static ComputationGraph graph(boolean ours, SubsamplingLayer.Builder pool) {
        return graph(ours, pool, 11);
    }

    /** The same on {@code size x size} images. */
    private static ComputationGraph graph(boolean ours, SubsamplingLayer.Builder pool, int size) {
        GraphBuilder g = Blocks.newGraph(7, 3, size, size);
        String x = Blocks.conv(g, "conv1", Blocks.INPUT, 8, 3, 1, 1, false, Activation.RELU,
                TorchInit.kaimingNormalFanOut(), 0.0);
        g.addLayer("maxpool", ours ? new MaxPool2d(pool) : pool.build(), x);
        x = Blocks.conv(g, "conv2", "maxpool", 8, 3, 1, 1, true, Activation.IDENTITY,
                TorchInit.kaimingNormalFanOut(), 0.1);
        x = Blocks.globalAvgPool(g, "avgpool", x);
        Blocks.classifier(g, "fc", x, 3, 0.0, TorchInit.torchDefault());
        ComputationGraph graph = new ComputationGraph(Blocks.build(g));
        graph.init();
        return graph;
    }

    /** Ours and DL4J's, with the same parameters. */
    private static ComputationGraph[] both() {
        return both(stemPool());
    }

    private static ComputationGraph[] both(SubsamplingLayer.Builder pool) {
        return both(pool, 11);
    }

    private static ComputationGraph[] both(SubsamplingLayer.Builder pool, int size) {
        ComputationGraph ours = graph(true, pool, size);
        ComputationGraph dl4j = graph(false, pool, size);
        dl4j.setParams(ours.params());
        return new ComputationGraph[] {ours, dl4j};
    }

    @Test
    void inferenceKeepsChannelsLastActivationsWithDl4jsResults() {
        ComputationGraph[] graphs = both();
        ComputationGraph ours = graphs[0];
        ComputationGraph dl4j = graphs[1];
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 11, 11).subi(0.5);
        Map<String, INDArray> acts = ours.feedForward(x, false);
        Map<String, INDArray> expected = dl4j.feedForward(x, false);
        assertThat(ChannelsLast.nhwcOf(acts.get("conv1"))).as("the convolution's output").isNotNull();
        assertThat(ChannelsLast.nhwcOf(acts.get("maxpool"))).as("the pooled output").isNotNull();
        assertThat(ChannelsLast.nhwcOf(expected.get("maxpool"))).as("DL4J's pooled output").isNull();
        assertThat(acts.get("maxpool").shape()).containsExactly(2, 8, 6, 6);
        assertThat(acts.get("maxpool")).isEqualTo(expected.get("maxpool"));
        assertThat(ours.outputSingle(x).sub(dl4j.outputSingle(x)).amaxNumber().doubleValue()).isLessThan(1e-6);
    }

    @Test
    void inferenceDownToOneByOneKeepsChannelsLastActivationsWithDl4jsResults() {
        // AlexNet's last pooling at 64 px: 3x3 -> 1x1, and a convolution with a ReLU on the 1x1 map after it
        ComputationGraph[] graphs = both(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3)
                .stride(2, 2).convolutionMode(ConvolutionMode.Truncate), 3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 3, 3).subi(0.5);
        INDArray pooled = graphs[0].feedForward(x, false).get("maxpool");
        assertThat(pooled.shape()).containsExactly(2, 8, 1, 1);
        assertThat(ChannelsLast.nhwcOf(pooled)).as("the pooled output").isNotNull();
        assertThat(pooled).isEqualTo(graphs[1].feedForward(x, false).get("maxpool"));
        assertThat(graphs[0].outputSingle(x).sub(graphs[1].outputSingle(x)).amaxNumber().doubleValue())
                .isLessThan(1e-6);
    }

    @Test
    void trainsAsDl4jsLayer() {
        assertTrainsAsDl4jsLayer(stemPool());
    }

    @Test
    void trainsAsDl4jsLayerWithVggsWindowAndSameMode() {
        assertTrainsAsDl4jsLayer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                .convolutionMode(ConvolutionMode.Truncate));
        assertTrainsAsDl4jsLayer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2)
                .convolutionMode(ConvolutionMode.Same));
    }

    /**
     * On maps this large oneDNN 2.5 has only its scalar implementation for NCHW arrays (as for VGG-16's first pooling,
     * 64 channels of 224 x 224), so the kernel pools channels-last copies.
     */
    @Test
    void trainsAsDl4jsLayerOnLargeMaps() {
        assertTrainsAsDl4jsLayer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                .convolutionMode(ConvolutionMode.Truncate), 128);
    }

    private static void assertTrainsAsDl4jsLayer(SubsamplingLayer.Builder pool) {
        assertTrainsAsDl4jsLayer(pool, 11);
    }

    /** The gradients of every parameter equal DL4J's layer's, with ours on oneDNN's training passes. */
    private static void assertTrainsAsDl4jsLayer(SubsamplingLayer.Builder pool, int size) {
        ComputationGraph[] graphs = both(pool, size);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, size, size).subi(0.5);
        INDArray y = Nd4j.eye(3).getRows(0, 1);
        for (ComputationGraph g : graphs) {
            g.setInputs(x);
            g.setLabels(y);
            g.computeGradientAndScore();
        }
        if (Kernels.oneDnn()) {
            assertThat(((MaxPool2d.Impl) graphs[0].getLayer("maxpool")).ranOnKernel()).isTrue();
        }
        assertThat(graphs[0].gradient().gradient()).isEqualTo(graphs[1].gradient().gradient());
        // a second step on other images: the kept maxima are the new input's
        INDArray x2 = Nd4j.rand(DataType.FLOAT, 2, 3, size, size).subi(0.5);
        for (ComputationGraph g : graphs) {
            g.setInputs(x2);
            g.computeGradientAndScore();
        }
        assertThat(graphs[0].gradient().gradient()).isEqualTo(graphs[1].gradient().gradient());
    }

    @Test
    void roundTripsThroughJsonAndCheckpoints(@TempDir Path dir) throws Exception {
        ComputationGraphConfiguration conf = graph(true).getConfiguration();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertThat(back).isEqualTo(conf);
        assertThat(back.toJson()).contains(MaxPool2d.class.getName());
        GraphChecks.assertSaveRestoreSame(graph(true), Nd4j.rand(DataType.FLOAT, 2, 3, 11, 11), dir);
    }

    @Test
    void refusesOtherPoolingTypes() {
        assertThatThrownBy(() -> new MaxPool2d(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AVG");
    }
}
