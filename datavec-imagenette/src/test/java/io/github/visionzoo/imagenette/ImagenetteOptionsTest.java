package io.github.visionzoo.imagenette;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.imagenette.transform.Augmentation;
import io.github.visionzoo.imagenette.transform.Presets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ImagenetteOptionsTest {
    private static ImagenetteIterator.Builder builder() {
        return ImagenetteIterator.builder(Path.of("imagenette2-160"));
    }

    @Test
    void theSplitPicksThePresetAndTheShuffleUnlessTheyAreSet() {
        ImagenetteIterator.Builder b = builder();
        assertThat(b.split()).isEqualTo(Split.TRAIN);
        assertThat(b.augmentation()).isEqualTo(Augmentation.of(Presets.STUDY));
        assertThat(b.shuffles(b.split())).isTrue();
        b.split("val");
        assertThat(b.augmentation()).isEqualTo(Augmentation.of(Presets.EVAL));
        assertThat(b.shuffles(b.split())).isFalse();
        b.preset(Presets.STUDY).shuffle(true);
        assertThat(b.augmentation()).isEqualTo(Augmentation.of(Presets.STUDY));
        assertThat(b.shuffles(Split.VAL)).isTrue();
    }

    @Test
    void settersKeepTheirValuesAndReturnTheBuilder() {
        ImagenetteIterator.Builder b = builder().imageSize(227).batchSize(256).seed(7);
        assertThat(b.imageSize()).isEqualTo(227);
        assertThat(b.batchSize()).isEqualTo(256);
        assertThat(b.seed()).isEqualTo(7);
    }

    @Test
    void badOptionsAreNamed() {
        assertThatThrownBy(() -> builder().imageSize(0)).hasMessageContaining("imageSize").hasMessageContaining("0");
        assertThatThrownBy(() -> builder().batchSize(-1)).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> builder().split((Split) null)).hasMessageContaining("split");
        assertThatThrownBy(() -> builder().split("test")).hasMessageContaining("train, val");
        assertThatThrownBy(() -> builder().preset("imagenet-paper")).hasMessageContaining("imagenet-paper");
    }
}
