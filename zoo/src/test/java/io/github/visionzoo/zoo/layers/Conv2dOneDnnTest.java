package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Conv2d} on oneDNN's convolution kernel against DL4J's own passes: each test's graph is built with oneDNN's
 * kernels, and its twin with the same parameters on the portable ones ({@link GraphChecks#twin}) runs DL4J's code.
 */
class Conv2dOneDnnTest {
    private static final int SIZE = 11;

    @BeforeAll
    static void loaded() {
        // the build's platform (linux-x86_64 in CI) has the presets' natives: the tests below must not pass vacuously
        assertThat(Kernels.oneDnn()).as("oneDNN presets loaded").isTrue();
    }

    @AfterEach
    void freeWorkspaces() {
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
    }

    /** One convolution under test, in front of it a 1x1 one (which receives its input gradient). */
    private record Case(int kernel, int stride, int padding, int dilation, boolean bias, Activation activation,
                        ConvolutionMode mode, int size) {
        Case(int kernel, int stride, int padding, int dilation, boolean bias, Activation activation,
             ConvolutionMode mode) {
            this(kernel, stride, padding, dilation, bias, activation, mode, SIZE);
        }

        ComputationGraph graph() {
            GraphBuilder g = Blocks.newGraph(3, 3, size, size);
            Blocks.conv(g, "pre", Blocks.INPUT, 4, 1, 1, 0, true, Activation.IDENTITY, TorchInit.torchDefault(), 0.1);
            g.addLayer("conv", new Conv2d(new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride)
                    .padding(padding, padding).dilation(dilation, dilation).convolutionMode(mode).nOut(6)
                    .hasBias(bias).biasInit(0.2).activation(activation)
                    .weightInit(TorchInit.kaimingNormalFanOut())), "pre");
            Blocks.classifier(g, "fc", Blocks.globalAvgPool(g, "avgpool", "conv"), 3, 0.0, TorchInit.torchDefault());
            ComputationGraph graph = new ComputationGraph(GraphChecks.withoutUpdater(Blocks.build(g)));
            graph.init();
            return graph;
        }
    }

    /** Same and truncated windows, strides 1 and 2, 1x1 to 7x7, a dilation, with and without bias and ReLU. */
    private static final Case[] CASES = {
            new Case(3, 1, 1, 1, true, Activation.RELU, ConvolutionMode.Truncate),
            new Case(3, 2, 1, 1, false, Activation.IDENTITY, ConvolutionMode.Truncate),
            new Case(1, 2, 0, 1, false, Activation.IDENTITY, ConvolutionMode.Truncate),
            new Case(7, 2, 3, 1, true, Activation.RELU, ConvolutionMode.Truncate),
            new Case(3, 2, 0, 1, true, Activation.RELU, ConvolutionMode.Same),
            new Case(3, 1, 2, 2, true, Activation.IDENTITY, ConvolutionMode.Truncate)};

    /** A 3x3 convolution at stride 1 on a map of 28 or more: it runs Winograd's algorithm in inference. */
    private static final Case WINOGRAD = new Case(3, 1, 1, 1, true, Activation.RELU, ConvolutionMode.Truncate,
            30); // OneDnnConvolution.WINOGRAD_MIN_SIZE is 28

    /**
     * Score and gradients of one training pass of {@code graph} (built on oneDNN's kernels), with the convolutions on
     * oneDNN directly or, on its twin, through DL4J.
     */
    private static Map<String, INDArray> gradients(ComputationGraph graph, INDArray x, boolean direct) {
        if (!direct) {
            graph = GraphChecks.twin(graph, false);
        }
        graph.setInputs(x);
        graph.setLabels(GraphChecks.cyclicLabels(DataType.FLOAT, (int) x.size(0), 3));
        graph.computeGradientAndScore();
        assertThat(((Conv2d.Impl) graph.getLayer("conv")).ranOnKernel()).as("ran directly").isEqualTo(direct);
        Map<String, INDArray> g = new TreeMap<>();
        graph.gradient().gradientForVariable().forEach((k, v) -> g.put(k, v.dup()));
        g.put("score", Nd4j.scalar(graph.score()));
        return g;
    }

    @Test
    void trainsWithDl4jsNumbers() {
        for (Case c : CASES) {
            ComputationGraph graph = c.graph();
            for (int batch : new int[] {3, 2, 3}) { // a new input shape builds new primitives, and back
                INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, SIZE, SIZE).subi(0.5);
                Map<String, INDArray> direct = gradients(graph, x, true);
                Map<String, INDArray> dl4j = gradients(graph, x, false);
                assertThat(direct.keySet()).isEqualTo(dl4j.keySet()).contains("pre_W", "conv_W");
                direct.forEach((k, v) -> {
                    double scale = Math.max(1e-3, dl4j.get(k).amaxNumber().doubleValue());
                    assertThat(v.sub(dl4j.get(k)).amaxNumber().doubleValue() / scale).as("%s, %s, batch %d", k, c,
                            batch).isLessThan(1e-4); // float sums in another order
                });
            }
        }
    }

    /**
     * Inference on oneDNN directly, into channels-last outputs, against DL4J's training forward pass (no dropout or
     * batch norm here, so both compute the same): from the images' NCHW ({@code pre}) and from a channels-last
     * activation ({@code conv}), with a new input shape on the way; and on Winograd's algorithm.
     */
    @Test
    void infersWithDl4jsNumbers() {
        for (Case c : java.util.stream.Stream.concat(java.util.Arrays.stream(CASES), java.util.stream.Stream.of(
                WINOGRAD)).toList()) {
            ComputationGraph graph = c.graph();
            for (int batch : new int[] {3, 2}) {
                INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, c.size(), c.size()).subi(0.5);
                Map<String, INDArray> dl4j = GraphChecks.twin(graph, false).feedForward(x, true);
                Map<String, INDArray> direct = graph.feedForward(x, false);
                for (String layer : new String[] {"pre", "conv"}) {
                    assertThat(((Conv2d.Impl) graph.getLayer(layer)).ranOnKernel()).as(layer).isTrue();
                    assertThat(ChannelsLast.nhwcOf(direct.get(layer))).as("channels-last").isNotNull();
                    INDArray expected = dl4j.get(layer);
                    double scale = expected.amaxNumber().doubleValue();
                    assertThat(direct.get(layer).sub(expected).amaxNumber().doubleValue() / scale)
                            .as("%s, %s, batch %d", layer, c, batch).isLessThan(1e-5);
                }
            }
        }
    }

    /**
     * Winograd's transformed weights are kept between passes, transformed again whenever the weights change, and
     * freed by a training pass.
     */
    @Test
    void winogradTransformsWeightsAgainOnceTheyChange() {
        ComputationGraph graph = WINOGRAD.graph();
        Conv2d.Impl conv = (Conv2d.Impl) graph.getLayer("conv");
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, WINOGRAD.size(), WINOGRAD.size()).subi(0.5);
        INDArray first = inferred(graph, x, true);
        assertThat(conv.keptWeightBytes()).as("a copy of the 6x4x3x3 weights and their transform")
                .isGreaterThan(6 * 4 * 9 * Float.BYTES);
        assertThat(inferred(graph, x, true)).as("the same weights again").isEqualTo(first);

        gradients(graph, x, true);
        assertThat(conv.keptWeightBytes()).as("after a training pass").isZero();
        assertThat(inferred(graph, x, true)).as("transformed again").isEqualTo(first);

        graph.params().subi(Nd4j.rand(DataType.FLOAT, graph.params().shape()).muli(0.01)); // as an updater does
        assertInfersWithDl4jsNumbers(graph, x, "all parameters changed in place");
        graph.getLayer("conv").getParam("W").muli(-0.5);
        assertInfersWithDl4jsNumbers(graph, x, "the weights changed in place");
        graph.setParams(graph.params().mul(1.5));
        assertInfersWithDl4jsNumbers(graph, x, "setParams");
    }

    private static void assertInfersWithDl4jsNumbers(ComputationGraph graph, INDArray x, String after) {
        INDArray expected = inferred(graph, x, false);
        INDArray direct = inferred(graph, x, true);
        assertThat(direct.sub(expected).amaxNumber().doubleValue() / expected.amaxNumber().doubleValue()).as(after)
                .isLessThan(1e-5);
    }

    /** The convolution's inference output, on oneDNN directly or, on {@code graph}'s twin, through DL4J. */
    private static INDArray inferred(ComputationGraph graph, INDArray x, boolean direct) {
        ComputationGraph g = direct ? graph : GraphChecks.twin(graph, false);
        INDArray out = g.feedForward(x, false).get("conv").dup();
        assertThat(((Conv2d.Impl) g.getLayer("conv")).ranOnKernel()).as("ran directly").isEqualTo(direct);
        return out;
    }

    /** The images' gradient is skipped only where nothing but convolutions reads them, and the setting is saved. */
    @Test
    void noInputGradientWhereOnlyConvolutionsReadTheInput() {
        ComputationGraphConfiguration resnet = ResNetSpec.resnet18().configuration(10, 1);
        assertThat(conv(resnet, "conv1").isInputGradient()).isFalse();
        assertThat(conv(resnet, "layer1.0.conv1").isInputGradient()).isTrue();
        ComputationGraphConfiguration restored = ComputationGraphConfiguration.fromJson(resnet.toJson());
        assertThat(conv(restored, "conv1").isInputGradient()).isFalse();
        assertThat(conv(restored, "layer2.0.conv1").isInputGradient()).isTrue();

        // the images' gradient from the layer that reads them: none by default, DL4J's numbers when asked for
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, SIZE, SIZE).subi(0.5);
        ComputationGraph none = new Case(3, 1, 1, 1, true, Activation.RELU, ConvolutionMode.Truncate).graph();
        assertThat(imageGradient(none, x)).isNull();
        ComputationGraph asked = new ComputationGraph(Blocks.withInputGradients(none.getConfiguration().clone()));
        asked.init(none.params().dup(), false);
        INDArray direct = imageGradient(asked, x);
        INDArray dl4j = imageGradient(GraphChecks.twin(asked, false), x);
        assertThat(direct.shape()).containsExactly(2, 3, SIZE, SIZE);
        assertThat(direct.amaxNumber().doubleValue()).isPositive();
        assertThat(direct.equalsWithEps(dl4j, 1e-5)).isTrue();

        // the input also feeds a residual sum: DL4J would add the sum's gradient to the convolution's null
        GraphBuilder g = Blocks.newGraph(3, 4, SIZE, SIZE);
        Blocks.conv(g, "conv", Blocks.INPUT, 4, 3, 1, 1, false, Activation.IDENTITY, TorchInit.torchDefault(), 0);
        g.addVertex("add", new AddRelu(), "conv", Blocks.INPUT);
        Blocks.classifier(g, "fc", Blocks.globalAvgPool(g, "avgpool", "add"), 3, 0.0, TorchInit.torchDefault());
        ComputationGraphConfiguration mixed = Blocks.build(g);
        assertThat(conv(mixed, "conv").isInputGradient()).isTrue();
        ComputationGraph graph = new ComputationGraph(mixed);
        graph.init();
        graph.setInputs(Nd4j.rand(DataType.FLOAT, 2, 4, SIZE, SIZE));
        graph.setLabels(GraphChecks.cyclicLabels(DataType.FLOAT, 2, 3));
        graph.computeGradientAndScore();
        assertThat(graph.score()).isPositive();
    }

    /** The backward pass of layer {@code pre}, which reads the images, for a fixed output gradient. */
    private static INDArray imageGradient(ComputationGraph graph, INDArray x) {
        graph.initGradientsView();
        graph.feedForward(new INDArray[] {x}, true, false);
        Nd4j.getRandom().setSeed(5);
        INDArray epsilon = Nd4j.rand(DataType.FLOAT, 2, 4, SIZE, SIZE);
        return graph.getLayer("pre").backpropGradient(epsilon, LayerWorkspaceMgr.noWorkspaces()).getSecond();
    }

    private static Conv2d conv(ComputationGraphConfiguration conf, String name) {
        return (Conv2d) ((LayerVertex) conf.getVertices().get(name)).getLayerConf().getLayer();
    }
}
