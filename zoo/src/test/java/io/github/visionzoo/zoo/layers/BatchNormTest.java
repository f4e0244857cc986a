package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
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

class BatchNormTest {
    @AfterEach
    void floatAgain() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    /** conv -> batch norm (+ ReLU) -> conv -> batch norm -> pool -> classes; ours, or DL4J's with a ReLU vertex. */
    private static ComputationGraphConfiguration cnn(DataType type, boolean ours) {
        GraphBuilder g = Blocks.newGraph(3, type, 3, 6, 6);
        TorchInit init = TorchInit.kaimingNormalFanOut();
        String x = Blocks.conv(g, "conv1", Blocks.INPUT, 4, 3, 1, 1, true, Activation.IDENTITY, init, 0.1);
        x = norm(g, "bn1", x, Activation.RELU, ours);
        x = Blocks.conv(g, "conv2", x, 5, 3, 2, 1, false, Activation.IDENTITY, init, 0.0);
        x = norm(g, "bn2", x, Activation.IDENTITY, ours);
        x = Blocks.globalAvgPool(g, "avgpool", x);
        Blocks.classifier(g, "fc", x, 3, 0.0, TorchInit.torchDefault());
        return Blocks.build(g);
    }

    private static String norm(GraphBuilder g, String name, String input, Activation activation, boolean ours) {
        if (ours) {
            return Blocks.batchNorm(g, name, input, activation);
        }
        g.addLayer(name, new BatchNormalization.Builder().eps(1e-5).decay(0.9).build(), input);
        if (activation == Activation.IDENTITY) {
            return name;
        }
        g.addLayer(name + ".relu", new ActivationLayer.Builder().activation(activation).build(), name);
        return name + ".relu";
    }

    private static GraphBuilder graphWithInput(DataType type, InputType inputType) {
        return new NeuralNetConfiguration.Builder().seed(4).dataType(type).graphBuilder()
                .addInputs(Blocks.INPUT).setInputTypes(inputType);
    }

    private static ComputationGraph init(ComputationGraphConfiguration conf) {
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }

    @Test
    void sameOutputsGradientsAndRunningStatisticsAsDl4jBatchNormalizationWithAReluVertex() {
        GraphChecks.useDoublePrecision();
        ComputationGraph ours = init(cnn(DataType.DOUBLE, true));
        ComputationGraph dl4j = init(cnn(DataType.DOUBLE, false));
        assertThat(ours.numParams()).isEqualTo(dl4j.numParams());
        dl4j.setParams(ours.params().dup());
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 3, 6, 6).muli(3).subi(1); // mean far from 0
        INDArray y = GraphChecks.cyclicLabels(4, 3);

        assertThat(ours.outputSingle(true, x).equalsWithEps(dl4j.outputSingle(true, x), 1e-10)).isTrue();
        ours.setInputs(x);
        ours.setLabels(y);
        dl4j.setInputs(x);
        dl4j.setLabels(y);
        ours.computeGradientAndScore();
        dl4j.computeGradientAndScore();
        assertThat(ours.score()).isCloseTo(dl4j.score(), org.assertj.core.data.Offset.offset(1e-10));
        for (String name : new String[] {"conv1", "bn1", "conv2", "bn2", "fc"}) {
            ours.gradient().gradientForVariable().forEach((key, grad) -> {
                // the running variance's update is not DL4J's (below)
                if (key.startsWith(name + "_") && !key.endsWith("_log10stdev")) {
                    INDArray other = dl4j.gradient().gradientForVariable().get(key);
                    assertThat(grad.equalsWithEps(other, 1e-9)).as(key).isTrue();
                }
            });
        }

