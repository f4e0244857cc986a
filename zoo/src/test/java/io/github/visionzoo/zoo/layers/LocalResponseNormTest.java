package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.testing.GraphChecks;
import io.github.visionzoo.zoo.testing.Golden;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class LocalResponseNormTest {
    @BeforeAll
    static void doubles() {
        GraphChecks.useDoublePrecision();
    }

    /** input -> layer, for a [b, 7, 5, 4] double input. */
    private static ComputationGraph single(Layer layer) {
        return single(layer, DataType.DOUBLE);
    }

    private static ComputationGraph single(Layer layer, DataType dataType) {
        ComputationGraphConfiguration conf = Blocks.newGraph(1, dataType, 7, 5, 4)
                .addLayer("lrn", layer, Blocks.INPUT)
                .setOutputs("lrn")
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    @Test
    void equalsPyTorchLocalResponseNorm() {
        INDArray x = Golden.load("lrn/input.npy");
        var cases = new Object[][] {
                {new LocalResponseNorm(), "lrn/output_default.npy"},
                {new LocalResponseNorm(5, 1e-1, 0.75, 2.0, LocalResponseNorm.Convention.PYTORCH), "lrn/output_n5.npy"},
                {new LocalResponseNorm(4, 1e-1, 0.75, 2.0, LocalResponseNorm.Convention.PYTORCH), "lrn/output_n4.npy"},
        };
        for (Object[] c : cases) {
            INDArray expected = Golden.load((String) c[1]);
            INDArray actual = single((Layer) c[0]).outputSingle(x);
            assertThat(Golden.maxAbsDiff(actual, expected)).as((String) c[1]).isLessThan(1e-5);
        }
        // the strong setting really normalizes: far from the identity
        assertThat(Golden.maxAbsDiff(x, Golden.load("lrn/output_n5.npy"))).isGreaterThan(0.1);
    }

    @Test
    void paperConventionEqualsDl4jBuiltIn() {
        INDArray x = Golden.load("lrn/input.npy");
        INDArray ours = single(new LocalResponseNorm(5, 1e-1, 0.75, 2.0, LocalResponseNorm.Convention.PAPER))
                .outputSingle(x);
        INDArray builtIn = single(new LocalResponseNormalization.Builder(2.0, 5, 1e-1, 0.75).build())
                .outputSingle(x);
        assertThat(Golden.maxAbsDiff(ours, builtIn)).isLessThan(1e-9);
    }

    @Test
    @Tag("gradient-check")
    void gradientsMatchNumericOnes() {
        ComputationGraphConfiguration conf = Blocks.newGraph(1, DataType.DOUBLE, 7, 5, 4)
                // a convolution below: its gradients flow back through the layer, so they check the layer's
                .addLayer("conv", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(1, 1).nOut(7)
                        .activation(Activation.IDENTITY).build(), Blocks.INPUT)
                .addLayer("lrn", new LocalResponseNorm(3, 0.5, 0.75, 2.0, LocalResponseNorm.Convention.PYTORCH),
                        "conv")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "lrn")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build(), "pool")
                .setOutputs("out")
                .build();
        ComputationGraph g = GraphChecks.gradientCheckGraph(conf);
        Nd4j.getRandom().setSeed(7);
        GraphChecks.assertGradientsMatch(g, Nd4j.randn(DataType.DOUBLE, 2, 7, 5, 4).muli(2), Nd4j.rand(DataType.DOUBLE, 2, 3));
    }

    /**
     * Why visionzoo has its own LRN: DL4J 1.0.0-M2.1's built-in layer computes the right outputs (see
     * {@link #paperConventionEqualsDl4jBuiltIn}) but a wrong gradient for the layers below it. If this starts to fail,
     * DL4J fixed it, and delegating to the built-in becomes an option.
     */
    @Test
    void dl4jBuiltInLrnPassesWrongGradientsDown() {
        ComputationGraphConfiguration conf = Blocks.newGraph(1, DataType.DOUBLE, 7, 5, 4)
                .addLayer("conv", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(1, 1).nOut(7)
                        .activation(Activation.IDENTITY).build(), Blocks.INPUT)
                .addLayer("lrn", new LocalResponseNormalization.Builder(2.0, 3, 0.5 / 3, 0.75).build(), "conv")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "lrn")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build(), "pool")
                .setOutputs("out")
                .build();
        ComputationGraph g = GraphChecks.gradientCheckGraph(conf);
        Nd4j.getRandom().setSeed(7);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GraphChecks.assertGradientsMatch(g,
                Nd4j.randn(DataType.DOUBLE, 2, 7, 5, 4).muli(2), Nd4j.rand(DataType.DOUBLE, 2, 3)))
                .isInstanceOf(AssertionError.class);
    }

    /** {@code sum(g * lrn(x))} straight from the definition, for {@code x [b, c, h, w]} in double. */
    private static double referenceLoss(LocalResponseNorm conf, double[] x, double[] g, int b, int c, int hw) {
        int n = conf.getSize();
        double loss = 0;
        for (int i = 0; i < b; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < hw; p++) {
                    double sum = 0;
                    for (int j = Math.max(0, ch - n / 2); j <= Math.min(c - 1, ch + (n - 1) / 2); j++) {
                        double v = x[(i * c + j) * hw + p];
                        sum += v * v;
                    }
                    int at = (i * c + ch) * hw + p;
                    loss += g[at] * x[at] / Math.pow(conf.getK() + conf.meanCoefficient() * sum / n, conf.getBeta());
                }
            }
        }
        return loss;
    }

    /**
     * The running layer's output and input gradient against the definition (its value and central differences), for
     * windows wider than the channels, size 1, even sizes and both conventions; and the same gradient when backprop
     * comes without a training forward pass (none, or an inference one).
     */
    @Test
    void matchesDefinitionForEdgeWindows() {
        var cases = List.of(
                new LocalResponseNorm(5, 0.8, 0.75, 2.0, LocalResponseNorm.Convention.PYTORCH), // c=2 < size
                new LocalResponseNorm(1, 0.5, 0.6, 1.0, LocalResponseNorm.Convention.PAPER),
                new LocalResponseNorm(4, 0.9, 0.75, 1.5, LocalResponseNorm.Convention.PYTORCH),
                new LocalResponseNorm(6, 0.3, 1.3, 1.0, LocalResponseNorm.Convention.PAPER),
                new LocalResponseNorm(3, 0.4, 0.5, 2.0, LocalResponseNorm.Convention.PAPER));
        int[] channels = {2, 7, 7, 9, 5};
        int b = 2;
        int hw = 6;
        for (int ci = 0; ci < cases.size(); ci++) {
            LocalResponseNorm conf = cases.get(ci);
            int c = channels[ci];
            String name = "size " + conf.getSize() + ", " + conf.getConvention() + ", c " + c;
            NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).layer(conf)
                    .build();
            var layer = conf.instantiate(nnc, List.of(), 0, null, false, DataType.DOUBLE);
            LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
            Nd4j.getRandom().setSeed(11 + ci);
            INDArray x = Nd4j.randn(DataType.DOUBLE, b, c, 3, 2).muli(2);
            INDArray g = Nd4j.randn(DataType.DOUBLE, b, c, 3, 2);
            double[] xs = x.data().asDouble();
            double[] gs = g.data().asDouble();

            layer.setInput(x, mgr);
            INDArray out = layer.activate(true, mgr);
            assertThat(out.mul(g).sumNumber().doubleValue()).as(name)
                    .isCloseTo(referenceLoss(conf, xs, gs, b, c, hw), org.assertj.core.data.Offset.offset(1e-12));
            INDArray dx = layer.backpropGradient(g, mgr).getSecond().dup();

            double[] numeric = new double[xs.length];
            double h = 1e-6;
            for (int e = 0; e < xs.length; e++) {
                double[] plus = xs.clone();
                double[] minus = xs.clone();
                plus[e] += h;
                minus[e] -= h;
                numeric[e] = (referenceLoss(conf, plus, gs, b, c, hw) - referenceLoss(conf, minus, gs, b, c, hw))
                        / (2 * h);
            }
            INDArray expected = Nd4j.create(numeric, x.shape(), 'c');
            assertThat(Golden.maxAbsDiff(dx, expected)).as(name).isLessThan(1e-7);
            // the window couples channels: far from the gradient of x * D^-beta with D held fixed
            assertThat(Golden.maxAbsDiff(dx, g.mul(out).div(x))).as(name).isGreaterThan(1e-3);

            layer.setInput(x.dup(), mgr); // no forward pass
            assertThat(Golden.maxAbsDiff(layer.backpropGradient(g, mgr).getSecond(), dx)).as(name).isLessThan(1e-12);
            layer.setInput(x.dup(), mgr);
            layer.activate(false, mgr);
            assertThat(Golden.maxAbsDiff(layer.backpropGradient(g, mgr).getSecond(), dx)).as(name).isLessThan(1e-12);
        }
    }

    /**
     * The backward pass uses arrays that the forward pass left in DL4J's workspaces: its gradients in a graph with
     * workspaces equal those without.
     */
    @Test
    void gradientsWithWorkspacesEqualThoseWithout() {
        INDArray[] gradients = new INDArray[2];
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 3, 7, 5, 4).muli(2);
        INDArray labels = Nd4j.rand(DataType.DOUBLE, 3, 3);
        WorkspaceMode[] modes = {WorkspaceMode.ENABLED, WorkspaceMode.NONE};
        for (int m = 0; m < 2; m++) {
            ComputationGraphConfiguration conf = Blocks.newGraph(1, DataType.DOUBLE, 7, 5, 4)
                    .addLayer("conv", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(1, 1).nOut(7)
                            .activation(Activation.RELU).build(), Blocks.INPUT)
                    .addLayer("lrn", new LocalResponseNorm(5, 0.5, 0.75, 2.0, LocalResponseNorm.Convention.PYTORCH),
                            "conv")
                    .addLayer("conv2", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(1, 1).nOut(7)
                            .activation(Activation.IDENTITY).build(), "lrn")
                    .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv2")
                    .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                            .activation(Activation.IDENTITY).build(), "pool")
                    .setOutputs("out")
                    .build();
            conf.setTrainingWorkspaceMode(modes[m]);
            conf.setInferenceWorkspaceMode(modes[m]);
            ComputationGraph g = new ComputationGraph(conf);
            g.init();
            g.setInputs(x);
            g.setLabels(labels);
            g.computeGradientAndScore();
            g.computeGradientAndScore(); // the second time, in workspaces sized by the first
            gradients[m] = g.gradient().gradient().dup();
        }
        assertThat(gradients[0].norm2Number().doubleValue()).isGreaterThan(1e-6);
        assertThat(Golden.maxAbsDiff(gradients[0], gradients[1])).isLessThan(1e-12);
    }

    /** The layer in float, on oneDNN's kernel or on its own passes ({@link GraphChecks#withKernels}). */
    private static LocalResponseNorm.Impl floatLayer(LocalResponseNorm conf, boolean oneDnn) {
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).layer(conf).build();
        return (LocalResponseNorm.Impl) GraphChecks.withKernels(oneDnn,
                () -> conf.instantiate(nnc, List.of(), 0, null, false, DataType.FLOAT));
    }

    /**
     * oneDNN's kernel gives the layer's own outputs and input gradients in float: training on NCHW arrays, inference
     * on NCHW and channels-last ones (its output keeps the input's layout), backprop after an inference pass. It
     * takes AlexNet's window (size 5) and never an even one, where its centred window is not PyTorch's; other odd
     * sizes run on it where oneDNN has a jit kernel for them (its reference implementation is not taken).
     */
    @Test
    void oneDnnKernelEqualsTheLayersOwnPasses() {
        var cases = List.of(new LocalResponseNorm(), // AlexNet's: size 5
                new LocalResponseNorm(3, 0.9, 0.6, 1.5, LocalResponseNorm.Convention.PAPER),
                new LocalResponseNorm(4, 0.9, 0.75, 1.5, LocalResponseNorm.Convention.PYTORCH));
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        for (LocalResponseNorm conf : cases) {
            String name = "size " + conf.getSize();
            Nd4j.getRandom().setSeed(conf.getSize());
            INDArray x = Nd4j.randn(DataType.FLOAT, 3, 19, 6, 5).muli(3);
            INDArray g = Nd4j.randn(DataType.FLOAT, 3, 19, 6, 5);
            LocalResponseNorm.Impl own = floatLayer(conf, false);
            own.setInput(x, mgr);
            INDArray expected = own.activate(true, mgr).dup();
            INDArray expectedGrad = own.backpropGradient(g, mgr).getSecond().dup();
            assertThat(Golden.maxAbsDiff(expected, x)).as(name).isGreaterThan(1e-2); // it normalizes

            LocalResponseNorm.Impl direct = floatLayer(conf, true);
            direct.setInput(x, mgr);
            INDArray out = direct.activate(true, mgr);
            if (conf.getSize() != 3) {
                assertThat(direct.ranOnKernel()).as(name).isEqualTo(conf.getSize() == 5);
            }
            assertThat(Golden.maxAbsDiff(out, expected)).as(name).isLessThan(1e-5);
            assertThat(Golden.maxAbsDiff(direct.backpropGradient(g, mgr).getSecond(), expectedGrad)).as(name)
                    .isLessThan(1e-5);

            INDArray nhwc = ChannelsLast.create(mgr, ArrayType.ACTIVATIONS, DataType.FLOAT, 3, 19, 6, 5).assign(x);
            for (INDArray input : new INDArray[] {x, nhwc}) {
                direct.setInput(input, mgr);
                INDArray inferred = direct.activate(false, mgr);
                assertThat(Golden.maxAbsDiff(inferred, expected)).as(name).isLessThan(1e-5);
                if (conf.getSize() != 3) {
                    assertThat(ChannelsLast.nhwcOf(inferred) != null).as(name)
                            .isEqualTo(input == nhwc && conf.getSize() == 5);
                }
                assertThat(Golden.maxAbsDiff(direct.backpropGradient(g, mgr).getSecond(), expectedGrad)).as(name)
                        .isLessThan(1e-5); // no training pass before it: the layer's own passes
            }
        }
    }

    @Test
    void savesAndRestores(@TempDir Path dir) throws Exception {
        ComputationGraph g = single(new LocalResponseNorm(3, 0.3, 0.5, 1.5, LocalResponseNorm.Convention.PAPER),
                DataType.FLOAT);
        INDArray x = Golden.load("lrn/input.npy").castTo(DataType.FLOAT);
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(g, x, dir);
        LocalResponseNorm layer = (LocalResponseNorm) restored.getLayer("lrn").conf().getLayer();
        assertThat(layer.getSize()).isEqualTo(3);
        assertThat(layer.getConvention()).isEqualTo(LocalResponseNorm.Convention.PAPER);
        assertThat(layer.getAlpha()).isEqualTo(0.3);
    }

    @Test
    void rejectsBadSettings() {
        assertThatThrownBy(() -> new LocalResponseNorm(0, 1e-4, 0.75, 2, LocalResponseNorm.Convention.PYTORCH))
                .hasMessageContaining("size");
        assertThatThrownBy(() -> new LocalResponseNorm(5, 1e-4, 0.75, 0, LocalResponseNorm.Convention.PYTORCH))
                .hasMessageContaining("k > 0");
    }
}
