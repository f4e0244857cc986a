package io.github.visionzoo.imagenette;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.imagenette.transform.FloatImage;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {

    @TempDir
    Path tmp;

    @Test
    void colourJpegIsRgbInUnitRange() throws IOException {
        Path p = tmp.resolve("a.JPEG");
        Files.write(p, TestData.encode(TestData.solid(33, 17, 0xC83214), "jpeg"));
        FloatImage img = ImageDecoder.decode(p);
        assertThat(img.width()).isEqualTo(33);
        assertThat(img.height()).isEqualTo(17);
        double[] m = img.channelMeans();
        assertThat(m[0]).isCloseTo(200 / 255.0, within(0.02));
        assertThat(m[1]).isCloseTo(50 / 255.0, within(0.02));
        assertThat(m[2]).isCloseTo(20 / 255.0, within(0.02));
    }

    @Test
    void grayscaleJpegIsReplicatedWithoutGammaChange() throws IOException {
        BufferedImage g = new BufferedImage(16, 8, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = g.getRaster();
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                r.setSample(x, y, 0, 100);
            }
        }
        Path p = tmp.resolve("gray.JPEG");
        Files.write(p, TestData.encode(g, "jpeg"));
        assertThat(ImageIO.read(p.toFile()).getRaster().getNumBands()).isEqualTo(1);
        FloatImage img = ImageDecoder.decode(p);
        for (int i = 0; i < 16 * 8; i++) {
            float v = img.data()[i];
            assertThat(v).isCloseTo(100 / 255f, within(2 / 255f));
            assertThat(img.data()[128 + i]).isEqualTo(v);
            assertThat(img.data()[256 + i]).isEqualTo(v);
        }
    }

    /** An Adobe CMYK JPEG (inverted CMYK, APP14 transform 0), as Photoshop writes them; the JDK's reader rejects these. */
    @Test
    void cmykJpegBecomesRgb() throws IOException {
        WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 24, 24, 4, null);
        int[] cyan = {0, 255, 255, 255}; // inverted: C = 100 %, M = Y = K = 0
        for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 24; x++) {
                cmyk.setPixel(x, y, cyan);
            }
        }
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            w.write(null, new IIOImage(cmyk, null, null), null);
        } finally {
            w.dispose();
        }
        byte[] plain = bytes.toByteArray();
        byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0};
        byte[] jpeg = new byte[plain.length + app14.length];
        System.arraycopy(plain, 0, jpeg, 0, 2);
        System.arraycopy(app14, 0, jpeg, 2, app14.length);
        System.arraycopy(plain, 2, jpeg, 2 + app14.length, plain.length - 2);
        Path p = tmp.resolve("cmyk.JPEG");
        Files.write(p, jpeg);

        FloatImage img = ImageDecoder.decode(p);
        assertThat(img.width()).isEqualTo(24);
        double[] m = img.channelMeans();
        assertThat(m[0]).as("red of cyan").isLessThan(0.3);
        assertThat(m[1]).as("green of cyan").isGreaterThan(0.5);
        assertThat(m[2]).as("blue of cyan").isGreaterThan(0.75);
    }

    @Test
    void pngWithAlphaDropsAlphaLikePillow() throws IOException {
        BufferedImage a = new BufferedImage(4, 2, BufferedImage.TYPE_INT_ARGB);
        for (int x = 0; x < 4; x++) {
            a.setRGB(x, 0, 0xFF00FF00);   // opaque green
            a.setRGB(x, 1, 0x000000FF);   // fully transparent blue: Pillow's convert("RGB") keeps the blue
        }
        Path p = tmp.resolve("alpha.png");
        Files.write(p, TestData.encode(a, "png"));
        assertThat(ImageIO.read(p.toFile()).getColorModel().hasAlpha()).isTrue();
        FloatImage img = ImageDecoder.decode(p);
        assertThat(img.get(1, 0, 0)).isEqualTo(1f);
        assertThat(img.get(0, 0, 0)).isEqualTo(0f);
        assertThat(img.get(2, 1, 3)).isEqualTo(1f);
        assertThat(img.get(1, 1, 3)).isEqualTo(0f);
    }

    @Test
    void palettePngAndSixteenBitGrayAreRgb() throws IOException {
        byte[] r = {(byte) 255, 0};
        byte[] g = {0, 0};
        byte[] b = {0, (byte) 255};
        BufferedImage pal = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(1, 2, r, g, b));
        pal.getRaster().setSample(1, 0, 0, 1);
        Path p = tmp.resolve("pal.png");
        Files.write(p, TestData.encode(pal, "png"));
        FloatImage img = ImageDecoder.decode(p);
        assertThat(new float[] {img.get(0, 0, 0), img.get(2, 0, 0), img.get(0, 0, 1), img.get(2, 0, 1)})
                .containsExactly(1f, 0f, 0f, 1f);

        BufferedImage g16 = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        g16.getRaster().setSample(0, 0, 0, 65535);
        g16.getRaster().setSample(1, 0, 0, 32768);
        Path q = tmp.resolve("g16.png");
        Files.write(q, TestData.encode(g16, "png"));
        FloatImage h = ImageDecoder.decode(q);
        assertThat(h.get(0, 0, 0)).isEqualTo(1f);
        assertThat(h.get(2, 0, 1)).isCloseTo(0.5f, within(0.001f));
        assertThat(h.get(1, 0, 2)).isEqualTo(0f);
    }

    /** Decoded byte images are views read by the resampler directly; results equal those of converted floats. */
    @Test
    void byteBackedImagesResampleExactlyLikeFloats() throws IOException {
        BufferedImage gray = new BufferedImage(50, 40, BufferedImage.TYPE_BYTE_GRAY);
        java.util.Random rnd = new java.util.Random(4);
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 50; x++) {
                gray.getRaster().setSample(x, y, 0, rnd.nextInt(256));
            }
        }
        for (byte[] bytes : new byte[][] {TestData.noiseJpeg(90, 70, 5), TestData.encode(gray, "png"),
            TestData.encode(TestData.solid(30, 20, 0x123456), "png")}) {
            FloatImage view = ImageDecoder.decode(bytes, null);
            assertThat(view.isByteBacked()).isTrue();
            FloatImage floats = ImageDecoder.decode(bytes, null).copy();
            assertThat(floats.isByteBacked()).isFalse();
            assertThat(view.get(1, 7, 9)).isEqualTo(floats.get(1, 7, 9));
            for (String preset : io.github.visionzoo.imagenette.transform.Presets.names()) {
                io.github.visionzoo.imagenette.transform.Transform t =
                        io.github.visionzoo.imagenette.transform.Presets.byName(preset, 24);
                FloatImage a = t.apply(ImageDecoder.decode(bytes, null), new java.util.Random(2));
                FloatImage b = t.apply(floats.copy(), new java.util.Random(2));
                assertThat(a).as(preset).isEqualTo(b);
            }
            assertThat(view.isByteBacked()).isTrue();
            assertThat(view.data()).isEqualTo(floats.data());
            assertThat(view.isByteBacked()).isFalse();
        }
    }

    @Test
    void bmpWorks() throws IOException {
        Path p = tmp.resolve("x.bmp");
        Files.write(p, TestData.encode(TestData.solid(5, 3, 0x0000FF), "bmp"));
        assertThat(ImageDecoder.decode(p).get(2, 2, 4)).isEqualTo(1f);
    }

    @Test
    void zeroByteFileIsUnreadable() throws IOException {
        Path p = Files.write(tmp.resolve("empty.JPEG"), new byte[0]);
        assertThatThrownBy(() -> ImageDecoder.decode(p))
                .isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("empty.JPEG")
                .hasMessageContaining("empty file");
    }

    @Test
    void truncatedJpegIsUnreadable() throws IOException {
        byte[] full = TestData.noiseJpeg(200, 150, 1);
        assertThat(ImageDecoder.decode(full, null).width()).isEqualTo(200);
        for (double frac : new double[] {0.2, 0.6, 0.95}) {
            Path p = Files.write(tmp.resolve("cut" + frac + ".JPEG"), Arrays.copyOf(full, (int) (full.length * frac)));
            assertThatThrownBy(() -> ImageDecoder.decode(p))
                    .as("cut at %s", frac)
                    .isInstanceOf(UnreadableImageException.class)
                    .hasMessageContaining("truncated");
        }
    }

    @Test
    void textFileNamedJpegIsUnreadable() throws IOException {
        Path p = Files.writeString(tmp.resolve("n01440764_1.JPEG"), "<html>403 Forbidden</html>\n",
                StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ImageDecoder.decode(p))
                .isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("n01440764_1.JPEG")
                .hasMessageContaining("not an image");
    }

    @Test
    void garbageAfterAJpegHeaderIsUnreadable() throws IOException {
        byte[] full = TestData.noiseJpeg(64, 64, 2);
        byte[] bad = Arrays.copyOf(full, full.length);
        Arrays.fill(bad, 20, bad.length, (byte) 0x5A);
        Path p = Files.write(tmp.resolve("garbage.JPEG"), bad);
        assertThatThrownBy(() -> ImageDecoder.decode(p)).isInstanceOf(UnreadableImageException.class);
    }
}
