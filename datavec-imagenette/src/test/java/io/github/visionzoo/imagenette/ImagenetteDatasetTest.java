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

class ImagenetteDatasetTest {

    @TempDir
    Path tmp;

    private static final byte[] JPEG = TestData.encode(TestData.solid(8, 8, 0x336699), "jpeg");

    private Path layoutWithFiles() throws IOException {
        Path root = TestData.emptyLayout(tmp.resolve("imagenette2-160"));
        for (Split s : Split.values()) {
            for (String w : Imagenette.WNIDS) {
                Files.write(root.resolve(s.folder()).resolve(w).resolve(w + "_2.JPEG"), JPEG);
                Files.write(root.resolve(s.folder()).resolve(w).resolve(w + "_10.JPEG"), JPEG);
            }
        }
        return root;
    }

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
    void labelsComeFromTheFolderAndFilesAreSortedByName() throws IOException {
        Path root = layoutWithFiles();
        // A validation-style name in a class folder takes that folder's label.
        Path val = root.resolve("val/n03000684/ILSVRC2012_val_00000293.JPEG");
        Files.write(val, JPEG);
        ImagenetteDataset d = ImagenetteDataset.open(root, Split.VAL);
        assertThat(d.size()).isEqualTo(21);
        assertThat(d.classCounts()).containsExactly(2, 2, 2, 3, 2, 2, 2, 2, 2, 2);
        for (int i = 0; i < d.size(); i++) {
            Sample s = d.samples().get(i);
            assertThat(s.index()).isEqualTo(i);
            assertThat(s.label()).isEqualTo(s.folderLabel());
            assertThat(s.file().getParent().getFileName().toString()).isEqualTo(Imagenette.WNIDS.get(s.label()));
        }
        Sample ilsvrc = d.samples().stream().filter(s -> s.file().getFileName().toString().startsWith("ILSVRC"))
                .findFirst().orElseThrow();
        assertThat(ilsvrc.label()).isEqualTo(3);
        assertThat(ilsvrc.relativePath()).isEqualTo("val/n03000684/ILSVRC2012_val_00000293.JPEG");
        // Python's sorted(): "ILSVRC..." < "n03000684_10" < "n03000684_2" (string order, not numeric).
        assertThat(d.samples().subList(6, 9)).extracting(s -> s.file().getFileName().toString())
                .containsExactly("ILSVRC2012_val_00000293.JPEG", "n03000684_10.JPEG", "n03000684_2.JPEG");
    }

    @Test
    void nonImageAndHiddenFilesAreNotListed() throws IOException {
        Path root = layoutWithFiles();
        Path cls = root.resolve("train/n01440764");
        Files.writeString(cls.resolve("notes.txt"), "x");
        Files.write(cls.resolve(".hidden.JPEG"), JPEG);
        Files.write(cls.resolve("upper.JPG"), JPEG);
        Files.write(cls.resolve("picture.png"), TestData.encode(TestData.solid(4, 4, 0), "png"));
        Files.writeString(root.resolve("train/.DS_Store"), "x");
        ImagenetteDataset d = ImagenetteDataset.open(root, Split.TRAIN);
        assertThat(d.classCounts()[0]).isEqualTo(4);
        assertThat(d.samples()).extracting(Sample::relativePath)
                .contains("train/n01440764/upper.JPG", "train/n01440764/picture.png")
                .noneMatch(p -> p.endsWith(".txt") || p.contains("/."));
    }

    @Test
    void missingRootShowsLayout() {
        Path root = tmp.resolve("nowhere");
        assertThatThrownBy(() -> ImagenetteDataset.open(root, Split.TRAIN))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining(root.toString())
                .hasMessageContaining("does not exist")
                .hasMessageContaining("ROOT/")
                .hasMessageContaining("train/<class>/*.jpg");
    }