        // three Adam steps: same parameters and running mean; the running variance from 1, the unbiased batch
        // variance where DL4J's follows the biased one
        for (int i = 0; i < 3; i++) {
            ours.fit(new INDArray[] {x}, new INDArray[] {y});
            dl4j.fit(new INDArray[] {x}, new INDArray[] {y});
        }
        ours.paramTable().forEach((key, value) -> {
            if (!key.endsWith("_log10stdev")) {
                assertThat(value.equalsWithEps(dl4j.getParam(key), 1e-9)).as(key).isTrue();
            }
        });
        double[] decayed1 = new double[4];
        double[] decayed2 = new double[5];
        java.util.Arrays.fill(decayed1, Math.pow(0.9, 3));
        java.util.Arrays.fill(decayed2, Math.pow(0.9, 3));
        assertThat(runningVariance(ours, "bn1")).as("bn1: n = 4 * 6 * 6")
                .containsExactly(unbiased(runningVariance(dl4j, "bn1"), decayed1, 144), within(1e-9));
        assertThat(runningVariance(ours, "bn2")).as("bn2: n = 4 * 3 * 3")
                .containsExactly(unbiased(runningVariance(dl4j, "bn2"), decayed2, 36), within(1e-9));
        // inference uses the running statistics
        dl4j.setParams(ours.params().dup());
        assertThat(ours.outputSingle(false, x).equalsWithEps(dl4j.outputSingle(false, x), 1e-9)).isTrue();
    }

    /** The running variance {@code [c]} of a batch norm layer, which keeps its log10 std. */
    private static double[] runningVariance(ComputationGraph graph, String layer) {
        double[] log10Std = graph.getParam(layer + "_log10stdev").castTo(DataType.DOUBLE).toDoubleVector();
        return java.util.Arrays.stream(log10Std).map(l -> Math.pow(10, 2 * l)).toArray();
    }

    /**
     * DL4J's running variance turned into PyTorch's: both decay the earlier value alike ({@code decayed}), but the
     * batches' share is {@code n / (n - 1)} times larger with the unbiased variance.
     */
    private static double[] unbiased(double[] dl4j, double[] decayed, double n) {
        double[] out = new double[dl4j.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = decayed[i] + (dl4j[i] - decayed[i]) * n / (n - 1);
        }
        return out;
    }

    @Test
    void matchesDl4jOneDnnPathInFloat() {
        ComputationGraph ours = init(cnn(DataType.FLOAT, true));
        ComputationGraph dl4j = init(cnn(DataType.FLOAT, false));
        dl4j.setParams(ours.params().dup());
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 6, 6).muli(3).subi(1);
        INDArray y = GraphChecks.cyclicLabels(4, 3).castTo(DataType.FLOAT);
        for (int i = 0; i < 3; i++) {
            assertThat(ours.outputSingle(true, x).equalsWithEps(dl4j.outputSingle(true, x), 1e-5)).isTrue();
            double[][] before = {runningVariance(ours, "bn1"), runningVariance(ours, "bn2")};
            ours.fit(new INDArray[] {x}, new INDArray[] {y});
            dl4j.fit(new INDArray[] {x}, new INDArray[] {y});
            for (String stat : new String[] {"bn1_mean", "bn2_mean"}) {
                assertThat(ours.getParam(stat).equalsWithEps(dl4j.getParam(stat), 1e-5)).as(stat).isTrue();
            }
            assertThat(runningVariance(ours, "bn1")).containsExactly(unbiased(runningVariance(dl4j, "bn1"),
                    java.util.Arrays.stream(before[0]).map(v -> 0.9 * v).toArray(), 144), within(1e-5));
            assertThat(runningVariance(ours, "bn2")).containsExactly(unbiased(runningVariance(dl4j, "bn2"),
                    java.util.Arrays.stream(before[1]).map(v -> 0.9 * v).toArray(), 36), within(1e-5));
            // Adam turns float rounding in near-zero gradients into full-size steps: start the next step level
            dl4j.setParams(ours.params().dup());
        }
        assertThat(ours.outputSingle(false, x).equalsWithEps(dl4j.outputSingle(false, x), 1e-5)).isTrue();
    }

    /**
     * Inference on oneDNN's kernel against the Java passes (the layer of a twin graph on the portable kernels), on
     * NCHW and channels-last input (as {@link Conv2d} writes it in inference), with and without ReLU, after running
     * statistics moved away from 0 and 1.
     */
    @Test
    void inferenceOnOneDnnMatchesTheJavaPasses() {
        for (Activation activation : new Activation[] {Activation.RELU, Activation.IDENTITY}) {
            GraphBuilder g = Blocks.newGraph(3, 6, 5, 5);
            Blocks.batchNorm(g, "bn", Blocks.INPUT, activation);
            Blocks.classifier(g, "fc", Blocks.globalAvgPool(g, "avgpool", "bn"), 3, 0.0,
                    TorchInit.torchDefault());
            ComputationGraph graph = GraphChecks.withKernels(true, () -> init(Blocks.build(g)));
            graph.setParam("bn_mean", Nd4j.rand(DataType.FLOAT, 1, 6).subi(0.5));
            graph.setParam("bn_log10stdev", Nd4j.rand(DataType.FLOAT, 1, 6).subi(0.5));
            graph.setParam("bn_gamma", Nd4j.rand(DataType.FLOAT, 1, 6).addi(0.5));
            graph.setParam("bn_beta", Nd4j.rand(DataType.FLOAT, 1, 6).subi(0.5));
            BatchNorm.Impl layer = (BatchNorm.Impl) graph.getLayer("bn");
            BatchNorm.Impl javaLayer = (BatchNorm.Impl) GraphChecks.twin(graph, false).getLayer("bn");
            INDArray nchw = Nd4j.rand(DataType.FLOAT, 4, 6, 5, 5).muli(3).subi(1);
            INDArray nhwc = ChannelsLast.create(LayerWorkspaceMgr.noWorkspaces(), ArrayType.ACTIVATIONS,
                    DataType.FLOAT, 4, 6, 5, 5).assign(nchw);
            for (INDArray x : new INDArray[] {nchw, nhwc}) {
                INDArray plain = activate(javaLayer, x);
                assertThat(javaLayer.ranOnKernel()).isFalse();
                INDArray oneDnn = activate(layer, x);
                assertThat(layer.ranOnKernel()).isTrue();
                assertThat(oneDnn.stride()).as("the input's layout").containsExactly(x.stride());
                assertThat(oneDnn.equalsWithEps(plain, 1e-5)).as("%s, strides %s", activation,
                        java.util.Arrays.toString(x.stride())).isTrue();
                assertThat(oneDnn.minNumber().doubleValue() < 0).isEqualTo(activation == Activation.IDENTITY);
            }
        }
    }

    private static INDArray activate(org.deeplearning4j.nn.api.Layer layer, INDArray x) {
        layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
        return layer.activate(false, LayerWorkspaceMgr.noWorkspaces());
    }

    @Test
    void floatEqualsDouble() {
        ComputationGraph f = init(cnn(DataType.FLOAT, true));
        ComputationGraph d = init(cnn(DataType.DOUBLE, true));
        f.paramTable().forEach((k, v) -> d.setParam(k, v.castTo(DataType.DOUBLE)));
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 6, 6).muli(3).subi(1);
        INDArray y = GraphChecks.cyclicLabels(4, 3).castTo(DataType.FLOAT);
        assertThat(f.outputSingle(true, x).castTo(DataType.DOUBLE)
                .equalsWithEps(d.outputSingle(true, x.castTo(DataType.DOUBLE)), 1e-5)).isTrue();
        f.setInputs(x);
        f.setLabels(y);
        d.setInputs(x.castTo(DataType.DOUBLE));
        d.setLabels(y.castTo(DataType.DOUBLE));
        f.computeGradientAndScore();
        d.computeGradientAndScore();
        f.gradient().gradientForVariable().forEach((key, grad) -> {
            INDArray other = d.gradient().gradientForVariable().get(key);
            double scale = Math.max(1.0, other.amaxNumber().doubleValue());
            assertThat(grad.castTo(DataType.DOUBLE).equalsWithEps(other, 1e-4 * scale)).as(key).isTrue();
        });
        f.fit(new INDArray[] {x}, new INDArray[] {y});
        d.fit(new INDArray[] {x.castTo(DataType.DOUBLE)}, new INDArray[] {y.castTo(DataType.DOUBLE)});
        assertThat(f.getParam("bn1_mean").castTo(DataType.DOUBLE).equalsWithEps(d.getParam("bn1_mean"), 1e-5))
                .isTrue();
        // inference with the moved running statistics (Adam's step itself is left out: it amplifies rounding)
        f.paramTable().forEach((k, v) -> d.setParam(k, v.castTo(DataType.DOUBLE)));
        assertThat(f.outputSingle(false, x).castTo(DataType.DOUBLE)
                .equalsWithEps(d.outputSingle(false, x.castTo(DataType.DOUBLE)), 1e-5)).isTrue();
    }

    @Test
    void reluIsApplied() {
        ComputationGraph graph = init(cnn(DataType.FLOAT, true));
        graph.setInputs(Nd4j.rand(DataType.FLOAT, 2, 3, 6, 6));
        INDArray bn1 = graph.feedForward(true).get("bn1");
        assertThat(bn1.minNumber().doubleValue()).isEqualTo(0.0);
        assertThat(graph.feedForward(true).get("bn2").minNumber().doubleValue()).isNegative();
    }

    @Test
    @Tag("gradient-check")
    void gradientsMatchNumericOnes() {
        GraphChecks.useDoublePrecision();
        ComputationGraph graph = GraphChecks.gradientCheckGraph(cnn(DataType.DOUBLE, true));
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 3, 6, 6).subi(0.3);
        GraphChecks.assertGradientsMatch(graph, x, GraphChecks.cyclicLabels(3, 3));
    }

    @Test
    @Tag("gradient-check")
    void gradientsMatchOnFeedForwardInput() {
        GraphChecks.useDoublePrecision();
        GraphBuilder g = graphWithInput(DataType.DOUBLE, InputType.feedForward(5));
        g.addLayer("fc1", new DenseLayer.Builder().nOut(6).activation(Activation.IDENTITY)
                .weightInit(TorchInit.torchDefault()).build(), Blocks.INPUT);
        Blocks.batchNorm(g, "bn", "fc1", Activation.RELU);
        Blocks.classifier(g, "fc2", "bn", 3, 0.0, TorchInit.torchDefault());
        ComputationGraph graph = GraphChecks.gradientCheckGraph(Blocks.build(g));
        GraphChecks.assertGradientsMatch(graph, Nd4j.rand(DataType.DOUBLE, 5, 5), GraphChecks.cyclicLabels(5, 3));
    }

    @Test
    void savesAndRestores(@TempDir Path dir) throws Exception {
        ComputationGraph graph = init(cnn(DataType.FLOAT, true));
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 6, 6);
        graph.fit(new INDArray[] {x}, new INDArray[] {GraphChecks.cyclicLabels(2, 3)}); // running statistics move
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(graph, x, dir);
        assertThat(restored.getLayer("bn1").conf().getLayer()).isInstanceOf(BatchNorm.class);
        ComputationGraphConfiguration fromJson = ComputationGraphConfiguration.fromJson(graph.getConfiguration()
                .toJson());
        assertThat(fromJson).isEqualTo(graph.getConfiguration());
    }

    @Test
    void refusesWhatItDoesNotImplement() {
        assertThatThrownBy(() -> new BatchNorm(Activation.TANH.getActivationFunction(), 1e-5, 0.9))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("identity or relu");
        assertThatThrownBy(() -> new BatchNorm(Activation.RELU.getActivationFunction(), 0, 0.9))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eps > 0");
        GraphBuilder g = graphWithInput(DataType.FLOAT, InputType.convolutional(6, 6, 3, CNN2DFormat.NHWC));
        Blocks.batchNorm(g, "bn", Blocks.INPUT, Activation.RELU);
        g.setOutputs("bn");
        assertThatThrownBy(g::build).hasMessageContaining("NCHW");
    }
}
