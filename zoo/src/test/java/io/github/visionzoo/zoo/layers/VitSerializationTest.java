package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.models.TransformerBlocks.Layout;
import io.github.visionzoo.zoo.models.VitSpec;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Every ViT layer saves and restores through {@code ModelSerializer} (updater included): same configuration JSON,
 * parameters, updater state and outputs, with its non-default fields intact.
 */
class VitSerializationTest {
    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of("PatchEmbedding", new PatchEmbedding(4, 8, 0.1)),
                Arguments.of("LayerNorm", new LayerNorm(1e-5, false)),
                Arguments.of("LayerNorm of the class token", new LayerNorm(1e-6, true)),
                Arguments.of("MultiHeadSelfAttention", new MultiHeadSelfAttention(2, 0.1, 0.2)),
                Arguments.of("MlpBlock", new MlpBlock(16, 0.1)),
                Arguments.of("EncoderBlock", new EncoderBlock(2, 16, 0.1, 0.2, 1e-5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void layerSavesAndRestores(String name, Layer layer, @TempDir Path dir) throws Exception {
        boolean image = layer instanceof PatchEmbedding;
        boolean features = layer instanceof LayerNorm ln && ln.isClassTokenOnly();
        Layer head = features
                ? new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nOut(3).build()
                : new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nOut(3).dataFormat(RNNFormat.NWC).build();
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(3).dataType(DataType.FLOAT).updater(new Adam(1e-3))
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(image ? InputType.convolutional(8, 8, 3) : InputType.recurrent(8, 5, RNNFormat.NWC))
                .addLayer("layer", layer, "in")
                .addLayer("out", head, "layer")
                .setOutputs("out")
                .build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        Nd4j.getRandom().setSeed(4);
        INDArray input = image ? Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8) : Nd4j.rand(DataType.FLOAT, 2, 5, 8);
        INDArray labels = features ? Nd4j.zeros(DataType.FLOAT, 2, 3) : Nd4j.zeros(DataType.FLOAT, 2, 5, 3);
        for (int b = 0; b < 2; b++) {
            if (features) {
                labels.putScalar(b, b + 1, 1.0);
            } else {
                for (int t = 0; t < 5; t++) {
                    labels.putScalar(b, t, (b + t) % 3, 1.0);
                }
            }
        }
        graph.fit(new MultiDataSet(input, labels)); // so that the updater has a state
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(graph, input, dir);
        Layer back = restored.getLayer("layer").conf().getLayer();
        assertThat(back).isInstanceOf(layer.getClass());
        if (back instanceof ZooSameDiffLayer z) {
            assertThat(z.dropoutSites()).as("dropout sites survive")
                    .hasSameSizeAs(((ZooSameDiffLayer) layer).dropoutSites());
        }
        if (back instanceof EncoderBlock b) {
            assertThat(b.getDropout()).isEqualTo(0.1);
            assertThat(b.getAttentionDropout()).isEqualTo(0.2);
            assertThat(b.getEps()).isEqualTo(1e-5);
            assertThat(b.getMlpDim()).isEqualTo(16);
        }
    }

    @Test
    void tinyVitSavesAndRestores(@TempDir Path dir) throws Exception {
        ComputationGraph graph = new ComputationGraph(new VitSpec(4, 8, 2, 2, 16, 0.1, 0.1, 8)
                .configuration(3, 1, Layout.FUSED));
        graph.init();
        Nd4j.getRandom().setSeed(5);
        INDArray input = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
        graph.fit(new MultiDataSet(input, Nd4j.eye(3).getRows(0, 1).castTo(DataType.FLOAT)));
        GraphChecks.assertSaveRestoreSame(graph, input, dir);
    }

    /** Dropout is on in training and off in inference, where the output equals the same model without dropout. */
    @Test
    void dropoutOnlyActsInTraining() {
        VitSpec spec = new VitSpec(4, 8, 2, 2, 16, 0.3, 0.3, 8);
        ComputationGraph withDropout = new ComputationGraph(spec.configuration(3, 1));
        withDropout.init();
        ComputationGraph without = new ComputationGraph(spec.withDropout(0, 0).configuration(3, 1));
        without.init();
        without.setParams(withDropout.params());
        withDropout.getLayer(VitSpec.HEAD).getParam("W").assign(Nd4j.rand(DataType.FLOAT, 8, 3));
        without.getLayer(VitSpec.HEAD).getParam("W").assign(withDropout.getLayer(VitSpec.HEAD)
                .getParam("W"));
        Nd4j.getRandom().setSeed(6);
        INDArray input = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
        INDArray inference = withDropout.outputSingle(false, input);
        assertThat(inference.equalsWithEps(without.outputSingle(false, input), 1e-6)).isTrue();
        INDArray training = withDropout.outputSingle(true, input);
        assertThat(training.equalsWithEps(inference, 1e-3)).as("training output differs").isFalse();
        assertThat(withDropout.outputSingle(true, input).equalsWithEps(training, 1e-3))
                .as("a new mask each pass").isFalse();
    }
}
