package io.github.visionzoo.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.models.TransformerBlocks.Layout;
import io.github.visionzoo.zoo.models.VitSpec;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;

class ModelFlopsTest {
    /**
     * conv 3->4 3x3 pad 1 at 8x8: 2*3*9*4*64 = 13,824; batch norm, max pool to 4x4: 0; conv 4->8 3x3 at 2x2:
     * 2*4*9*8*4 = 2,304; dense 32->10: 640; output 10->5: 100.
     */
    @Test
    void smallCnnByHand() {
        GraphBuilder g = Blocks.newGraph(1, 3, 8, 8);
        String x = Blocks.conv(g, "conv1", Blocks.INPUT, 4, 3, 1, 1, true, Activation.RELU, WeightInit.XAVIER.getWeightInitFunction(), 0);
        x = Blocks.batchNorm(g, "bn1", x, Activation.RELU);
        x = Blocks.maxPool(g, "pool", x, 2, 2, 0);
        x = Blocks.conv(g, "conv2", x, 8, 3, 1, 0, false, Activation.RELU, WeightInit.XAVIER.getWeightInitFunction(), 0);
        x = Blocks.dense(g, "fc1", x, 10, Activation.RELU, 0, WeightInit.XAVIER.getWeightInitFunction(), 0);
        Blocks.classifier(g, "fc2", x, 5, 0, WeightInit.XAVIER.getWeightInitFunction());
        ModelFlops flops = ModelFlops.of(Blocks.build(g), InputType.convolutional(8, 8, 3));
        assertThat(flops.rows()).extracting(ModelFlops.Row::name, ModelFlops.Row::flops).containsExactly(
                org.assertj.core.groups.Tuple.tuple("conv1", 13_824L),
                org.assertj.core.groups.Tuple.tuple("conv2", 2_304L),
                org.assertj.core.groups.Tuple.tuple("fc1", 640L),
                org.assertj.core.groups.Tuple.tuple("fc2", 100L));
        assertThat(flops.total()).isEqualTo(16_868L);
        assertThat(flops.uncounted()).isEmpty();
    }

    /**
     * A ViT with 8x8 input, 4x4 patches (N = 4, T = 5), D 8, MLP 16, 3 classes: patch embedding 2*4*(3*16)*8 = 3,072;
     * attention 2*5*8*24 (QKV) + 2*5*8*8 (out) + 2*2*25*8 (QK^T, AV) = 3,360; MLP 2*2*5*8*16 = 2,560; head 2*8*3 = 48.
     * The fused block and the separate layers count the same.
     */
    @Test
    void smallVitByHand() {
        VitSpec spec = new VitSpec(4, 8, 1, 2, 16, 0, 0, 8);
        InputType in = InputType.convolutional(8, 8, 3);
        ModelFlops fused = ModelFlops.of(spec.configuration(3, 1, Layout.FUSED), in);
        ModelFlops separate = ModelFlops.of(spec.configuration(3, 1, Layout.SEPARATE), in);
        assertThat(fused.rows()).extracting(ModelFlops.Row::flops).containsExactly(3_072L, 5_920L, 48L);
        assertThat(fused.total()).isEqualTo(9_040L);
        assertThat(separate.rows()).extracting(ModelFlops.Row::flops).containsExactly(3_072L, 3_360L, 2_560L, 48L);
        assertThat(separate.total()).isEqualTo(9_040L);
    }

    /** Depthwise 3x3 on 4 channels, multiplier 2, at 6x6 out: 2*9*8*36; an LSTM is reported, not guessed. */
    @Test
    void depthwiseIsCountedAndUnknownLayersAreListed() {
        GraphBuilder g = Blocks.newGraph(1, 4, 6, 6);
        g.addLayer("dw", new DepthwiseConvolution2D.Builder(3, 3).padding(1, 1).depthMultiplier(2).build(),
                Blocks.INPUT);
        ComputationGraphConfiguration conf = Blocks.build(g.setOutputs("dw"));
        assertThat(ModelFlops.of(conf, InputType.convolutional(6, 6, 4)).total()).isEqualTo(2L * 9 * 8 * 36);

        GraphBuilder r = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.recurrent(3, 7))
                .addLayer("lstm", new LSTM.Builder().nOut(4).build(), "in")
                .addLayer("fc", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(2).build(), "lstm")
                .setOutputs("fc");
        ModelFlops withLstm = ModelFlops.of(r.build(), InputType.recurrent(3, 7));
        assertThat(withLstm.uncounted()).containsExactly("lstm (LSTM)");
        assertThat(withLstm.total()).as("dense on each of 7 tokens").isEqualTo(2L * 4 * 2 * 7);
        assertThat(withLstm.toString()).contains("not counted: lstm (LSTM)");
    }

    /** torchvision's published multiply-adds (GMAC, 1000 classes) times 2, within 1 %. */
    @ParameterizedTest
    @CsvSource({"resnet18, 1.814", "resnet34, 3.664", "resnet50, 4.089", "vgg16, 15.470", "vit_b_16, 17.564",
            "vit_b_32, 4.409", "vit_l_16, 61.555", "alexnet_tv, 0.714"})
    void registeredModelsMatchTorchvision(String name, double gmac) {
        ModelFlops flops = ModelFlops.of(name, 1000);
        assertThat(flops.uncounted()).isEmpty();
        assertThat(flops.gflops()).isCloseTo(2 * gmac, within(0.01 * 2 * gmac));
    }

    /**
     * The paper's AlexNet at 227 px, ungrouped (96-256-384-384-256), 10 classes, by hand: convolutions 105,415,200 +
     * 447,897,600 + 149,520,384 + 224,280,576 + 149,520,384 multiply-adds, classifier 9216*4096 + 4096*4096 +
     * 4096*10.
     */
    @Test
    void paperAlexNetByHand() {
        long macs = 105_415_200L + 447_897_600L + 149_520_384L + 224_280_576L + 149_520_384L
                + 9216L * 4096 + 4096L * 4096 + 4096L * 10;
        assertThat(ModelFlops.of("alexnet", 10).total()).isEqualTo(2 * macs);
    }

    @Test
    void doesNotChangeTheConfiguration() {
        ComputationGraphConfiguration conf = Zoo.spec("resnet18").withImageSize(64).configuration(10);
        String before = conf.toJson();
        ModelFlops.of(conf, InputType.convolutional(224, 224, 3));
        assertThat(conf.toJson()).isEqualTo(before);
    }
}
