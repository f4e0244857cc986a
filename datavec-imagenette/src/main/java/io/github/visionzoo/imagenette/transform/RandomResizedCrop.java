package io.github.visionzoo.imagenette.transform;

import java.util.Random;

/**
 * torchvision's {@code RandomResizedCrop}: a crop of random area (default 8 % to 100 % of the image) and random aspect
 * ratio (default 3/4 to 4/3, drawn log-uniformly), resized to {@code size x size} with antialiased bilinear
 * interpolation.
 *
 * <p>Follows torchvision's {@code get_params}: up to 10 tries of (area, log-ratio) draws, rounding with Python's
 * round-half-to-even, accepting the first crop that fits; otherwise the fallback crop is the centred largest crop whose
 * ratio is clamped into the range. Departs only in the random generator ({@link Random}, not torch's), so the same seed
 * gives different crops than PyTorch, from the same distribution.
 */
public final class RandomResizedCrop implements Transform {
    private final int size;
    private final double scaleMin;
    private final double scaleMax;
    private final double ratioMin;
    private final double ratioMax;

    /** Scale (0.08, 1) and ratio (3/4, 4/3), torchvision's defaults. */
    public RandomResizedCrop(int size) {
        this(size, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0);
    }

    public RandomResizedCrop(int size, double scaleMin, double scaleMax, double ratioMin, double ratioMax) {
        if (size < 1) {
            throw new IllegalArgumentException("Output size must be positive, was " + size);
        }
        if (!(scaleMin > 0 && scaleMin <= scaleMax) || !(ratioMin > 0 && ratioMin <= ratioMax)) {
            throw new IllegalArgumentException("Need 0 < scaleMin <= scaleMax and 0 < ratioMin <= ratioMax, was scale ("
                    + scaleMin + ", " + scaleMax + ") ratio (" + ratioMin + ", " + ratioMax + ")");
        }
        this.size = size;
        this.scaleMin = scaleMin;
        this.scaleMax = scaleMax;
        this.ratioMin = ratioMin;
        this.ratioMax = ratioMax;
    }

    /**
     * The crop for an image of {@code width x height}, as {top, left, h, w}; always inside the image.
     */
    public int[] params(int width, int height, Random random) {
        double area = (double) width * height;
        double logMin = Math.log(ratioMin);
        double logMax = Math.log(ratioMax);
        for (int attempt = 0; attempt < 10; attempt++) {
            double targetArea = area * (scaleMin + (scaleMax - scaleMin) * random.nextDouble());
            double aspect = Math.exp(logMin + (logMax - logMin) * random.nextDouble());
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (0 < w && w <= width && 0 < h && h <= height) {
                int i = random.nextInt(height - h + 1);
                int j = random.nextInt(width - w + 1);
                return new int[] {i, j, h, w};
            }
        }
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < ratioMin) {
            w = width;
            h = (int) Math.rint(w / ratioMin);
        } else if (inRatio > ratioMax) {
            h = height;
            w = (int) Math.rint(h * ratioMax);
        } else {
            w = width;
            h = height;
        }
        int i = (height - h) / 2;
        int j = (width - w) / 2;
        return new int[] {i, j, h, w};
    }

    @Override
    public FloatImage apply(FloatImage image, Random random) {
        return crop(image, params(image.width(), image.height(), random));
    }

    /** The crop {@code box} ({top, left, h, w}, as {@link #params}) resized to {@code size x size}. */
    public FloatImage crop(FloatImage image, int[] box) {
        return Resampler.resize(image, box[1], box[0], box[3], box[2], size, size);
    }

    @Override
    public String toString() {
        return "RandomResizedCrop(" + size + ", scale=(" + scaleMin + ", " + scaleMax + "), ratio=(" + ratioMin + ", "
                + ratioMax + "))";
    }
}
