package io.github.visionzoo.imagenette.transform;

import java.util.Random;

/**
 * Crops the centre, as torchvision's {@code CenterCrop}: top = {@code round((H - h) / 2)}, left =
 * {@code round((W - w) / 2)} with round-half-to-even; where the crop is larger than the image on a side, the image is
 * padded with black on that side, {@code floor((h - H) / 2)} before it (torchvision's padding, then its crop).
 */
public final class CenterCrop implements Transform {
    private final int width;
    private final int height;

    /** A square crop. */
    public CenterCrop(int size) {
        this(size, size);
    }

    public CenterCrop(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("Crop size must be positive, was " + width + "x" + height);
        }
        this.width = width;
        this.height = height;
    }

    /** The crop's {top, left} in an image of {@code w x h}. */
    public int[] offsets(int w, int h) {
        return new int[] {offset(h, height), offset(w, width)};
    }

    private static int offset(int size, int crop) {
        return crop > size ? -((crop - size) / 2) : (int) Math.rint((size - crop) / 2.0);
    }

    @Override
    public FloatImage apply(FloatImage image, Random random) {
        if (image.width() == width && image.height() == height) {
            return image;
        }
        int[] o = offsets(image.width(), image.height());
        return Resampler.crop(image, o[0], o[1], height, width);
    }

    @Override
    public String toString() {
        return "CenterCrop(" + width + "x" + height + ")";
    }
}
