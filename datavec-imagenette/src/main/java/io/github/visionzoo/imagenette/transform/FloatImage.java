package io.github.visionzoo.imagenette.transform;

import java.awt.image.BufferedImage;
import java.util.Arrays;

/**
 * A 3-channel RGB image as floats, planar and row-major: {@code data[c * H * W + y * W + x]}, the layout of one
 * {@code [3, H, W]} slice of an NCHW tensor. Decoded images hold values in [0, 1] (8-bit value / 255, as
 * torchvision's {@code ToTensor}); after {@link Normalize} they are standardized.
 *
 * <p>The array is exposed and mutable: transforms may work in place on an image they own.
 *
 * <p>A decoded image can also be a view of the decoder's 8-bit interleaved pixels ({@link #ofBytes}), converted to
 * floats the first time {@link #data()} is called. The resampling steps ({@link Resampler}, so
 * {@link RandomResizedCrop} and {@link Resize}) read such an image's bytes directly, which spares converting the
 * parts of the image a crop drops; the values are the same either way. Not thread-safe.
 */
public final class FloatImage {
    /** 8-bit value to [0, 1]: {@code v / 255f}. */
    static final float[] TO_UNIT = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            TO_UNIT[i] = i / 255f;
        }
    }

    private final int width;
    private final int height;
    private float[] data;
    // The 8-bit source of a byte-backed image, until converted.
    private byte[] bytes;
    private int byteBase;
    private int pixelStride;
    private int scanline;
    private int offR;
    private int offG;
    private int offB;

    /** A black image. */
    public FloatImage(int width, int height) {
        this(width, height, new float[3 * checkedArea(width, height)]);
    }

    /**
     * Wraps planar RGB data of length {@code 3 * width * height} (not copied).
     */
    public FloatImage(int width, int height, float[] data) {
        if (data.length != 3L * checkedArea(width, height)) {
            throw new IllegalArgumentException("Data of length " + data.length + " for a 3x" + height + "x" + width
                    + " image");
        }
        this.width = width;
        this.height = height;
        this.data = data;
    }

    private FloatImage(int width, int height, byte[] bytes, int base, int pixelStride, int scanline, int offR,
                       int offG, int offB) {
        checkedArea(width, height);
        long last = base + (long) (height - 1) * scanline + (long) (width - 1) * pixelStride
                + Math.max(offR, Math.max(offG, offB));
        if (base < 0 || pixelStride < 1 || scanline < width * pixelStride || last >= bytes.length
                || Math.min(offR, Math.min(offG, offB)) < 0) {
            throw new IllegalArgumentException("Byte layout does not fit the " + width + "x" + height + " image");
        }
        this.width = width;
        this.height = height;
        this.bytes = bytes;
        this.byteBase = base;
        this.pixelStride = pixelStride;
        this.scanline = scanline;
        this.offR = offR;
        this.offG = offG;
        this.offB = offB;
    }

    /**
     * A view of 8-bit interleaved pixels (not copied): the red value of pixel (x, y) is
     * {@code bytes[base + y * scanline + x * pixelStride + offR]}, and so on; grey images give the same offset three
     * times. Values are read as {@code v / 255}.
     */
    public static FloatImage ofBytes(int width, int height, byte[] bytes, int base, int pixelStride, int scanline,
                                     int offR, int offG, int offB) {
        return new FloatImage(width, height, bytes, base, pixelStride, scanline, offR, offG, offB);
    }

    /** Whether the image is still a view of 8-bit pixels (see {@link #ofBytes}). */
    public boolean isByteBacked() {
        return data == null;
    }

    private void materialize() {
        int n = width * height;
        float[] d = new float[3 * n];
        for (int y = 0; y < height; y++) {
            int row = byteBase + y * scanline;
            int dst = y * width;
            for (int x = 0, p = row; x < width; x++, p += pixelStride) {
                d[dst + x] = TO_UNIT[bytes[p + offR] & 0xff];
                d[n + dst + x] = TO_UNIT[bytes[p + offG] & 0xff];
                d[2 * n + dst + x] = TO_UNIT[bytes[p + offB] & 0xff];
            }
        }
        data = d;
        bytes = null;
    }

    /**
     * Horizontal resampling pass straight from the bytes: for rows {@code y0 .. y0 + rows - 1} and output column
     * {@code xx}, {@code sum_k k[xx * ks + k] * pixel(x0 + start[xx] + k)}; channel c written to
     * {@code out[c * rows * outW + r * outW + xx]}. Same arithmetic, in the same order, as the float path.
     */
    void resampleRowsFromBytes(int y0, int rows, int x0, int outW, int[] start, int[] count, float[] k, int ks,
                               float[] out) {
        byte[] b = bytes;
        int plane = rows * outW;
        for (int r = 0; r < rows; r++) {
            int rowBase = byteBase + (y0 + r) * scanline;
            int dst = r * outW;
            for (int xx = 0; xx < outW; xx++) {
                int p = rowBase + (x0 + start[xx]) * pixelStride;
                int kb = xx * ks;
                int n = count[xx];
                float ar = 0f;
                float ag = 0f;
                float ab = 0f;
                for (int j = 0; j < n; j++, p += pixelStride) {
                    float w = k[kb + j];
                    ar += w * TO_UNIT[b[p + offR] & 0xff];
                    ag += w * TO_UNIT[b[p + offG] & 0xff];
                    ab += w * TO_UNIT[b[p + offB] & 0xff];
                }
                out[dst + xx] = ar;
                out[plane + dst + xx] = ag;
                out[2 * plane + dst + xx] = ab;
            }
        }
    }

    private static int checkedArea(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("Image size must be positive, was " + width + "x" + height);
        }
        long a = (long) width * height;
        if (3 * a > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Image too large: " + width + "x" + height);
        }
        return (int) a;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The backing array, planar RGB (converting a byte-backed image first). */
    public float[] data() {
        if (data == null) {
            materialize();
        }
        return data;
    }

    /** Offset of channel {@code c} in {@link #data()}. */
    public int plane(int c) {
        return c * width * height;
    }

    public float get(int c, int y, int x) {
        if (data == null) {
            int off = c == 0 ? offR : (c == 1 ? offG : offB);
            return TO_UNIT[bytes[byteBase + y * scanline + x * pixelStride + off] & 0xff];
        }
        return data[c * width * height + y * width + x];
    }

    public void set(int c, int y, int x, float v) {
        data()[c * width * height + y * width + x] = v;
    }

    /** A deep copy (always float-backed). */
    public FloatImage copy() {
        return new FloatImage(width, height, data().clone());
    }

    /** Converts an 8-bit RGB view (values in [0, 1] mapped to 0..255, rounded and clamped); for tests and debugging. */
    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int n = width * height;
        float[] data = data();
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = y * width + x;
                row[x] = to8(data[i]) << 16 | to8(data[n + i]) << 8 | to8(data[2 * n + i]);
            }
            img.setRGB(0, y, width, 1, row, 0, width);
        }
        return img;
    }

    private static int to8(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255f)));
    }

    /** Per-channel mean. */
    public double[] channelMeans() {
        int n = width * height;
        float[] data = data();
        double[] m = new double[3];
        for (int c = 0; c < 3; c++) {
            double s = 0;
            for (int i = c * n; i < (c + 1) * n; i++) {
                s += data[i];
            }
            m[c] = s / n;
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloatImage && ((FloatImage) o).width == width && ((FloatImage) o).height == height
                && Arrays.equals(((FloatImage) o).data(), data());
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(data());
    }

    @Override
    public String toString() {
        return "FloatImage[3x" + height + "x" + width + "]";
    }
}
