package io.github.visionzoo.imagenette.transform;

/**
 * The resampling filters of {@link Resampler}: Pillow's, as torchvision's {@code InterpolationMode} names them. Both
 * are antialiased when shrinking (Pillow's filters always are).
 */
public enum Interpolation {
    /** The triangle filter, support 1: torchvision's default. */
    BILINEAR(1.0),
    /**
     * Pillow's cubic convolution with a = -0.5, support 2: timm's default and torchvision's for its SWAG weights. It
     * overshoots near edges; as Pillow, which stores 8-bit pixels, each pass clamps to [0, 1].
     */
    BICUBIC(2.0);

    private final double support;

    Interpolation(double support) {
        this.support = support;
    }

    /** Half the filter's width, in input pixels at scale 1. */
    double support() {
        return support;
    }

    /** The filter's weight at distance {@code x}, Pillow's {@code bilinear_filter} and {@code bicubic_filter}. */
    double weight(double x) {
        double t = Math.abs(x);
        if (this == BILINEAR) {
            return t < 1.0 ? 1.0 - t : 0.0;
        }
        final double a = -0.5;
        if (t < 1.0) {
            return ((a + 2.0) * t - (a + 3.0)) * t * t + 1;
        }
        if (t < 2.0) {
            return (((t - 5) * t + 8) * t - 4) * a;
        }
        return 0.0;
    }

    /** Whether the filter has negative lobes, so that results leave [0, 1] unless clamped. */
    boolean overshoots() {
        return this == BICUBIC;
    }
}
