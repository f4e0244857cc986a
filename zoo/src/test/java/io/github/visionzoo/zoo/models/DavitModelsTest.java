package io.github.visionzoo.zoo.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelFlops;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.Zoo;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The DaViT variants: parameter counts and FLOPs against timm's, shapes, the spec's JSON and validation. */
class DavitModelsTest {
    /** Parameter counts at 10 classes, as PyTorch counts timm's {@code DaVit(num_classes=10)} (golden_davit.py). */
    static final Map<String, Long> PARAMS = Map.of(
            "davit_tiny", 27_598_858L,
            "davit_small", 48_984_586L,
            "davit_base", 86_939_658L);

    static Iterable<String> names() {
        return PARAMS.keySet();
    }

    @ParameterizedTest
    @MethodSource("names")
    void parameterCountIsTimms(String name) {
        assertThat(Zoo.names()).contains(name);
        assertThat(Zoo.entry(name).description()).isNotBlank();
        assertThat(ModelSummary.of(name, 10).totalParams()).isEqualTo(PARAMS.get(name));
    }

    /** timm's published count for davit_tiny with its 1000 ImageNet classes. */
    @Test
    void davitTinyHasTimmsImageNetCount() {
        assertThat(ModelSummary.of(DavitSpec.davitTiny().configuration(1000), InputType.convolutional(224, 224, 3))
                .totalParams()).isEqualTo(28_360_168L);
    }

    /**
     * Multiply-adds as golden_davit.py counts them in timm's model (every convolution, linear layer and attention
     * product, on the padded windows): 4,521,801,216 at 224 px with 1000 classes, 571,253,184 at 64 px with 10;
     * ModelFlops counts 2 FLOPs per multiply-add. The paper and timm publish 4.5 G.
     */
    @Test
    void flopsAreTimmsMultiplyAddsTimesTwo() {
        ModelFlops imageNet = ModelFlops.of(DavitSpec.davitTiny().configuration(1000),
                InputType.convolutional(224, 224, 3));
        assertThat(imageNet.uncounted()).isEmpty();
        assertThat(imageNet.total()).isEqualTo(2 * 4_521_801_216L);
        assertThat(Math.abs(imageNet.total() / 2 / 4.5e9 - 1)).as("within 2 % of the published 4.5 G").isLessThan(0.02);
        DavitSpec small = DavitSpec.davitTiny().withImageSize(64);
        assertThat(ModelFlops.of(small.configuration(10), InputType.convolutional(64, 64, 3)).total())
                .as("64 px: feature maps 16, 8, 4, 2 padded to 7x7 windows").isEqualTo(2 * 571_253_184L);
    }

    @Test
    void summaryShowsTheStagesShapes() {
        ModelSummary s = ModelSummary.of("davit_tiny", 10);
        Map<String, long[]> shapes = new java.util.HashMap<>();
        s.rows().forEach(r -> shapes.put(r.name(), r.outputShape()));
        assertThat(shapes.get("stem.norm")).containsExactly(-1, 96, 56, 56);
        assertThat(shapes.get("stages.1.downsample.conv")).containsExactly(-1, 192, 28, 28);
        assertThat(shapes.get("stages.2.blocks.2.1.attn")).containsExactly(-1, 384, 14, 14);
        assertThat(shapes.get("stages.3.blocks.0.0.mlp")).containsExactly(-1, 768, 7, 7);
        assertThat(shapes.get(DavitSpec.HEAD)).containsExactly(-1, 10);
    }

    @Test
    void specRoundTripsThroughJson() {
        DavitSpec spec = DavitSpec.davitBase().withImageSize(96);
        String json = Json.write(spec);
        assertThat(json).contains("\"family\" : \"davit\"").contains("\"windowSize\" : 7");
        assertThat(Json.read(json, ModelSpec.class, "test")).isEqualTo(spec);
    }

    @Test
    void invalidSpecsNameTheField() {
        List<Integer> one = List.of(1, 1, 1, 1);
        List<Integer> dims = List.of(96, 192, 384, 768);
        List<Integer> heads = List.of(3, 6, 12, 24);
        assertThatThrownBy(() -> new DavitSpec(one, dims, heads, 7, 4.0, 0.0, 100))
                .hasMessageContaining("DavitSpec.imageSize must be a positive multiple of 32");
        assertThatThrownBy(() -> new DavitSpec(one, dims, List.of(3, 6, 12, 25), 7, 4.0, 0.0, 224))
                .hasMessageContaining("DavitSpec.numHeads[3]");
        assertThatThrownBy(() -> new DavitSpec(one, List.of(96, 192), heads, 7, 4.0, 0.0, 224))
                .hasMessageContaining("DavitSpec.embedDims");
        assertThatThrownBy(() -> new DavitSpec(one, dims, heads, 0, 4.0, 0.0, 224))
                .hasMessageContaining("DavitSpec.windowSize");
        assertThatThrownBy(() -> new DavitSpec(List.of(1, 0, 1, 1), dims, heads, 7, 4.0, 0.0, 224))
                .hasMessageContaining("DavitSpec.depths");
        assertThatThrownBy(() -> DavitSpec.davitTiny().withDropPathRate(1.0))
                .hasMessageContaining("DavitSpec.dropPathRate");
    }

    /**
     * timm's {@code calculate_drop_path_rates(0.1, (1, 1, 3, 1), stagewise=True)}: linspace(0, 0.1, 6) split by
     * stage, one rate per dual block for both its blocks; no StochasticDepth vertex where the rate is 0.
     */
    @Test
    void stochasticDepthFollowsTimmsRates() {
        var conf = DavitSpec.davitTiny().withDropPathRate(0.1).configuration(10);
        assertThat(conf.getVertices()).doesNotContainKey("stages.0.blocks.0.0.drop_path1");
        Map<String, Double> rates = Map.of("stages.1.blocks.0.0.drop_path1", 0.02,
                "stages.2.blocks.1.1.drop_path2", 0.06, "stages.3.blocks.0.1.drop_path1", 0.1);
        rates.forEach((vertex, rate) -> {
            var layer = ((org.deeplearning4j.nn.conf.graph.LayerVertex) conf.getVertices().get(vertex))
                    .getLayerConf().getLayer();
            assertThat(((io.github.visionzoo.zoo.layers.StochasticDepth) layer).dropoutSites().get(0).rate())
                    .as(vertex).isCloseTo(rate, org.assertj.core.api.Assertions.within(1e-12));
        });
        assertThat(ModelSummary.of(DavitSpec.davitTiny().withDropPathRate(0.1).configuration(10),
                InputType.convolutional(224, 224, 3)).totalParams()).isEqualTo(PARAMS.get("davit_tiny"));
    }
}
