package io.github.visionzoo.zoo.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AugmentationSpecTest {
    private static final String FULL = "{\"preset\": \"study\", \"scale\": [0.35, 1], \"ratio\": [0.75, 1.333],"
            + " \"hflip\": 0.25, \"colorJitter\": 0.4, \"lighting\": 0.1, \"evalCropPct\": 0.9}";

    /** cpu-small's JSON with its augmentation replaced. */
    private static TrainingRecipe recipe(String augmentation) {
        return TrainingRecipe.fromJson(TrainingRecipeTest.CPU_SMALL.replace("\"study\"", augmentation), "test");
    }

    @Test
    void theStringFormIsThePresetWithItsOwnValuesAndIsWrittenBackAsIs() {
        TrainingRecipe r = recipe("\"study\"");
        assertThat(r.augmentation()).isEqualTo(AugmentationSpec.of("study"))
                .isEqualTo(new AugmentationSpec("study", null, null, null, null, null, null));
        assertThat(r.toJson()).contains("\"augmentation\" : \"study\"");
        assertThat(recipe("{\"preset\": \"study\"}")).isEqualTo(r);
        assertThat(recipe("\" Alexnet-Paper\"").augmentation().preset()).isEqualTo("alexnet-paper");
        for (String name : Recipes.BUNDLED) {
            assertThat(AugmentationSpec.PRESETS).contains(Recipes.get(name).augmentation().preset());
        }
    }

    @Test
    void theObjectFormRoundTripsThroughJson() {
        TrainingRecipe r = recipe(FULL);
        AugmentationSpec a = r.augmentation();
        assertThat(a.scale()).containsExactly(0.35, 1.0);
        assertThat(a.ratio()).containsExactly(0.75, 1.333);
        assertThat(a.hflip()).isEqualTo(0.25);
        assertThat(a.colorJitter()).isEqualTo(new AugmentationSpec.Jitter(0.4, 0.4, 0.4, 0));
        assertThat(a.lighting()).isEqualTo(0.1);
        assertThat(a.evalCropPct()).isEqualTo(0.9);
        String json = r.toJson();
        assertThat(json).contains("\"colorJitter\" : 0.4").contains("\"scale\" : [ 0.35, 1.0 ]");
        assertThat(TrainingRecipe.fromJson(json, "round trip")).isEqualTo(r);

        TrainingRecipe listed = recipe("{\"preset\": \"alexnet-paper\", \"colorJitter\": [0.4, 0.3, 0.2]}");
        assertThat(listed.augmentation().colorJitter()).isEqualTo(new AugmentationSpec.Jitter(0.4, 0.3, 0.2, 0));
        assertThat(listed.toJson()).contains("\"colorJitter\" : [ 0.4, 0.3, 0.2, 0.0 ]");
        assertThat(TrainingRecipe.fromJson(listed.toJson(), "round trip")).isEqualTo(listed);
        assertThat(recipe("{\"preset\": \"study\", \"colorJitter\": [0.1, 0.1, 0.1, 0.05]}").augmentation()
                .colorJitter().hue()).isEqualTo(0.05);
    }

    /** What resume compares: a checkpoint keeps the augmentation, and a changed one is another recipe. */
    @Test
    void checkpointsKeepTheAugmentationAndAChangeIsAnotherRecipe(@TempDir Path dir) {
        TrainingRecipe r = recipe(FULL);
        Checkpoint.Info info = new Checkpoint.Info(Checkpoint.FORMAT, "tiny", "fc", 4, List.of("a", "b", "c", "d"),
                r, 0, 1, 1, 5, null, null, 1.5, null, null, null);
        Path file = new RunDirectory(dir).checkpointFile(0, 1);
        Checkpoint.write(file, CheckpointTest.trained(1), info);
        assertThat(Checkpoint.readInfo(file).recipe()).isEqualTo(r);
        assertThat(recipe(FULL.replace("0.35", "0.08"))).isNotEqualTo(r);
        assertThat(recipe(FULL.replace("\"evalCropPct\": 0.9", "\"evalCropPct\": 0.875"))).isNotEqualTo(r);
        assertThat(recipe("\"study\"")).isNotEqualTo(recipe("\"eval\""));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"preset\": \"imagenet\"}                                  | augmentation.preset | 'imagenet'",
        "\"imagenet\"                                                | augmentation.preset | alexnet-paper",
        "{\"scale\": [0.35, 1]}                                      | augmentation.preset | missing",
        "{\"preset\": \"study\", \"scale\": [1, 0.35]}               | augmentation.scale  | 0 < min <= max <= 1",
        "{\"preset\": \"study\", \"scale\": [0, 1]}                  | augmentation.scale  | [0.0, 1.0]",
        "{\"preset\": \"study\", \"scale\": [0.35, 1.5]}             | augmentation.scale  | <= 1",
        "{\"preset\": \"study\", \"scale\": [0.35]}                  | augmentation.scale  | [min, max]",
        "{\"preset\": \"study\", \"ratio\": [1.333, 0.75]}           | augmentation.ratio  | 0 < min <= max",
        "{\"preset\": \"study\", \"hflip\": 1.5}                     | augmentation.hflip  | [0, 1]",
        "{\"preset\": \"study\", \"hflip\": -0.5}                    | augmentation.hflip  | -0.5",
        "{\"preset\": \"study\", \"colorJitter\": -0.4}              | augmentation.colorJitter | >= 0",
        "{\"preset\": \"study\", \"colorJitter\": [0.4, 0.4]}        | augmentation.colorJitter | [0.4,0.4]",
        "{\"preset\": \"study\", \"colorJitter\": [0.1, 0.1, 0.1, 0.7]} | augmentation.colorJitter | hue <= 0.5",
        "{\"preset\": \"study\", \"colorJitter\": \"strong\"}        | augmentation.colorJitter | a number",
        "{\"preset\": \"study\", \"lighting\": -0.1}                 | augmentation.lighting | >= 0",
        "{\"preset\": \"study\", \"evalCropPct\": 0}                 | augmentation.evalCropPct | (0, 1]",
        "{\"preset\": \"study\", \"evalCropPct\": 1.2}               | augmentation.evalCropPct | 1.2",
        "{\"preset\": \"alexnet-paper\", \"scale\": [0.35, 1]}       | augmentation.scale  | study",
        "{\"preset\": \"eval\", \"hflip\": 0.5}                      | augmentation.hflip  | deterministic",
        "{\"preset\": \"study\", \"scales\": [0.35, 1]}              | 'scales'            | evalCropPct",
    })
    void badValuesGiveOneMessageNamingTheField(String augmentation, String field, String detail) {
        assertThatThrownBy(() -> recipe(augmentation)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("test: ").hasMessageContaining(field).hasMessageContaining(detail)
                .hasMessageNotContaining("\n");
    }
}
