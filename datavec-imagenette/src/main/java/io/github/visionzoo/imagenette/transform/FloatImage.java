package io.github.visionzoo.imagenette.transform;

import java.awt.image.BufferedImage;
import java.util.Arrays;

/**
 * A 3-channel RGB image as floats, planar and row-major: {@code data[c * H * W + y * W + x]}, the layout of one
 * {@code [3, H, W]} slice of an NCHW tensor. Decoded images hold values in [0, 1] (8-bit value / 255, as
 * torchvision's {@code ToTensor}); after {@link Normalize} they are standardized.
 *
 * <p>The array is exposed and mutable: transforms may work in place on an image they own.
 */
public final class FloatImage {
    private final int width;
    private final int height;
    private final float[] data;

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

    /** The backing array, planar RGB. */
    public float[] data() {
        return data;
    }

    /** Offset of channel {@code c} in {@link #data()}. */
    public int plane(int c) {
        return c * width * height;
    }

    public float get(int c, int y, int x) {
        return data[c * width * height + y * width + x];
    }

    public void set(int c, int y, int x, float v) {
        data[c * width * height + y * width + x] = v;
    }

    /** A deep copy. */
    public FloatImage copy() {
        return new FloatImage(width, height, data.clone());
    }

    /** Converts an 8-bit RGB view (values in [0, 1] mapped to 0..255, rounded and clamped); for tests and debugging. */
    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int n = width * height;
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
                && Arrays.equals(((FloatImage) o).data, data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "FloatImage[3x" + height + "x" + width + "]";
    }
}
