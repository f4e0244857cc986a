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
 * without compositing, palettes are expanded, CMYK and YCCK JPEGs are converted with libjpeg's and Pillow's integer
 * formulas, ignoring any ICC profile as Pillow does. So JPEGs (RGB, grayscale, CMYK, YCCK) and PNGs decode to
 * Pillow's values exactly: the JDK's libjpeg and Pillow's libjpeg-turbo share the integer IDCT, the upsampling and
 * the colour conversion ({@code src/docs/TRAINING.md}). Departs from Pillow where Pillow is lenient: a truncated JPEG
 * is an error here (as in Pillow's default {@code LOAD_TRUNCATED_IMAGES = False}), and so are empty files and files of
 * unknown format. Thread-safe: each call uses its own reader.
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
            BufferedImage img;
            int adobe = cmykJpeg(bytes);
            if (adobe != NOT_CMYK && reader.canReadRaster()) {
                // The samples as stored: the reader's own conversion goes through the embedded ICC profile, or the
                // system's generic CMYK one where there is one, and so differs from Pillow's and between machines.
                img = cmykToRgb(reader.readRaster(0, param), adobe != 0 && adobe != NO_ADOBE);
            } else {
                img = reader.read(0, param);
            }
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

    /**
     * A 4-channel JPEG's stored samples as Pillow's RGB: YCCK to inverted CMYK as libjpeg's {@code ycck_cmyk_convert}
     * (16-bit fixed-point YCbCr to RGB, then {@code 255 - R}), Adobe's inversion undone as Pillow's {@code CMYK;I},
     * then Pillow's {@code cmyk2rgb}: {@code R = (255 - K) - round((255 - K) * C / 255)} in its integer arithmetic.
     */
    private static BufferedImage cmykToRgb(Raster stored, boolean ycck) {
        int w = stored.getWidth();
        int h = stored.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
        int[] px = new int[4 * w];
        int[] cmy = new int[3];
        for (int y = 0; y < h; y++) {
            stored.getPixels(stored.getMinX(), stored.getMinY() + y, w, 1, px);
            for (int x = 0; x < w; x++) {
                int p = 4 * x;
                if (ycck) {
                    int luma = px[p];
                    int cb = px[p + 1] - 128;
                    int cr = px[p + 2] - 128;
                    cmy[0] = clamp8(luma + ((91881 * cr + 32768) >> 16));
                    cmy[1] = clamp8(luma + ((-22554 * cb + 32768 - 46802 * cr) >> 16));
                    cmy[2] = clamp8(luma + ((116130 * cb + 32768) >> 16));
                } else {
                    cmy[0] = 255 - px[p];
                    cmy[1] = 255 - px[p + 1];
                    cmy[2] = 255 - px[p + 2];
                }
                int nk = px[p + 3]; // 255 - K, with K inverted as stored
                int o = 3 * (y * w + x);
                for (int c = 0; c < 3; c++) {
                    int t = cmy[c] * nk + 128;
                    bgr[o + 2 - c] = (byte) (nk - (((t >> 8) + t) >> 8));
                }
            }
        }
        return out;
    }

    private static int clamp8(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** {@link #cmykJpeg}: not a 4-component JPEG. */
    private static final int NOT_CMYK = -2;
    /** {@link #cmykJpeg}: a 4-component JPEG without an Adobe segment. */
    private static final int NO_ADOBE = -1;

    /**
     * For a JPEG whose frame has 4 components (which Pillow, as libjpeg, reads as CMYK), the colour transform of its
     * Adobe APP14 segment (0 CMYK; libjpeg takes any other as YCCK) or {@link #NO_ADOBE}; otherwise
     * {@link #NOT_CMYK}. Reads the markers before the first scan only.
     */
    private static int cmykJpeg(byte[] jpeg) {
        if (jpeg.length < 4 || (jpeg[0] & 0xff) != 0xff || (jpeg[1] & 0xff) != 0xd8) {
            return NOT_CMYK;
        }
        int adobe = NO_ADOBE;
        int components = 0;
        int p = 2;
        while (p + 4 <= jpeg.length && (jpeg[p] & 0xff) == 0xff) {
            int marker = jpeg[p + 1] & 0xff;
            if (marker == 0xff) {
                p++;
                continue;
            }
            if (marker == 0xda || marker == 0xd9) {
                break;
            }
            int len = ((jpeg[p + 2] & 0xff) << 8) | (jpeg[p + 3] & 0xff);
            boolean sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
            if (sof && p + 10 <= jpeg.length) {
                components = jpeg[p + 9] & 0xff;
            } else if (marker == 0xee && len >= 12 && p + 16 <= jpeg.length && jpeg[p + 4] == 'A'
                    && jpeg[p + 5] == 'd' && jpeg[p + 6] == 'o' && jpeg[p + 7] == 'b' && jpeg[p + 8] == 'e') {
                adobe = jpeg[p + 15] & 0xff;
            }
            p += 2 + len;
        }
        return components == 4 ? adobe : NOT_CMYK;
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
