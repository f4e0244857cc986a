package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.testing.GraphChecks;
import io.github.visionzoo.zoo.testing.Golden;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
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
