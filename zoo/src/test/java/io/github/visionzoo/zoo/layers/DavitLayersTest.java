package io.github.visionzoo.zoo.layers;

import static io.github.visionzoo.zoo.layers.VitGradientCheckTest.assertGradients;
import static io.github.visionzoo.zoo.layers.VitGradientCheckTest.perturb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.models.DavitSpec;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * DaViT's layers: DL4J's numerical gradient checks in double precision (as {@link VitGradientCheckTest}) of each
 * layer on a 4-channel 5x5 image and of a whole tiny DaViT (stem, downsampling, both block kinds, head), and
 * save/restore with {@code ModelSerializer}.
 */
class DavitLayersTest {
    static final int BATCH = 2;
    static final int C = 4;
    static final int SIZE = 5;

    @AfterEach
    void restore() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    /** image [b, 4, 5, 5] -> layer -> softmax classifier over the flattened map, so that every position counts. */
    static ComputationGraph onImage(Layer layer) {
        return onImage(layer, SIZE, SIZE);
    }

    /** The same on an image {@code [b, 4, height, width]}. */
    static ComputationGraph onImage(Layer layer, int height, int width) {
        GraphChecks.useDoublePrecision();
        return GraphChecks.gradientCheckGraph(new NeuralNetConfiguration.Builder()
                .seed(7).dataType(DataType.DOUBLE)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(height, width, C))
                .addLayer("layer", layer, "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nOut(3).build(), "layer")
                .setOutputs("out")
                .build());
    }

    static INDArray image() {
        return image(SIZE, SIZE);
    }

    static INDArray image(int height, int width) {
        Nd4j.getRandom().setSeed(11);
        return Nd4j.randn(DataType.DOUBLE, BATCH, C, height, width);
    }

    static INDArray labels() {
        return GraphChecks.cyclicLabels(DataType.DOUBLE, BATCH, 3);
    }

    @Test
    @Tag("gradient-check")
    void layerNormOverChannels() {
        ComputationGraph graph = onImage(new LayerNorm(1e-5, false));
        perturb(graph, "layer", LayerNorm.WEIGHT);
        perturb(graph, "layer", LayerNorm.BIAS);
        assertGradients(graph, image(), labels(), 0, null);
    }

    @Test
    @Tag("gradient-check")
    void convPosEnc() {
        assertGradients(onImage(new ConvPosEnc()), image(), labels(), 0, null);
    }

    /** 5x5 positions in 3x3 windows: padded to 6x6, four windows. */
    @Test
    @Tag("gradient-check")
    void windowAttentionWithPadding() {
        ComputationGraph graph = onImage(new WindowAttention(2, 3));
        assertThat(graph.getLayer("layer")).isInstanceOf(WindowAttentionImpl.class); // the passes written out
        perturb(graph, "layer", QkvAttention.QKV_BIAS);
        perturb(graph, "layer", QkvAttention.PROJ_BIAS);
        assertGradients(graph, image(), labels(), 0, null);
    }

    /** A 6x3 map in two 3x3 windows, one above the other: several windows, no padding. */
    @Test
    @Tag("gradient-check")
    void windowAttentionInWholeWindows() {
        ComputationGraph graph = onImage(new WindowAttention(2, 3), 6, 3);
        perturb(graph, "layer", QkvAttention.QKV_BIAS);
        assertGradients(graph, image(6, 3), labels(), 0, null);
    }

    /** A window as large as the map: one window, no padding. */
    @Test
    @Tag("gradient-check")
    void windowAttentionOverTheWholeMap() {
        ComputationGraph graph = onImage(new WindowAttention(1, SIZE));
        perturb(graph, "layer", QkvAttention.QKV_BIAS);
        assertGradients(graph, image(), labels(), 0, null);
    }

    @Test
    @Tag("gradient-check")
    void channelAttention() {
        ComputationGraph graph = onImage(new ChannelAttention(2));
        assertThat(graph.getLayer("layer")).isInstanceOf(ChannelAttentionImpl.class); // the passes written out
        perturb(graph, "layer", QkvAttention.QKV_BIAS);
        perturb(graph, "layer", QkvAttention.PROJ_BIAS);
        assertGradients(graph, image(), labels(), 0, null);
    }

    @Test
    @Tag("gradient-check")
    void convMlp() {
        ComputationGraph graph = onImage(new ConvMlp(8));
        assertThat(graph.getLayer("layer")).isInstanceOf(ConvMlpImpl.class); // the passes written out
        perturb(graph, "layer", ConvMlp.FC1_BIAS);
        assertGradients(graph, image(), labels(), 0, null);
    }

    /**
     * The passes written out ({@link FeatureMapRowsImpl}) against each layer's SameDiff definition run by DL4J's
     * SameDiff layer ({@link ZooSameDiffLayer.Impl}) on the same parameters and input: the same output, input gradient
     * and parameter gradients, in double precision (ND4J's ops) and in float for the layer norm over channels (its Java
     * loops) and the position encoding.
     */
    @Test
    void writtenOutPassesEqualTheSameDiffDefinition() {
        assertWrittenOutEqualsSameDiff(new WindowAttention(2, 3), QkvAttention.QKV_BIAS, DataType.DOUBLE, 1e-10);
        assertWrittenOutEqualsSameDiff(new ChannelAttention(2), QkvAttention.QKV_BIAS, DataType.DOUBLE, 1e-10);
        assertWrittenOutEqualsSameDiff(new ConvMlp(8), ConvMlp.FC1_BIAS, DataType.DOUBLE, 1e-10);
        assertWrittenOutEqualsSameDiff(new LayerNorm(1e-5, false), LayerNorm.WEIGHT, DataType.DOUBLE, 1e-10);
        assertWrittenOutEqualsSameDiff(new LayerNorm(1e-5, false), LayerNorm.WEIGHT, DataType.FLOAT, 1e-5);
        assertWrittenOutEqualsSameDiff(new ConvPosEnc(), ConvPosEnc.BIAS, DataType.DOUBLE, 1e-10);
        assertWrittenOutEqualsSameDiff(new ConvPosEnc(), ConvPosEnc.WEIGHT, DataType.FLOAT, 1e-5);
    }