    @Test
    void aFolderOfAnyClassesIsReadAsImageFolderReadsIt() throws IOException {
        Path root = tmp.resolve("pets");
        for (String file : List.of("train/dog/b.jpg", "train/dog/a.png", "train/dog/2021/x.jpeg", "train/Zebra/z.JPG",
                "train/cat/c.jpg", "train/cat/.hidden.jpg", "train/cat/notes.txt", "train/readme.jpg",
                "val/cat/v.jpg", "val/dog/w.jpg", "val/Zebra/y.jpg")) {
            Files.createDirectories(root.resolve(file).getParent());
            Files.write(root.resolve(file), JPEG);
        }
        ImagenetteDataset d = ImagenetteDataset.open(root, Split.TRAIN);
        assertThat(d.classes()).as("sorted as Python sorts strings: capitals first").containsExactly("Zebra", "cat",
                "dog");
        assertThat(d.samples()).extracting(Sample::relativePath).as("by class, then folder, then name; a file"
                + " beside the class folders is no class's").containsExactly("train/Zebra/z.JPG", "train/cat/c.jpg",
                "train/dog/a.png", "train/dog/b.jpg", "train/dog/2021/x.jpeg");
        assertThat(d.samples()).extracting(Sample::label).containsExactly(0, 1, 2, 2, 2);
        assertThat(d.samples().get(4).file()).isEqualTo(root.toAbsolutePath().resolve("train/dog/2021/x.jpeg"));
        assertThat(ImagenetteDataset.open(root, Split.VAL).classes()).isEqualTo(d.classes());
        assertThat(d.selectClasses(List.of("dog")).size()).isEqualTo(3);
    }

    @Test
    void aSplitNeedsTwoClassFolders() throws IOException {
        Path root = tmp.resolve("flat");
        Files.createDirectories(root.resolve("train"));
        Files.write(root.resolve("train/a.jpg"), JPEG);
        assertThatThrownBy(() -> ImagenetteDataset.open(root, Split.TRAIN))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageStartingWith("Split folder " + root.toAbsolutePath().resolve("train") + " has no class"
                        + " folder: a classifier needs a folder of images per class, at least two. Found: [a.jpg].")
                .hasMessageContaining("train/<class>/*.jpg");
        Files.createDirectories(root.resolve("train/cat"));
        assertThatThrownBy(() -> ImagenetteDataset.open(root, Split.TRAIN))
                .hasMessageContaining("has one class folder only");
    }

    @Test
    void labelNoiseIsImagenettesOnly() throws IOException {
        Path root = tmp.resolve("two");
        for (String file : List.of("train/a/1.jpg", "train/b/2.jpg")) {
            Files.createDirectories(root.resolve(file).getParent());
            Files.write(root.resolve(file), JPEG);
        }
        assertThat(ImagenetteDataset.open(root, Split.TRAIN, LabelNoise.NONE).size()).isEqualTo(2);
        assertThatThrownBy(() -> ImagenetteDataset.open(root, Split.TRAIN, LabelNoise.PCT_5))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("Label noise 5 % relabels Imagenette's training images")
                .hasMessageContaining("holds other classes [a, b], so train it with label noise 0");
    }

    @Test
    void missingSplitNamesWhatWasFound() throws IOException {
        Path root = layoutWithFiles();
        ImagenetteDownloader.deleteTree(root.resolve("val"));
        assertThatThrownBy(() -> ImagenetteDataset.open(root, Split.VAL))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("no 'val' split folder")
                .hasMessageContaining("Found in the root: [train/]")
                .hasMessageContaining("Expected an image folder");
        assertThat(ImagenetteDataset.open(root, Split.TRAIN).size()).isEqualTo(20);
    }

    @Test
    void parentOfTheRootGetsAHint() throws IOException {
        layoutWithFiles();
        assertThatThrownBy(() -> ImagenetteDataset.open(tmp, Split.TRAIN))
                .hasMessageContaining("Did you mean the root " + tmp.toAbsolutePath().resolve("imagenette2-160"));
    }

    @Test
    void missingClassFolderIsNamed() throws IOException {
        Path root = layoutWithFiles();
        ImagenetteDownloader.deleteTree(root.resolve("train/n03417042"));
        assertThatThrownBy(() -> ImagenetteDataset.open(root, Split.TRAIN))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("missing class folder(s) [n03417042]")
                .hasMessageContaining("found: [n01440764/")
                .hasMessageContaining("Expected an image folder");
    }

