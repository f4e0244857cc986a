package io.github.visionzoo.imagenette;

import io.github.visionzoo.imagenette.transform.FloatImage;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * Decodes image files to 3-channel RGB {@link FloatImage}s in [0, 1], with {@code javax.imageio} (plus the
 * TwelveMonkeys JPEG plug-in, which reads CMYK and YCCK JPEGs).
 *
 * <p>Follows Pillow's {@code Image.convert("RGB")} as torchvision's loader does: grayscale is replicated to three
 * channels (the 8-bit values as they are, without the linear-gray colour conversion AWT would apply), alpha is dropped
 * without compositing, palettes are expanded, CMYK is converted to RGB (by the plug-in's colour management; Pillow's
 * conversion is a naive formula, so CMYK colours differ somewhat). Departs from Pillow where Pillow is lenient: a
 * truncated JPEG is an error here (as in Pillow's default {@code LOAD_TRUNCATED_IMAGES = False}), and so are empty
 * files and files of unknown format. Thread-safe: each call uses its own reader.
 */
public final class ImageDecoder {

    private static final float[] TO_UNIT = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            TO_UNIT[i] = i / 255f;
        }
        // Registers the TwelveMonkeys reader even if ImageIO was first used under another context class loader.
        ImageIO.scanForPlugins();
    }

    private ImageDecoder() {
    }

    /**
     * Decodes a file.
     *
     * @throws UnreadableImageException if the file is empty, truncated, corrupt or not an image
     * @throws IOException              if the file cannot be read at all
     */
    public static FloatImage decode(Path file) throws IOException {
        return toFloat(read(file));
    }

    /** Decodes in-memory file content; {@code name} only labels errors. */
    public static FloatImage decode(byte[] bytes, Path name) throws UnreadableImageException {
        return toFloat(read(bytes, name));
    }

    /** Reads a file to a {@link BufferedImage} of the reader's native type, applying the same checks. */
    public static BufferedImage read(Path file) throws IOException {
        return read(Files.readAllBytes(file), file);
    }

    /** Reads in-memory file content to a {@link BufferedImage}; {@code name} only labels errors. */
    public static BufferedImage read(byte[] bytes, Path name) throws UnreadableImageException {
        if (bytes.length == 0) {
            throw new UnreadableImageException(name, "empty file (0 bytes)");
        }
        ImageInputStream in = new BytesImageInputStream(bytes);
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new UnreadableImageException(name, "not an image (no decoder recognises its " + bytes.length
                    + " bytes)");
        }
        ImageReader reader = readers.next();
        String[] truncated = {null};
        try {
            in.seek(0);
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener((source, warning) -> {
                String w = warning == null ? "" : warning.toLowerCase(Locale.ROOT);
                if (truncated[0] == null && (w.contains("truncat") || w.contains("premature end"))) {
                    truncated[0] = warning;
                    source.abort();
                }
            });
            ImageReadParam param = reader.getDefaultReadParam();
            BufferedImage img = reader.read(0, param);
            if (truncated[0] != null) {
                throw new UnreadableImageException(name, "truncated image data (" + truncated[0] + ")");
            }
            if (img == null) {
                throw new UnreadableImageException(name, "the decoder returned no image");
            }
            return img;
        } catch (UnreadableImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (truncated[0] != null) {
                throw new UnreadableImageException(name, "truncated image data (" + truncated[0] + ")", e);
            }
            throw new UnreadableImageException(name, "corrupt or unsupported image data ("
                    + (e.getMessage() != null ? e.getMessage() : "the decoder failed") + ")", e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * Converts a decoded image to RGB floats in [0, 1]. Byte images in the usual layouts (what the JPEG and PNG readers
     * return) become a {@linkplain FloatImage#ofBytes view} of their pixels, converted when first needed.
     */
    public static FloatImage toFloat(BufferedImage img) {
        FloatImage view = byteView(img);
        if (view != null) {
            return view;
        }
        FloatImage out = new FloatImage(img.getWidth(), img.getHeight());
        slowPath(img, out);
        return out;
    }

    /** A view of 8-bit gray, RGB or RGBA (alpha ignored) rasters in sRGB, or null. */
    private static FloatImage byteView(BufferedImage img) {
        Raster raster = img.getRaster();
        ColorModel cm = img.getColorModel();
        if (!(raster.getDataBuffer() instanceof DataBufferByte) || raster.getDataBuffer().getNumBanks() != 1
                || !(raster.getSampleModel() instanceof ComponentSampleModel)
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0
                || cm.getComponentSize().length != raster.getNumBands()) {
            return null;
        }
        for (int bits : cm.getComponentSize()) {
            if (bits != 8) {
                return null;
            }
        }
        ComponentSampleModel sm = (ComponentSampleModel) raster.getSampleModel();
        int bands = raster.getNumBands();
        ColorSpace cs = cm.getColorSpace();
        boolean gray = bands == 1 && cs.getType() == ColorSpace.TYPE_GRAY;
        boolean rgb = (bands == 3 || bands == 4) && cs.isCS_sRGB() && cm.getNumColorComponents() == 3
                && (bands == 3 || cm.hasAlpha());
        if (!gray && !rgb) {
            return null;
        }
        byte[] data = ((DataBufferByte) raster.getDataBuffer()).getData();
        int base = raster.getDataBuffer().getOffset();
        int[] offsets = sm.getBandOffsets();
        // Gray: the 8-bit values as they are (Pillow's L -> RGB), not AWT's linear-gray conversion.
        int r = offsets[0];
        int g = gray ? offsets[0] : offsets[1];
        int b = gray ? offsets[0] : offsets[2];
        return FloatImage.ofBytes(img.getWidth(), img.getHeight(), data, base, sm.getPixelStride(),
                sm.getScanlineStride(), r, g, b);
    }

    /** Everything else (palettes, 16-bit, other colour spaces), through AWT's conversion to sRGB. */
    private static void slowPath(BufferedImage img, FloatImage out) {
        int w = out.width();
        int h = out.height();
        int n = w * h;
        float[] d = out.data();
        Raster raster = img.getRaster();
        boolean gray = img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && raster.getNumBands() == 1;
        if (gray) {
            // Keep grey levels as they are stored (Pillow's L -> RGB), scaled to [0, 1].
            int bits = img.getColorModel().getComponentSize(0);
            float scale = 1f / ((1 << bits) - 1);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    float v = row[x] * scale;
                    d[y * w + x] = v;
                    d[n + y * w + x] = v;
                    d[2 * n + y * w + x] = v;
                }
            }
            return;
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                d[y * w + x] = TO_UNIT[(p >> 16) & 0xff];
                d[n + y * w + x] = TO_UNIT[(p >> 8) & 0xff];
                d[2 * n + y * w + x] = TO_UNIT[p & 0xff];
            }
        }
    }

    /** An {@link ImageInputStream} over a byte array, without the copying and caching of ImageIO's own streams. */
    static final class BytesImageInputStream extends ImageInputStreamImpl {
        private final byte[] bytes;

        BytesImageInputStream(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read() {
            bitOffset = 0;
            return streamPos < bytes.length ? bytes[(int) streamPos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (off < 0 || len < 0 || off + len > b.length) {
                throw new IndexOutOfBoundsException();
            }
            bitOffset = 0;
            if (len == 0) {
                return 0;
            }
            if (streamPos >= bytes.length) {
                return -1;
            }
            int k = (int) Math.min(len, bytes.length - streamPos);
            System.arraycopy(bytes, (int) streamPos, b, off, k);
            streamPos += k;
            return k;
        }

        @Override
        public long length() {
            return bytes.length;
        }

        @Override
        public void seek(long pos) throws IOException {
            super.seek(pos);
        }
    }
}
