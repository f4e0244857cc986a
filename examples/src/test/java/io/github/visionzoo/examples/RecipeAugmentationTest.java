package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.examples.cli.ImagenetteData;
import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.Imagenette;
import io.github.visionzoo.imagenette.transform.Augmentation;
import io.github.visionzoo.imagenette.transform.Presets;
import io.github.visionzoo.zoo.train.AugmentationSpec;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A recipe's augmentation reaches the iterators that {@code train} builds ({@link ImagenetteData}): the crops that
 * training takes and the resize that validation applies. The images are PNGs written by the test whose red value is
 * the column and green the row, so each output pixel says where in the image it came from.
 */
class RecipeAugmentationTest {
    private static final int W = 160;
    private static final int H = 120;
    private static final int SIZE = 32;

    @TempDir
    static Path root;

    @BeforeAll
    static void positionImages() throws IOException {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                img.setRGB(x, y, (Math.round(255f * x / (W - 1)) << 16) | (Math.round(255f * y / (H - 1)) << 8));
            }
        }
        for (String split : List.of("train", "val")) {
            for (String wnid : Imagenette.WNIDS) {
                Path folder = Files.createDirectories(root.resolve(split).resolve(wnid));
                for (int i = 0; i < (split.equals("train") ? 2 : 1); i++) {
                    ImageIO.write(img, "png", folder.resolve(i + ".png").toFile());
                }
            }
        }
    }

    private static TrainingRecipe recipe(String augmentation) {
        return TrainingRecipe.fromJson("{\"name\": \"t\", \"optimizer\": \"adamw\", \"learningRate\": 0.001,"
                + " \"batchSize\": 16, \"epochs\": 1, \"imageSize\": " + SIZE + ", \"augmentation\": " + augmentation
                + ", \"seed\": 1}", "test");
    }

    /** Per image: {width fraction, height fraction, 1 if mirrored}, read back from the position colours. */
    private static List<double[]> crops(ImagenetteIterator it, int epochs) {
        List<double[]> out = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            it.setEpoch(e);
            it.reset();
            while (it.hasNext()) {
                DataSet ds = it.next();
                INDArray x = ds.getFeatures();
                for (int n = 0; n < x.size(0); n++) {
                    // undo Normalize: channel c is (v - mean) / std
                    double left = unit(x.getDouble(n, 0, SIZE / 2, 0), 0) * (W - 1);
                    double right = unit(x.getDouble(n, 0, SIZE / 2, SIZE - 1), 0) * (W - 1);
                    double top = unit(x.getDouble(n, 1, 0, SIZE / 2), 1) * (H - 1);
                    double bottom = unit(x.getDouble(n, 1, SIZE - 1, SIZE / 2), 1) * (H - 1);
                    // the first and last output pixels sit half an output pixel inside the crop
                    double w = Math.abs(right - left) * SIZE / (SIZE - 1);
                    double h = (bottom - top) * SIZE / (SIZE - 1);
                    out.add(new double[] {w / W, h / H, right < left ? 1 : 0});
                }
            }
        }
        return out;
    }

    private static double unit(double normalized, int c) {
        return normalized * new double[] {0.229, 0.224, 0.225}[c] + new double[] {0.485, 0.456, 0.406}[c];
    }

    @Test
    void aRecipesCropScaleAndFlipReachTraining() {
        TrainingRecipe scaled = recipe("{\"preset\": \"study\", \"scale\": [0.35, 1], \"hflip\": 0}");
        List<double[]> big;
        try (ImagenetteIterator it = ImagenetteData.train(root, scaled.augmentation(), SIZE, 16, 1, null)) {
            big = crops(it, 6);
        }
        assertThat(big).hasSize(120);
        // rounding the sides to whole pixels and reading them back through 8-bit colours: 2 % of the area
        assertThat(big).allSatisfy(c -> assertThat(c[0] * c[1]).isBetween(0.33, 1.02));
        assertThat(big).noneMatch(c -> c[2] == 1);
        assertThat(big.stream().mapToDouble(c -> c[0] * c[1]).average().orElseThrow())
                .as("uniform in [0.35, 1], less the draws that do not fit").isCloseTo(0.65, within(0.08));

        List<double[]> plain;
        try (ImagenetteIterator it = ImagenetteData.train(root, recipe("\"study\"").augmentation(), SIZE, 16, 1,
                null)) {
            plain = crops(it, 6);
        }
        assertThat(plain).anyMatch(c -> c[0] * c[1] < 0.25);
        assertThat(plain).anyMatch(c -> c[2] == 1);
    }

    @Test
    void theEvaluationCropRatioReachesValidation() {
        // the shorter side, 120, to floor(32 / 0.5) = 64, then the centre 32: half the height
        TrainingRecipe wide = recipe("{\"preset\": \"study\", \"evalCropPct\": 0.5}");
        try (ImagenetteIterator it = ImagenetteData.val(root, wide.augmentation(), SIZE, 16, null)) {
            assertThat(crops(it, 1)).allSatisfy(c -> assertThat(c[1]).isCloseTo(0.5, within(0.02)));
        }
        // torchvision's 0.875: to floor(32 / 0.875) = 36, crop 32 of it
        try (ImagenetteIterator it = ImagenetteData.val(root, recipe("\"study\"").augmentation(), SIZE, 16,
                null)) {
            assertThat(crops(it, 1)).allSatisfy(c -> assertThat(c[1]).isCloseTo(32.0 / 36, within(0.02)));
        }
    }

    @Test
    void everyParameterReachesThePipelineAndThePresetsAgree() {
        AugmentationSpec spec = recipe("{\"preset\": \"study\", \"scale\": [0.35, 1], \"ratio\": [0.5, 2],"
                + " \"hflip\": 0.25, \"colorJitter\": [0.4, 0.3, 0.2, 0.1], \"lighting\": 0.05,"
                + " \"evalCropPct\": 0.9}").augmentation();
        assertThat(ImagenetteData.augmentation(spec)).isEqualTo(Augmentation.of("study").withScale(0.35, 1)
                .withRatio(0.5, 2).withHflip(0.25)
                .withColorJitter(new io.github.visionzoo.imagenette.transform.ColorJitter(0.4, 0.3, 0.2, 0.1))
                .withLighting(0.05).withEvalCropPct(0.9));
        assertThat(ImagenetteData.evaluation(spec)).isEqualTo(Augmentation.of("eval").withEvalCropPct(0.9));
        assertThat(ImagenetteData.evaluation(null)).isEqualTo(Augmentation.of("eval"));
        assertThat(ImagenetteData.augmentation(AugmentationSpec.of("alexnet-paper")))
                .isEqualTo(Augmentation.of("alexnet-paper"));
        // zoo cannot see the data module: its list of presets is a copy
        assertThat(AugmentationSpec.PRESETS).isEqualTo(Presets.names());
    }
}