    @Test
    void unknownFolderIsNamed() throws IOException {
        Path root = layoutWithFiles();
        Files.createDirectories(root.resolve("train/n09999999"));
        Files.createDirectories(root.resolve("train/backup"));
        assertThatThrownBy(() -> ImagenetteDataset.open(root, Split.TRAIN))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("unknown folder(s) [backup, n09999999]")
                .hasMessageNotContaining("missing class");
    }

    @Test
    void splitWithoutImagesIsAnError() throws IOException {
        Path root = TestData.emptyLayout(tmp.resolve("empty"));
        assertThatThrownBy(() -> ImagenetteDataset.open(root, Split.TRAIN))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("has no image file");
    }

    @Test
    void noisyLabelsSelectTheColumn() throws IOException {
        Path root = layoutWithFiles();
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

        ImagenetteDataset clean = ImagenetteDataset.open(root, Split.TRAIN, LabelNoise.NONE);
        ImagenetteDataset n5 = ImagenetteDataset.open(root, Split.TRAIN, LabelNoise.PCT_5);
        ImagenetteDataset n25 = ImagenetteDataset.open(root, Split.TRAIN, LabelNoise.PCT_25);
        ImagenetteDataset n50 = ImagenetteDataset.open(root, Split.TRAIN, LabelNoise.ofPercent(50));
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
        ImagenetteDataset val = ImagenetteDataset.open(root, Split.VAL, LabelNoise.PCT_50);
        assertThat(val.samples()).allMatch(s -> s.label() == s.folderLabel());
        assertThat(val.noise()).isEqualTo(LabelNoise.NONE);
    }

    @Test
    void noisyLabelErrors() throws IOException {
        Path root = layoutWithFiles();
        assertThatThrownBy(() -> ImagenetteDataset.open(root, Split.TRAIN, LabelNoise.PCT_1))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("noisy_imagenette.csv, which is missing");
        Files.writeString(root.resolve("noisy_imagenette.csv"),
                "path,noisy_labels_0,noisy_labels_1,noisy_labels_5,noisy_labels_25,noisy_labels_50,is_valid\n"
                        + "train/n01440764/n01440764_2.JPEG,n01440764,n01440764,n01440764,n01440764,n01440764,False\n");
        assertThatThrownBy(() -> ImagenetteDataset.open(root, Split.TRAIN, LabelNoise.PCT_1))
                .hasMessageContaining("19 training image(s) have no row");
        assertThatThrownBy(() -> LabelNoise.ofPercent(10)).hasMessageContaining("0, 1, 5, 25, 50");
    }

    @Test
    void classSubsetAndLimitReindex() throws IOException {
        Path root = layoutWithFiles();
        ImagenetteDataset d = ImagenetteDataset.open(root, Split.TRAIN)
                .selectClasses(List.of("n03888257", "n02102040")).limitPerClass(1);
        assertThat(d.classes()).containsExactly("n02102040", "n03888257");
        assertThat(d.size()).isEqualTo(2);
        assertThat(d.samples()).extracting(Sample::label).containsExactly(0, 1);
        assertThat(d.samples()).extracting(Sample::folderLabel).containsExactly(1, 9);
        // The index stays the position in the full list, so augmentations do not depend on the subset.
        assertThat(d.samples().get(1).index()).isEqualTo(18);
        assertThatThrownBy(() -> d.selectClasses(List.of("n01440764"))).hasMessageContaining("not a class");
    }

    @Test
    void readsTheNoisyTableOfTheSyntheticSet() {
        Path root = TestData.synthetic(tmp, 20, 2, 32);
        Map<String, String> t = ImagenetteDataset.readNoisyTable(root, LabelNoise.PCT_25);
        assertThat(t).hasSize(200);
        ImagenetteDataset d = ImagenetteDataset.open(root, Split.TRAIN, LabelNoise.PCT_25);
        assertThat(d.samples().stream().filter(s -> s.label() != s.folderLabel()).count()).isEqualTo(50);
    }
}
