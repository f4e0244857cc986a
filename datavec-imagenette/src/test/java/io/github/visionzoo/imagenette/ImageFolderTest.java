package io.github.visionzoo.imagenette;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listing rule and layout checks of any image folder of classes. */
class ImageFolderTest {

    @TempDir
    Path tmp;

    @Test
    void labelsComeFromTheFolderAndFilesAreSortedByName() throws IOException {
        Path root = TestData.imagenetteLayout(tmp.resolve("imagenette2-160"));
        // A validation-style name in a class folder takes that folder's label.
        Path val = root.resolve("val/n03000684/ILSVRC2012_val_00000293.JPEG");
        Files.write(val, TestData.SMALL_JPEG);
        ImageFolder d = ImageFolder.open(root, Split.VAL);
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
        Path root = TestData.imagenetteLayout(tmp.resolve("imagenette2-160"));
        Path cls = root.resolve("train/n01440764");
        Files.writeString(cls.resolve("notes.txt"), "x");
        Files.write(cls.resolve(".hidden.JPEG"), TestData.SMALL_JPEG);
        Files.write(cls.resolve("upper.JPG"), TestData.SMALL_JPEG);
        Files.write(cls.resolve("picture.png"), TestData.encode(TestData.solid(4, 4, 0), "png"));
        Files.writeString(root.resolve("train/.DS_Store"), "x");
        ImageFolder d = ImageFolder.open(root, Split.TRAIN);
        assertThat(d.classCounts()[0]).isEqualTo(4);
        assertThat(d.samples()).extracting(Sample::relativePath)
                .contains("train/n01440764/upper.JPG", "train/n01440764/picture.png")
                .noneMatch(p -> p.endsWith(".txt") || p.contains("/."));
    }

    @Test
    void missingRootShowsLayout() {
        Path root = tmp.resolve("nowhere");
        assertThatThrownBy(() -> ImageFolder.open(root, Split.TRAIN))
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
            Files.write(root.resolve(file), TestData.SMALL_JPEG);
        }
        ImageFolder d = ImageFolder.open(root, Split.TRAIN);
        assertThat(d.classes()).as("sorted as Python sorts strings: capitals first").containsExactly("Zebra", "cat",
                "dog");
        assertThat(d.samples()).extracting(Sample::relativePath).as("by class, then folder, then name; a file"
                + " beside the class folders is no class's").containsExactly("train/Zebra/z.JPG", "train/cat/c.jpg",
                "train/dog/a.png", "train/dog/b.jpg", "train/dog/2021/x.jpeg");
        assertThat(d.samples()).extracting(Sample::label).containsExactly(0, 1, 2, 2, 2);
        assertThat(d.samples().get(4).file()).isEqualTo(root.toAbsolutePath().resolve("train/dog/2021/x.jpeg"));
        assertThat(ImageFolder.open(root, Split.VAL).classes()).isEqualTo(d.classes());
        assertThat(d.selectClasses(List.of("dog")).size()).isEqualTo(3);
    }

    @Test
    void aSplitNeedsTwoClassFolders() throws IOException {
        Path root = tmp.resolve("flat");
        Files.createDirectories(root.resolve("train"));
        Files.write(root.resolve("train/a.jpg"), TestData.SMALL_JPEG);
        assertThatThrownBy(() -> ImageFolder.open(root, Split.TRAIN))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageStartingWith("Split folder " + root.toAbsolutePath().resolve("train") + " has no class"
                        + " folder: a classifier needs a folder of images per class, at least two. Found: [a.jpg].")
                .hasMessageContaining("train/<class>/*.jpg");
        Files.createDirectories(root.resolve("train/cat"));
        assertThatThrownBy(() -> ImageFolder.open(root, Split.TRAIN))
                .hasMessageContaining("has one class folder only");
    }

    @Test
    void missingSplitNamesWhatWasFound() throws IOException {
        Path root = TestData.imagenetteLayout(tmp.resolve("imagenette2-160"));
        ImagenetteDownloader.deleteTree(root.resolve("val"));
        assertThatThrownBy(() -> ImageFolder.open(root, Split.VAL))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("no 'val' split folder")
                .hasMessageContaining("Found in the root: [train/]")
                .hasMessageContaining("Expected an image folder");
        assertThat(ImageFolder.open(root, Split.TRAIN).size()).isEqualTo(20);
    }

    @Test
    void parentOfTheRootGetsAHint() throws IOException {
        TestData.imagenetteLayout(tmp.resolve("imagenette2-160"));
        assertThatThrownBy(() -> ImageFolder.open(tmp, Split.TRAIN))
                .hasMessageContaining("Did you mean the root " + tmp.toAbsolutePath().resolve("imagenette2-160"));
    }

    @Test
    void splitWithoutImagesIsAnError() throws IOException {
        Path root = TestData.emptyLayout(tmp.resolve("empty"));
        assertThatThrownBy(() -> ImageFolder.open(root, Split.TRAIN))
                .isInstanceOf(ImagenetteLayoutException.class)
                .hasMessageContaining("has no image file");
    }

    @Test
    void classSubsetAndLimitReindex() throws IOException {
        Path root = TestData.imagenetteLayout(tmp.resolve("imagenette2-160"));
        ImageFolder d = ImageFolder.open(root, Split.TRAIN)
                .selectClasses(List.of("n03888257", "n02102040")).limitPerClass(1);
        assertThat(d.classes()).containsExactly("n02102040", "n03888257");
        assertThat(d.size()).isEqualTo(2);
        assertThat(d.samples()).extracting(Sample::label).containsExactly(0, 1);
        assertThat(d.samples()).extracting(Sample::folderLabel).containsExactly(1, 9);
        // The index stays the position in the full list, so augmentations do not depend on the subset.
        assertThat(d.samples().get(1).index()).isEqualTo(18);
        assertThatThrownBy(() -> d.selectClasses(List.of("n01440764"))).hasMessageContaining("not a class");
    }
}
