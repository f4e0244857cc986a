package io.github.visionzoo.imagenette.transform;

import java.util.Random;

/**
 * Per-channel standardization {@code (x - mean[c]) / std[c]}, as torchvision's {@code Normalize}; in place. The
 * default is ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225) for RGB in [0, 1].
 *
 * <p>The AlexNet paper instead subtracted the mean image of the training set; all presets here use this per-channel
 * normalization, as torchvision's AlexNet does.
 */
public final class Normalize implements Transform {

    /** ImageNet RGB mean, for pixels in [0, 1]. */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    /** ImageNet RGB standard deviation, for pixels in [0, 1]. */
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    private final float[] mean;
    private final float[] std;

    /** ImageNet mean and std. */
    public Normalize() {
        this(IMAGENET_MEAN, IMAGENET_STD);
    }

    public Normalize(float[] mean, float[] std) {
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("Need 3 means and 3 stds");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be > 0, was " + s);
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    @Override
    public FloatImage apply(FloatImage image, Random random) {
        float[] d = image.data();
        int n = image.width() * image.height();
        for (int c = 0; c < 3; c++) {
            float m = mean[c];
            float inv = 1f / std[c];
            for (int i = c * n, e = (c + 1) * n; i < e; i++) {
                d[i] = (d[i] - m) * inv;
            }
        }
        return image;
    }

    @Override
    public String toString() {
        return "Normalize(mean=" + java.util.Arrays.toString(mean) + ", std=" + java.util.Arrays.toString(std) + ")";
    }
}
