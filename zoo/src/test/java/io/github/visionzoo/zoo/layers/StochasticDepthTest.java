package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link StochasticDepth}: torchvision's {@code StochasticDepth(p, "row")}: each example's whole output is 0 or the
 * input over {@code 1 - p} in training, the input in inference; its gradient uses the forward pass's draw.
 */
class StochasticDepthTest {
    private static ComputationGraphConfiguration onTokens(double p, DataType type) {
        return new NeuralNetConfiguration.Builder()
                .seed(3).dataType(type).updater(new Adam(1e-3))
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.recurrent(4, 3, RNNFormat.NWC))
                .addLayer("dense", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(4)
                        .activation(Activation.TANH).build(), "in")
                .addLayer("drop", new StochasticDepth(p), "dense")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nOut(3).dataFormat(RNNFormat.NWC).build(), "drop")
                .setOutputs("out")
                .build();
    }

    @Test
    void dropsWholeExamplesInTrainingOnly() {
        ComputationGraph graph = new ComputationGraph(onTokens(0.5, DataType.FLOAT));
        graph.init();
        assertThat(graph.getLayer("drop")).as("written out, not SameDiff").isInstanceOf(StochasticDepthImpl.class);
        Nd4j.getRandom().setSeed(8);
        INDArray input = Nd4j.rand(DataType.FLOAT, 64, 3, 4).addi(0.5);
        INDArray branch = graph.feedForward(input, false).get("dense");
        assertThat(graph.feedForward(input, false).get("drop")).isEqualTo(branch);
        INDArray trained = graph.feedForward(input, true).get("drop");
        int dropped = 0;
        for (int b = 0; b < 64; b++) {
            INDArray row = trained.slice(b);
            if (row.amaxNumber().doubleValue() == 0) {
                dropped++;
            } else {
                assertThat(row.equalsWithEps(branch.slice(b).mul(2.0), 1e-5)).as("kept example " + b + " scaled by 2")
                        .isTrue();
            }
        }
        assertThat(dropped).as("about half of 64 examples dropped").isBetween(16, 48);
    }

    @Test
    void gradientUsesTheForwardDraw() {
        GraphChecks.useDoublePrecision();
        try {
            ComputationGraph graph = GraphChecks.gradientCheckGraph(onTokens(0.5, DataType.DOUBLE));
            Nd4j.getRandom().setSeed(9);
            INDArray input = Nd4j.randn(DataType.DOUBLE, 4, 3, 4);
            INDArray labels = Nd4j.zeros(DataType.DOUBLE, 4, 3, 3);
            for (int b = 0; b < 4; b++) {
                for (int t = 0; t < 3; t++) {
                    labels.putScalar(b, t, (b + t) % 3, 1.0);
                }
            }
            // the same draw for every pass
            VitGradientCheckTest.assertGradients(graph, input, labels, 0, g -> Nd4j.getRandom().setSeed(5));
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    /**
     * SameDiff's "Added differentiated op" line per op reaches the console neither on a layer's first backward pass
     * nor from the probe of SameDiff's gradient factor.
     */
    @Test
    void firstBackwardPassPrintsNothing() {
        ComputationGraph graph = new ComputationGraph(onTokens(0.5, DataType.FLOAT));
        graph.init();
        java.io.PrintStream out = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(captured, true));
        try {
            graph.fit(new MultiDataSet(Nd4j.rand(DataType.FLOAT, 2, 3, 4),
                    Nd4j.zeros(DataType.FLOAT, 2, 3, 3).putScalar(0, 0, 1, 1.0)));
            assertThat(ZooSameDiffLayer.probeExternalErrorsFactor()).isPositive();
            System.out.println("after");
        } finally {
            System.setOut(out);
        }
        assertThat(captured.toString()).doesNotContain(ZooSameDiffLayer.GRADIENT_LOG_PREFIX).contains("after");
    }

    @Test
    void savesAndRestores(@TempDir Path dir) throws Exception {
        ComputationGraph graph = new ComputationGraph(onTokens(0.2, DataType.FLOAT));
        graph.init();
        Nd4j.getRandom().setSeed(4);
        INDArray input = Nd4j.rand(DataType.FLOAT, 2, 3, 4);
        graph.fit(new MultiDataSet(input, Nd4j.zeros(DataType.FLOAT, 2, 3, 3).putScalar(0, 0, 1, 1.0)));
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(graph, input, dir);
        StochasticDepth back = (StochasticDepth) restored.getLayer("drop").conf().getLayer();
        assertThat(back.getP()).isEqualTo(0.2);
        assertThat(back.dropoutSites()).hasSize(1);
    }
}
