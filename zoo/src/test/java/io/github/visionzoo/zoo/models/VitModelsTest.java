package io.github.visionzoo.zoo.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.models.TransformerBlocks.Layout;
import io.github.visionzoo.zoo.testing.Golden;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The ViT variants: parameter counts, shapes, names, the spec's JSON and validation, position-embedding resizing. */
class VitModelsTest {
    /** Parameter counts at 10 classes, as PyTorch counts them (torchvision's VisionTransformer, num_classes=10). */
    static final Map<String, Long> PARAMS = Map.of(
            "vit_ti_16", 5_526_346L,
            "vit_s_16", 21_669_514L,
            "vit_b_16", 85_806_346L,
            "vit_b_32", 87_462_922L,
            "vit_l_16", 303_311_882L);

    static Iterable<String> names() {
        return PARAMS.keySet();
    }

    @ParameterizedTest
    @MethodSource("names")
    void parameterCountIsTorchvisions(String name) {
        assertThat(Zoo.names()).contains(name);
        assertThat(Zoo.entry(name).description()).isNotBlank();
        assertThat(ModelSummary.of(name, 10).totalParams()).isEqualTo(PARAMS.get(name));
    }

    @Test
    void bothLayoutsHaveTheSameParameters() {
        VitSpec spec = VitSpec.vitS16();
        var input = org.deeplearning4j.nn.conf.inputs.InputType.convolutional(224, 224, 3);
        long fused = ModelSummary.of(spec.configuration(10, 1, Layout.FUSED), input).totalParams();
        long separate = ModelSummary.of(spec.configuration(10, 1, Layout.SEPARATE), input)
                .totalParams();
        assertThat(separate).isEqualTo(fused).isEqualTo(PARAMS.get("vit_s_16"));
    }

    @Test
    void summaryShowsTheTokenShapes() {
        ModelSummary s = ModelSummary.of("vit_b_16", 10);
        Map<String, long[]> shapes = new java.util.HashMap<>();
        s.rows().forEach(r -> shapes.put(r.name(), r.outputShape()));
        assertThat(shapes.get("conv_proj")).containsExactly(-1, 197, 768);
        assertThat(shapes.get("encoder.layers.encoder_layer_11")).containsExactly(-1, 197, 768);
        assertThat(shapes.get("encoder.ln")).containsExactly(-1, 768);
        assertThat(shapes.get("heads.head")).containsExactly(-1, 10);
        // conv_proj holds the patch kernel, class token and position embedding: 768*3*16*16 + 768 + 768 + 197*768
        assertThat(s.rows().get(0).params()).isEqualTo(768L * 768 + 768 + 768 + 197 * 768);
    }

    @Test
    void vertexNamesAreTorchvisions() {
        var names = VitSpec.vitTi16().configuration(10).getVertices().keySet();
        assertThat(names).startsWith("conv_proj", "encoder.layers.encoder_layer_0")
                .contains("encoder.layers.encoder_layer_11", "encoder.ln", "heads.head").hasSize(15);
        assertThat(VitSpec.vitTi16().headName()).isEqualTo("heads.head");
    }

    /** The one full-size forward pass: vit_ti_16 at 224 px; the zero-initialized head gives uniform probabilities. */
    @Test
    void vitTi16ClassifiesA224Image() {
        ComputationGraph graph = Zoo.create("vit_ti_16", 10);
        Nd4j.getRandom().setSeed(3);
        INDArray out = graph.outputSingle(Nd4j.rand(DataType.FLOAT, 1, 3, 224, 224));
        assertThat(out.shape()).containsExactly(1, 10);
        for (int i = 0; i < 10; i++) {
            assertThat(out.getDouble(0, i)).isCloseTo(0.1, within(1e-6));
        }
    }

    @Test
    void specRoundTripsThroughJson() {
        for (VitSpec spec : new VitSpec[] {VitSpec.vitTi16(), VitSpec.vitB32(), VitSpec.vitL16().withImageSize(96),
                VitSpec.vitS16().withDropout(0.1, 0.05)}) {
            String json = Json.write(spec);
            assertThat(json).contains("\"family\" : \"vit\"");
            assertThat(Json.read(json, ModelSpec.class, "test")).isEqualTo(spec);
        }
    }

