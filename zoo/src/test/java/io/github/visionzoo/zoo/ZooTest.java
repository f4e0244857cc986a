package io.github.visionzoo.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.train.Recipes;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class ZooTest {
    /** Parameter counts at 10 classes, as PyTorch counts them (torchvision's models with num_classes=10). */
    static final Map<String, Long> PARAMS = Map.ofEntries(
            Map.entry("alexnet", 58_322_314L),
            Map.entry("alexnet_tv", 57_044_810L),
            Map.entry("vgg11", 128_807_306L),
            Map.entry("vgg13", 128_991_818L),
            Map.entry("vgg16", 134_301_514L),
            Map.entry("vgg19", 139_611_210L),
            Map.entry("resnet18", 11_181_642L),
            Map.entry("resnet34", 21_289_802L),
            Map.entry("resnet50", 23_528_522L),
            Map.entry("resnet34_convbias", 21_298_314L));

    static Iterable<String> names() {
        return PARAMS.keySet();
    }

    @ParameterizedTest
    @MethodSource("names")
    void parameterCountIsExact(String name) {
        assertThat(ModelSummary.of(name, 10).totalParams()).isEqualTo(PARAMS.get(name));
    }

    @Test
    void everyRegisteredModelHasAnExpectedCount() {
        assertThat(Zoo.names()).containsAll(PARAMS.keySet());
    }

    @Test
    void eachFamilyTrainsByDefaultWithABundledRecipeTheTransformersWithAWarmUp() {
        assertThat(Zoo.families()).allSatisfy(f -> assertThat(Recipes.BUNDLED).contains(f.recipe()));
        assertThat(Zoo.spec("resnet18").family().recipe()).isEqualTo("cpu-small");
        for (String transformer : new String[] {"vit_b_16", "swin_t", "davit_tiny"}) {
            assertThat(Zoo.spec(transformer).family().recipe()).isEqualTo("cpu-transformer");
        }
        assertThat(((TrainingRecipe.Cosine) Recipes.get("cpu-transformer").schedule()).warmupEpochs()).isPositive();
        assertThatThrownBy(() -> ResNetSpec.FAMILY.withRecipe("cpu-tiny"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpu-tiny");
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        assertThatThrownBy(() -> Zoo.spec("resnet35"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("resnet35")
                .hasMessageContaining("resnet34")
                .hasMessageContaining("vgg16");
    }
}
