package io.github.visionzoo.imagenette.transform;

import java.util.Random;

/**
 * Resizes with an antialiased filter of {@link Resampler}, bilinear unless told otherwise.
 *
 * <p>{@link #shortSide(int)} follows torchvision's {@code Resize(int)}: the shorter side becomes {@code size} and the
 * longer {@code int(size * long / short)} (truncated), keeping the aspect ratio; an image already at that size is
 * returned unchanged.
 */
public final class Resize implements Transform {
    private final int shortSide;
    private final int width;
    private final int height;
    private final Interpolation filter;

    private Resize(int shortSide, int width, int height, Interpolation filter) {
        this.shortSide = shortSide;
        this.width = width;
        this.height = height;
        this.filter = java.util.Objects.requireNonNull(filter, "filter");
    }

    /** Resize so that the shorter side is {@code size}, as torchvision's {@code Resize(size)}. */
    public static Resize shortSide(int size) {
        return shortSide(size, Interpolation.BILINEAR);
    }

    /** Resize so that the shorter side is {@code size}, as {@code Resize(size, interpolation=filter)}. */
    public static Resize shortSide(int size, Interpolation filter) {
        if (size < 1) {
            throw new IllegalArgumentException("Resize size must be positive, was " + size);
        }
        return new Resize(size, 0, 0, filter);
    }

    /** Resize to exactly {@code width x height}, as torchvision's {@code Resize((height, width))}. */
    public static Resize to(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("Resize size must be positive, was " + width + "x" + height);
        }
        return new Resize(0, width, height, Interpolation.BILINEAR);
    }

    /** The output {width, height} for an input of {@code w x h}. */
    public int[] outputSize(int w, int h) {
        if (shortSide == 0) {
            return new int[] {width, height};
        }
        if (w <= h) {
            return new int[] {shortSide, (int) ((long) shortSide * h / (double) w)};
        }
        return new int[] {(int) ((long) shortSide * w / (double) h), shortSide};
    }

    @Override
    public FloatImage apply(FloatImage image, Random random) {
        int[] s = outputSize(image.width(), image.height());
        if (s[0] == image.width() && s[1] == image.height()) {
            return image;
        }
        return Resampler.resize(image, s[0], s[1], filter);
    }

    @Override
    public String toString() {
        String f = filter == Interpolation.BILINEAR ? "" : ", " + filter.name().toLowerCase(java.util.Locale.ROOT);
        return (shortSide > 0 ? "Resize(shortSide=" + shortSide : "Resize(" + width + "x" + height) + f + ")";
    }
}
