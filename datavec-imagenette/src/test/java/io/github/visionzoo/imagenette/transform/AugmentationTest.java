package io.github.visionzoo.imagenette.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.imagenette.TestData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AugmentationTest {

    private static List<String> steps(Augmentation a, int size) {
        return ((Transform.Compose) a.transform(size)).steps().stream().map(Object::toString).toList();
    }

    @Test
    void presetsKeepTheirPipelines() {
        assertThat(steps(Augmentation.of("study"), 64)).containsExactly(
                "RandomResizedCrop(64, scale=(0.08, 1.0), ratio=(0.75, 1.3333333333333333))",
                "RandomHorizontalFlip(0.5)", "Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])");
        assertThat(steps(Augmentation.of(" AlexNet-Paper"), 227)).containsExactly("Resize(shortSide=256)",
                "CenterCrop(256x256)", "RandomCrop(227)", "RandomHorizontalFlip(0.5)", "Lighting(alphastd=0.1)",
                "Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])");
        assertThat(steps(Augmentation.of("eval"), 64)).startsWith("Resize(shortSide=73)", "CenterCrop(64x64)");
    }

    @Test
    void parametersReachThePipeline() {
        Augmentation a = Augmentation.of("study").withScale(0.35, 1).withRatio(0.5, 2).withHflip(0)
                .withColorJitter(new ColorJitter(0.4, 0.4, 0.4, 0)).withLighting(0.1).withEvalCropPct(0.8);
        assertThat(steps(a, 32)).containsExactly("RandomResizedCrop(32, scale=(0.35, 1.0), ratio=(0.5, 2.0))",
                "ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.0)", "Lighting(alphastd=0.1)",
                "Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])");
        // evaluation: the shorter side to floor(64 / 0.8) = 80, then the centre 64 x 64
        assertThat(a.evaluation()).isEqualTo(Augmentation.of("eval").withEvalCropPct(0.8));
        assertThat(steps(a.evaluation(), 64)).startsWith("Resize(shortSide=80)", "CenterCrop(64x64)");
        FloatImage out = a.transform(32).apply(TestData.gradient(100, 70), new Random(3));
        assertThat(new int[] {out.width(), out.height()}).containsExactly(32, 32);
    }

    @Test
    void travelsToSparkExecutorsUnchanged() throws Exception {
        Augmentation a = Augmentation.of("study").withScale(0.35, 1)
                .withColorJitter(new ColorJitter(0.2, 0.1, 0.3, 0.05));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(a);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(a);
        }
    }

    @Test
    void badParametersAreNamed() {
        Augmentation study = Augmentation.of("study");
        assertThatThrownBy(() -> Augmentation.of("imagenet")).hasMessageContaining("'imagenet'")
                .hasMessageContaining("alexnet-paper, study, eval");
        assertThatThrownBy(() -> study.withScale(0.9, 0.35)).hasMessageContaining("scale");
        assertThatThrownBy(() -> study.withScale(0.35, 1.5)).hasMessageContaining("max <= 1");
        assertThatThrownBy(() -> study.withRatio(0, 1)).hasMessageContaining("ratio");
        assertThatThrownBy(() -> study.withHflip(1.5)).hasMessageContaining("Flip probability");
        assertThatThrownBy(() -> study.withLighting(-0.1)).hasMessageContaining("alphastd");
        assertThatThrownBy(() -> study.withEvalCropPct(0)).hasMessageContaining("crop ratio");
        assertThatThrownBy(() -> study.withEvalCropPct(1.1)).hasMessageContaining("crop ratio");
        assertThatThrownBy(() -> Augmentation.of("alexnet-paper").withScale(0.35, 1))
                .hasMessageContaining("'study'");
        assertThatThrownBy(() -> Augmentation.of("eval").withHflip(0.5)).hasMessageContaining("deterministic");
    }
}