    private static void assertWrittenOutEqualsSameDiff(Layer layer, String perturbed, DataType type, double eps) {
        ComputationGraph graph = onImage(layer);
        perturb(graph, "layer", perturbed);
        if (type != DataType.DOUBLE) {
            graph = graph.convertDataType(type);
        }
        org.deeplearning4j.nn.api.Layer written = graph.getLayer("layer");
        assertThat(written).isNotInstanceOf(ZooSameDiffLayer.Impl.class);
        NeuralNetConfiguration conf = written.conf();
        long n = written.numParams();
        org.deeplearning4j.nn.api.Layer reference = RuntimeLayers.wire(
                new ZooSameDiffLayer.Impl(conf, type), conf, List.of(), 0, written.params().dup(), false);
        written.setBackpropGradientsViewArray(Nd4j.create(type, 1, n));
        reference.setBackpropGradientsViewArray(Nd4j.create(type, 1, n));
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        INDArray x = image().castTo(type);
        INDArray dOut = Nd4j.randn(type, x.shape());
        String name = layer.getClass().getSimpleName() + " " + type;
        written.setInput(x, mgr);
        reference.setInput(x, mgr);
        assertThat(written.activate(true, mgr).equalsWithEps(reference.activate(true, mgr), eps)).as(name).isTrue();
        Pair<Gradient, INDArray> ours = written.backpropGradient(dOut, mgr);
        Pair<Gradient, INDArray> dl4j = reference.backpropGradient(dOut, mgr);
        assertThat(ours.getSecond().equalsWithEps(dl4j.getSecond(), eps)).as(name + " input gradient").isTrue();
        for (String key : written.paramTable().keySet()) {
            assertThat(ours.getFirst().getGradientFor(key).equalsWithEps(dl4j.getFirst().getGradientFor(key), eps))
                    .as(name + " " + key).isTrue();
        }
    }

    /** Two stages at 16 px: the stem (7x7/4), both block kinds with padded windows, the downsampling, the head. */
    @Test
    @Tag("gradient-check")
    void tinyDavit() {
        GraphChecks.useDoublePrecision();
        DavitSpec spec = new DavitSpec(List.of(1, 1), List.of(4, 8), List.of(2, 2), 3, 2.0, 0.0, 16);
        ComputationGraph graph = GraphChecks.gradientCheckGraph(spec.configuration(3, 3, DataType.DOUBLE));
        for (String norm : List.of("stem.norm", "stages.1.downsample.norm", DavitSpec.HEAD_NORM)) {
            perturb(graph, norm, LayerNorm.WEIGHT);
        }
        perturb(graph, DavitSpec.HEAD, "W");
        Nd4j.getRandom().setSeed(12);
        assertGradients(graph, Nd4j.randn(DataType.DOUBLE, BATCH, 3, 16, 16), labels(), 3, null);
    }

    /** Stochastic depth acts in training only: inference equals the same weights without it. */
    @Test
    void stochasticDepthOnlyActsInTraining() {
        DavitSpec spec = new DavitSpec(List.of(1, 1), List.of(8, 16), List.of(2, 4), 3, 4.0, 0.0, 16);
        ComputationGraph without = new ComputationGraph(spec.configuration(3, 1));
        without.init();
        ComputationGraph with = new ComputationGraph(spec.withDropPathRate(0.5).configuration(3, 1));
        with.init(without.params().dup(), true);
        with.getLayer(DavitSpec.HEAD).getParam("W").assign(Nd4j.rand(DataType.FLOAT, 16, 3));
        without.getLayer(DavitSpec.HEAD).getParam("W").assign(with.getLayer(DavitSpec.HEAD).getParam("W"));
        Nd4j.getRandom().setSeed(6);
        INDArray input = Nd4j.rand(DataType.FLOAT, 4, 3, 16, 16);
        INDArray inference = with.outputSingle(false, input);
        assertThat(inference.equalsWithEps(without.outputSingle(false, input), 1e-6)).isTrue();
        assertThat(with.outputSingle(true, input).equalsWithEps(inference, 1e-4)).as("training differs").isFalse();
    }

    @Test
    void headsMustDivideTheChannels() {
        assertThatThrownBy(() -> onImage(new ChannelAttention(3)))
                .hasMessageContaining("numHeads 3 does not divide the 4 channels");
    }

    @Test
    void tinyDavitSavesAndRestores(@TempDir Path dir) throws Exception {
        DavitSpec spec = new DavitSpec(List.of(1, 1), List.of(8, 16), List.of(2, 4), 3, 4.0, 0.0, 16);
        ComputationGraphConfiguration conf = spec.configuration(3, 1);
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        Nd4j.getRandom().setSeed(5);
        INDArray input = Nd4j.rand(DataType.FLOAT, 2, 3, 16, 16);
        graph.fit(new MultiDataSet(input, GraphChecks.cyclicLabels(DataType.FLOAT, 2, 3)));
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(graph, input, dir);
        WindowAttention attention = (WindowAttention) restored.getLayer(DavitSpec.blockName(1, 0, 0) + ".attn")
                .conf().getLayer();
        assertThat(attention.getWindowSize()).isEqualTo(3);
        assertThat(attention.getNumHeads()).isEqualTo(4);
        assertThat(ComputationGraphConfiguration.fromJson(conf.toJson()).toJson()).isEqualTo(conf.toJson());
    }
}
