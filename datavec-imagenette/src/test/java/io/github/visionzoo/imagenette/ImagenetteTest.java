package io.github.visionzoo.imagenette;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Imagenette as one image folder: its classes, its layout check and its noisy labels. */
class ImagenetteTest {

    @TempDir
    Path tmp;

    @Test
    void classOrderIsSortedWnidsLikeImageFolder() {
        List<String> sorted = new ArrayList<>(Imagenette.WNIDS);
        sorted.sort(null);
        assertThat(Imagenette.WNIDS).isEqualTo(sorted).hasSize(10).startsWith("n01440764").endsWith("n03888257");
        assertThat(Imagenette.CLASS_NAMES).containsExactly("tench", "English springer", "cassette player",
                "chain saw", "church", "French horn", "garbage truck", "gas pump", "golf ball", "parachute");
        assertThat(Imagenette.indexOf("n03425413")).isEqualTo(7);
        assertThat(Imagenette.className("n03445777")).isEqualTo("golf ball");
        assertThatThrownBy(() -> Imagenette.indexOf("n00000000")).hasMessageContaining("not an Imagenette class");
    }

    @Test
    void missingClassFolderIsNamed() throws IOException {
        Path root = TestData.imagenetteLayout(tmp.resolve("imagenette2-160"));
        ImagenetteDownloader.deleteTree(root.resolve("train/n03417042"));
        assertThatThrownBy(() -> ImageFolder.open(root, Split.TRAIN))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("missing class folder(s) [n03417042]")
                .hasMessageContaining("found: [n01440764/")
                .hasMessageContaining("Expected an image folder");
    }

    @Test
    void unknownFolderIsNamed() throws IOException {
        Path root = TestData.imagenetteLayout(tmp.resolve("imagenette2-160"));
        Files.createDirectories(root.resolve("train/n09999999"));
        Files.createDirectories(root.resolve("train/backup"));
        assertThatThrownBy(() -> ImageFolder.open(root, Split.TRAIN))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("unknown folder(s) [backup, n09999999]")
                .hasMessageNotContaining("missing class");
    }

    @Test
    void labelNoiseIsImagenettesOnly() throws IOException {
        Path root = tmp.resolve("two");
        for (String file : List.of("train/a/1.jpg", "train/b/2.jpg")) {
            Files.createDirectories(root.resolve(file).getParent());
            Files.write(root.resolve(file), TestData.SMALL_JPEG);
        }
        assertThat(Imagenette.open(root, Split.TRAIN, LabelNoise.NONE).size()).isEqualTo(2);
        assertThatThrownBy(() -> Imagenette.open(root, Split.TRAIN, LabelNoise.PCT_5))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("Label noise 5 % relabels Imagenette's training images")
                .hasMessageContaining("holds other classes [a, b], so train it with label noise 0");
    }

    @Test
    void noisyLabelsSelectTheColumn() throws IOException {
        Path root = TestData.imagenetteLayout(tmp.resolve("imagenette2-160"));
        StringBuilder csv = new StringBuilder(
                "path,noisy_labels_0,noisy_labels_1,noisy_labels_5,noisy_labels_25,noisy_labels_50,is_valid\n");
        for (int c = 0; c < 10; c++) {
            String w = Imagenette.WNIDS.get(c);
            String other = Imagenette.WNIDS.get((c + 1) % 10);
            String third = Imagenette.WNIDS.get((c + 2) % 10);
            // _2: wrong at 25 and 50 %; _10: wrong at 50 % only (another wrong class).
            csv.append("train/").append(w).append('/').append(w).append("_2.JPEG,")
                    .append(String.join(",", w, w, w, other, other)).append(",False\n");
            csv.append("train/").append(w).append('/').append(w).append("_10.JPEG,")
                    .append(String.join(",", w, w, w, w, third)).append(",False\n");
            csv.append("val/").append(w).append('/').append(w).append("_2.JPEG,")
                    .append(String.join(",", w, w, w, w, w)).append(",True\n");
        }
        Files.writeString(root.resolve("noisy_imagenette.csv"), csv);

        ImageFolder clean = Imagenette.open(root, Split.TRAIN, LabelNoise.NONE);
        ImageFolder n5 = Imagenette.open(root, Split.TRAIN, LabelNoise.PCT_5);
        ImageFolder n25 = Imagenette.open(root, Split.TRAIN, LabelNoise.PCT_25);
        ImageFolder n50 = Imagenette.open(root, Split.TRAIN, LabelNoise.ofPercent(50));
        for (int i = 0; i < clean.size(); i++) {
            Sample s = clean.samples().get(i);
            int c = s.folderLabel();
            boolean two = s.relativePath().endsWith("_2.JPEG");
            assertThat(n5.samples().get(i).label()).isEqualTo(c);
            assertThat(n25.samples().get(i).label()).isEqualTo(two ? (c + 1) % 10 : c);
            assertThat(n50.samples().get(i).label()).isEqualTo(two ? (c + 1) % 10 : (c + 2) % 10);
            assertThat(n50.samples().get(i).folderLabel()).isEqualTo(c);
        }
        // Validation labels stay clean whatever the level.
        ImageFolder val = Imagenette.open(root, Split.VAL, LabelNoise.PCT_50);
        assertThat(val.samples()).allMatch(s -> s.label() == s.folderLabel());
        assertThat(val.noise()).isEqualTo(LabelNoise.NONE);
    }

    @Test
    void noisyLabelErrors() throws IOException {
        Path root = TestData.imagenetteLayout(tmp.resolve("imagenette2-160"));
        assertThatThrownBy(() -> Imagenette.open(root, Split.TRAIN, LabelNoise.PCT_1))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("noisy_imagenette.csv, which is missing");
        Files.writeString(root.resolve("noisy_imagenette.csv"),
                "path,noisy_labels_0,noisy_labels_1,noisy_labels_5,noisy_labels_25,noisy_labels_50,is_valid\n"
                        + "train/n01440764/n01440764_2.JPEG,n01440764,n01440764,n01440764,n01440764,n01440764,False\n");
        assertThatThrownBy(() -> Imagenette.open(root, Split.TRAIN, LabelNoise.PCT_1))
                .hasMessageContaining("19 training image(s) have no row");
        assertThatThrownBy(() -> LabelNoise.ofPercent(10)).hasMessageContaining("0, 1, 5, 25, 50");
    }

    @Test
    void readsTheNoisyTableOfTheSyntheticSet() {
        Path root = TestData.synthetic(tmp, 20, 2, 32);
        Map<String, String> t = LabelNoise.PCT_25.table(root);
        assertThat(t).hasSize(200);
        ImageFolder d = Imagenette.open(root, Split.TRAIN, LabelNoise.PCT_25);
        assertThat(d.samples().stream().filter(s -> s.label() != s.folderLabel()).count()).isEqualTo(50);
    }
}
