package io.github.visionzoo.imagenette;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.imagenette.transform.FloatImage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticImagenetteTest {

    @TempDir
    static Path shared;

    static Path root;

    @TempDir
    Path tmp;

    @BeforeAll
    static void write() {
        root = TestData.synthetic(shared, 20, 5, 32);
    }

    @Test
    void layoutIsTheOfficialOne() throws IOException {
        List<String> tree = TestData.tree(root);
        List<String> folders = new ArrayList<>();
        folders.add("noisy_imagenette.csv");
        for (Split s : Split.values()) {
            folders.add(s.folder() + "/");
            for (String w : Imagenette.WNIDS) {
                folders.add(s.folder() + "/" + w + "/");
            }
        }
        assertThat(tree.stream().filter(p -> p.endsWith("/") || !p.contains("/")).toList())
                .containsExactlyInAnyOrderElementsOf(folders);
        List<String> files = tree.stream().filter(p -> p.contains("/") && !p.endsWith("/")).toList();
        assertThat(files).hasSize(250).allMatch(p -> p.matches("(train|val)/n\\d{8}/[^/]+\\.JPEG"));
        assertThat(files).filteredOn(p -> p.startsWith("train/"))
                .allMatch(p -> p.matches("train/(n\\d{8})/\\1_\\d+\\.JPEG"));
        assertThat(files).filteredOn(p -> p.startsWith("val/")).anyMatch(p -> p.contains("/ILSVRC2012_val_"))
                .anyMatch(p -> p.matches("val/(n\\d{8})/\\1_\\d+\\.JPEG"));
        ImageFolder.checkLayout(root, Split.TRAIN);
        ImageFolder.checkLayout(root, Split.VAL);
        assertThat(ImageFolder.open(root, Split.TRAIN).classCounts()).containsOnly(20);
        assertThat(ImageFolder.open(root, Split.VAL).classCounts()).containsOnly(5);
        // Real JPEG files, short side 32, long side at most 4/3 of it.
        for (String f : files.subList(0, 30)) {
            BufferedImage img = ImageIO.read(root.resolve(f).toFile());
            assertThat(Math.min(img.getWidth(), img.getHeight())).isEqualTo(32);
            assertThat(Math.max(img.getWidth(), img.getHeight())).isBetween(32, 43);
            assertThat(Files.readAllBytes(root.resolve(f))).startsWith((byte) 0xFF, (byte) 0xD8, (byte) 0xFF);
        }
    }

    @Test
    void noisyTableHasTheOfficialColumnsAndNestedNoise() throws IOException {
        List<String> lines = Files.readAllLines(root.resolve("noisy_imagenette.csv"));
        assertThat(lines.get(0)).isEqualTo(
                "path,noisy_labels_0,noisy_labels_1,noisy_labels_5,noisy_labels_25,noisy_labels_50,is_valid");
        assertThat(lines).hasSize(251);
        Map<Integer, Set<String>> noisy = new HashMap<>();
        int[] levels = {0, 1, 5, 25, 50};
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split(",");
            assertThat(c).hasSize(7);
            assertThat(root.resolve(c[0])).exists();
            String truth = c[0].split("/")[1];
            assertThat(c[6]).isEqualTo(c[0].startsWith("val/") ? "True" : "False");
            assertThat(c[1]).isEqualTo(truth);
            for (int l = 0; l < 5; l++) {
                assertThat(Imagenette.WNIDS).contains(c[1 + l]);
                if (!c[1 + l].equals(truth)) {
                    assertThat(c[0]).startsWith("train/");
                    noisy.computeIfAbsent(levels[l], k -> new HashSet<>()).add(c[0]);
                }
            }
        }
        assertThat(noisy.get(1)).hasSize(2);
        assertThat(noisy.get(5)).hasSize(10);
        assertThat(noisy.get(25)).hasSize(50);
        assertThat(noisy.get(50)).hasSize(100);
        assertThat(noisy.get(5)).containsAll(noisy.get(1));
        assertThat(noisy.get(50)).containsAll(noisy.get(25));
        assertThat(noisy).doesNotContainKey(0);
    }

    @Test
    void sameSeedWritesTheSameBytes() throws IOException {
        SyntheticImagenette.Builder b = SyntheticImagenette.builder().trainPerClass(2).valPerClass(1).imageSize(24);
        Path a = b.seed(7).build().writeTo(tmp.resolve("a"));
        Path c = b.seed(7).build().writeTo(tmp.resolve("c"));
        Path d = b.seed(8).build().writeTo(tmp.resolve("d"));
        List<String> tree = TestData.tree(a);
        assertThat(TestData.tree(c)).isEqualTo(tree);
        boolean anyDifferent = false;
        for (String f : tree) {
            if (!f.endsWith("/")) {
                assertThat(Files.readAllBytes(c.resolve(f))).isEqualTo(Files.readAllBytes(a.resolve(f)));
                if (f.endsWith(".JPEG")) {
                    anyDifferent |= !java.util.Arrays.equals(Files.readAllBytes(d.resolve(f)),
                            Files.readAllBytes(a.resolve(f)));
                }
            }
        }
        assertThat(anyDifferent).isTrue();
    }

    @Test
    void refusesANonEmptyFolderAndLeavesNoTemporaries() throws IOException {
        Path target = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(target.resolve("x"), "x");
        assertThatThrownBy(() -> SyntheticImagenette.builder().trainPerClass(1).valPerClass(1).build().writeTo(target))
                .hasMessageContaining("non-empty");
        Path ok = SyntheticImagenette.builder().trainPerClass(1).valPerClass(0).imageSize(16).build()
                .ensure(tmp.resolve("fresh"));
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder("busy", "fresh");
        }
        assertThat(SyntheticImagenette.builder().build().ensure(ok)).isEqualTo(ok); // already there: kept
        assertThat(ImageFolder.open(ok, Split.TRAIN).size()).isEqualTo(10);
    }

    @Test
    void grayscaleImagesAreWrittenAsOneChannelJpegs() throws IOException {
        Path g = SyntheticImagenette.builder().trainPerClass(1).valPerClass(0).imageSize(20).grayscaleFraction(1)
                .build().writeTo(tmp.resolve("gray"));
        Path f = ImageFolder.open(g, Split.TRAIN).samples().get(0).file();
        assertThat(ImageIO.read(f.toFile()).getRaster().getNumBands()).isEqualTo(1);
        FloatImage img = ImageDecoder.decode(f);
        assertThat(img.get(0, 5, 5)).isEqualTo(img.get(1, 5, 5)).isEqualTo(img.get(2, 5, 5));
    }

    /**
     * The class's colour family shows: the mean hue of the saturated pixels (mostly the object) is within 20 degrees
     * of the family's hue in most images; a weak, quick check that the classes are distinct.
     */
    @Test
    void classesHaveTheirColourFamily() {
        SyntheticImagenette s = SyntheticImagenette.builder().imageSize(64).grayscaleFraction(0).build();
        for (int c = 0; c < 10; c++) {
            int inFamily = 0;
            for (int i = 0; i < 20; i++) {
                BufferedImage img = s.render(c, new Random(Seeds.mix(c * 100 + i)));
                double sx = 0;
                double sy = 0;
                for (int y = 0; y < img.getHeight(); y++) {
                    for (int x = 0; x < img.getWidth(); x++) {
                        int p = img.getRGB(x, y);
                        float[] hsb = java.awt.Color.RGBtoHSB(p >> 16 & 0xff, p >> 8 & 0xff, p & 0xff, null);
                        if (hsb[1] > 0.6f && hsb[2] > 0.4f) {
                            sx += Math.cos(2 * Math.PI * hsb[0]);
                            sy += Math.sin(2 * Math.PI * hsb[0]);
                        }
                    }
                }
                double hue = Math.toDegrees(Math.atan2(sy, sx));
                double diff = Math.abs(((hue - SyntheticImagenette.hue(c)) % 360 + 540) % 360 - 180);
                inFamily += diff < 20 ? 1 : 0;
            }
            assertThat(inFamily).as("class %d (%s)", c, SyntheticImagenette.COLOURS.get(c)).isGreaterThanOrEqualTo(16);
        }
    }
}
