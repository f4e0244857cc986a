package io.github.visionzoo.imagenette.transform;

import java.util.Random;

/**
 * Mirrors the image left-right with probability {@code p} (default 0.5), as torchvision's {@code RandomHorizontalFlip}
 * and the AlexNet paper's "horizontal reflections". Works in place.
 */
public final class RandomHorizontalFlip implements Transform {
    private final double p;

    public RandomHorizontalFlip() {
        this(0.5);
    }

    public RandomHorizontalFlip(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Flip probability must be in [0, 1], was " + p);
        }
        this.p = p;
    }

    @Override
    public FloatImage apply(FloatImage image, Random random) {
        if (random.nextDouble() < p) {
            flip(image);
        }
        return image;
    }

    /** Mirrors {@code image} left-right in place. */
    public static FloatImage flip(FloatImage image) {
        float[] d = image.data();
        int w = image.width();
        int rows = 3 * image.height();
        for (int r = 0; r < rows; r++) {
            int a = r * w;
            int b = a + w - 1;
            while (a < b) {
                float t = d[a];
                d[a++] = d[b];
                d[b--] = t;
            }
        }
        return image;
    }

    @Override
    public String toString() {
        return "RandomHorizontalFlip(" + p + ")";
    }
}
