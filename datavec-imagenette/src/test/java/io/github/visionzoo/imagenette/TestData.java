package io.github.visionzoo.imagenette;

import io.github.visionzoo.imagenette.transform.FloatImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/** Small data sets and images for the tests. */
public final class TestData {
    /** An 8 x 8 JPEG of one colour. */
    public static final byte[] SMALL_JPEG = encode(solid(8, 8, 0x336699), "jpeg");

    private TestData() {
    }

    /** A synthetic Imagenette of {@code train} + {@code val} images per class, short side {@code size}. */
    public static Path synthetic(Path dir, int train, int val, int size) {
        try {
            return SyntheticImagenette.builder().trainPerClass(train).valPerClass(val).imageSize(size).seed(7)
                    .build().writeTo(dir.resolve("imagenette-synthetic"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An empty official layout: both splits, all ten class folders, no files. */
    public static Path emptyLayout(Path root) throws IOException {
        for (Split s : Split.values()) {
            for (String w : Imagenette.WNIDS) {
                Files.createDirectories(root.resolve(s.folder()).resolve(w));
            }
        }
        return root;
    }

    /** The official layout with two {@link #SMALL_JPEG}s per class and split, {@code <wnid>_2.JPEG} and {@code _10}. */
    public static Path imagenetteLayout(Path root) throws IOException {
        emptyLayout(root);
        for (Split s : Split.values()) {
            for (String w : Imagenette.WNIDS) {
                Files.write(root.resolve(s.folder()).resolve(w).resolve(w + "_2.JPEG"), SMALL_JPEG);
                Files.write(root.resolve(s.folder()).resolve(w).resolve(w + "_10.JPEG"), SMALL_JPEG);
            }
        }
        return root;
    }

    /** R = x / (w - 1), G = y / (h - 1), B = 0.25. */
    public static FloatImage gradient(int w, int h) {
        FloatImage img = new FloatImage(w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.set(0, y, x, w == 1 ? 0 : x / (float) (w - 1));
                img.set(1, y, x, h == 1 ? 0 : y / (float) (h - 1));
                img.set(2, y, x, 0.25f);
            }
        }
        return img;
    }

    public static BufferedImage solid(int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    public static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("No writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JPEG of random noise (so that its entropy-coded data is long). */
    public static byte[] noiseJpeg(int w, int h, long seed) {
        java.util.Random r = new java.util.Random(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        return encode(img, "jpeg");
    }

    /** Relative paths of every file and folder under {@code root} ('/'-separated, folders with a trailing '/'). */
    public static List<String> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            List<String> out = new ArrayList<>();
            for (Path p : s.sorted().collect(Collectors.toList())) {
                if (p.equals(root)) {
                    continue;
                }
                out.add(root.relativize(p).toString().replace('\\', '/') + (Files.isDirectory(p) ? "/" : ""));
            }
            return out;
        }
    }
}