    @Test
    void specRejectsUnknownFields() {
        String json = Json.write(VitSpec.vitTi16()).replace("\"numHeads\"", "\"depth\" : 12, \"numHeads\"");
        assertThatThrownBy(() -> Json.read(json, ModelSpec.class, "vit.json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("depth");
    }

    @Test
    void specValidationNamesTheField() {
        assertThatThrownBy(() -> VitSpec.vitB16().withImageSize(100))
                .hasMessageContaining("VitSpec.imageSize").hasMessageContaining("16");
        assertThatThrownBy(() -> new VitSpec(16, 100, 12, 12, 3072, 0, 0, 224))
                .hasMessageContaining("VitSpec.numHeads").hasMessageContaining("100");
        assertThatThrownBy(() -> new VitSpec(0, 768, 12, 12, 3072, 0, 0, 224)).hasMessageContaining("VitSpec.patchSize");
        assertThatThrownBy(() -> new VitSpec(16, 768, 0, 12, 3072, 0, 0, 224)).hasMessageContaining("VitSpec.numLayers");
        assertThatThrownBy(() -> new VitSpec(16, 768, 12, 12, 0, 0, 0, 224)).hasMessageContaining("VitSpec.mlpDim");
        assertThatThrownBy(() -> VitSpec.vitB16().withDropout(1.0, 0)).hasMessageContaining("VitSpec.dropout");
        assertThatThrownBy(() -> VitSpec.vitB16().withDropout(0, -0.1))
                .hasMessageContaining("VitSpec.attentionDropout");
        String json = Json.write(VitSpec.vitTi16()).replace("\"patchSize\" : 16", "\"patchSize\" : 15");
        assertThatThrownBy(() -> Json.read(json, ModelSpec.class, "vit.json"))
                .hasMessageContaining("vit.json").hasMessageContaining("VitSpec.imageSize");
    }

    @Test
    void smallerImagesShortenTheSequence() {
        VitSpec spec = VitSpec.vitTi16().withImageSize(64);
        assertThat(spec.gridSize()).isEqualTo(4);
        assertThat(spec.seqLength()).isEqualTo(17);
        long fewer = ModelSummary.of(VitSpec.vitTi16(), 10).totalParams() - ModelSummary.of(spec, 10).totalParams();
        assertThat(fewer).isEqualTo((197 - 17) * 192L); // only the position embedding shrinks
    }

    @Test
    void resizingToTheSameGridIsTheIdentity() {
        INDArray pos = Nd4j.rand(DataType.FLOAT, 1, 17, 6);
        assertThat(VitSpec.resizePositionEmbedding(pos, 4)).isEqualTo(pos);
    }

    /** 2x2 -> 4x4, align_corners=False: each axis samples at -0.25, 0.25, 0.75, 1.25, clamped to [0, 1]. */
    @Test
    void resizingInterpolatesBilinearly() {
        INDArray pos = Nd4j.create(new double[] {9, 0, 1, 2, 3}, 1, 5, 1).castTo(DataType.DOUBLE);
        INDArray out = VitSpec.resizePositionEmbedding(pos, 4);
        double[] w = {0, 0.25, 0.75, 1};   // the weight of index 1 along an axis
        assertThat(out.shape()).containsExactly(1, 17, 1);
        assertThat(out.getDouble(0, 0, 0)).isEqualTo(9.0); // the class token's row is kept
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                // grid [[0, 1], [2, 3]]: value = 2 * wy + wx
                assertThat(out.getDouble(0, 1 + i * 4 + j, 0)).as("(%d, %d)", i, j)
                        .isCloseTo(2 * w[i] + w[j], within(1e-12));
            }
        }
    }

    @Test
    void resizingMatchesPyTorchsInterpolate() {
        INDArray pos = Golden.load("vit/resize/pos_3.npy");
        for (int n : new int[] {5, 2}) {
            INDArray expected = Golden.load("vit/resize/pos_3_to_" + n + ".npy");
            INDArray actual = VitSpec.resizePositionEmbedding(pos.castTo(DataType.DOUBLE), n);
            assertThat(actual.shape()).containsExactly(expected.shape());
            assertThat(Golden.maxAbsDiff(actual, expected)).as("3 -> %d", n).isLessThan(1e-12);
        }
    }

    @Test
    void resizingRejectsWhatIsNotASquareGrid() {
        assertThatThrownBy(() -> VitSpec.resizePositionEmbedding(Nd4j.rand(1, 11, 4), 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("square");
        assertThatThrownBy(() -> VitSpec.resizePositionEmbedding(Nd4j.rand(10, 4), 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 1 + g*g, D]");
    }
    @Test
    void encoderBlockReportsItsMemory() {
        var conf = VitSpec.vitB16().configuration(10);
        var block = ((org.deeplearning4j.nn.conf.graph.LayerVertex) conf.getVertices()
                .get("encoder.layers.encoder_layer_0")).getLayerConf().getLayer();
        var input = org.deeplearning4j.nn.conf.inputs.InputType.recurrent(768, 197,
                org.deeplearning4j.nn.conf.RNNFormat.NWC);
        var report = block.getMemoryReport(input);
        var cache = org.deeplearning4j.nn.conf.CacheMode.NONE;
        long params = report.getMemoryBytes(org.deeplearning4j.nn.conf.memory.MemoryType.PARAMETERS, 16,
                org.deeplearning4j.nn.conf.memory.MemoryUseMode.TRAINING, cache,
                org.nd4j.linalg.api.buffer.DataType.FLOAT);
        assertThat(params).isEqualTo(7_087_872L * 4);
        long training = report.getTotalMemoryBytes(16, org.deeplearning4j.nn.conf.memory.MemoryUseMode.TRAINING,
                cache, org.nd4j.linalg.api.buffer.DataType.FLOAT);
        long inference = report.getTotalMemoryBytes(16, org.deeplearning4j.nn.conf.memory.MemoryUseMode.INFERENCE,
                cache, org.nd4j.linalg.api.buffer.DataType.FLOAT);
        // the kept activations alone: 8 [T, D] arrays, 2 [T, M] ones and 12 heads' [T, T] probabilities per example
        long keptPerExample = (8L * 197 * 768 + 2L * 197 * 3072 + 12L * 197 * 197) * 4;
        assertThat(training - params).isGreaterThan(16 * keptPerExample);
        assertThat(inference).isGreaterThan(params).isLessThan(training);
        // the whole network's report goes through every layer (the SameDiff ones included): all parameters, and at
        // least the largest working memory
        assertThat(conf.getMemoryReport(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(224, 224, 3))
                .getTotalMemoryBytes(16, org.deeplearning4j.nn.conf.memory.MemoryUseMode.TRAINING, cache,
                        org.nd4j.linalg.api.buffer.DataType.FLOAT))
                .isGreaterThan(85_806_346L * 4).isGreaterThanOrEqualTo(training);
    }

}
