package io.github.visionzoo.imagenette.transform;

import java.io.Serializable;
import java.util.Random;

/**
 * Random brightness, contrast, saturation and hue, as torchvision's {@code ColorJitter} on tensors in [0, 1]: the four
 * adjustments in a random order, factors uniform in {@code [max(0, 1 - b), 1 + b]} (hue shift in {@code [-h, h]},
 * {@code h <= 0.5}), each result clamped to [0, 1]. Brightness scales, contrast blends with the mean grey level of the
 * image, saturation blends with each pixel's grey level (ITU-R 601 luma weights 0.299, 0.587, 0.114), hue rotates
 * in HSV. A parameter of 0 disables that adjustment. Apply before {@link Lighting} and {@link Normalize}.
 */
public final class ColorJitter implements Transform, Serializable {
    private static final long serialVersionUID = 1L;

    private final double brightness;
    private final double contrast;
    private final double saturation;
    private final double hue;

    public ColorJitter(double brightness, double contrast, double saturation, double hue) {
        if (brightness < 0 || contrast < 0 || saturation < 0 || hue < 0 || hue > 0.5) {
            throw new IllegalArgumentException("Need brightness, contrast, saturation >= 0 and 0 <= hue <= 0.5");
        }
        this.brightness = brightness;
        this.contrast = contrast;
        this.saturation = saturation;
        this.hue = hue;
    }

    @Override
    public FloatImage apply(FloatImage image, Random random) {
        int[] order = {0, 1, 2, 3};
        for (int i = 3; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double b = brightness > 0 ? uniform(random, Math.max(0, 1 - brightness), 1 + brightness) : -1;
        double c = contrast > 0 ? uniform(random, Math.max(0, 1 - contrast), 1 + contrast) : -1;
        double s = saturation > 0 ? uniform(random, Math.max(0, 1 - saturation), 1 + saturation) : -1;
        double h = hue > 0 ? uniform(random, -hue, hue) : Double.NaN;
        for (int op : order) {
            switch (op) {
                case 0:
                    if (b >= 0) {
                        brightness(image, (float) b);
                    }
                    break;
                case 1:
                    if (c >= 0) {
                        contrast(image, (float) c);
                    }
                    break;
                case 2:
                    if (s >= 0) {
                        saturation(image, (float) s);
                    }
                    break;
                default:
                    if (!Double.isNaN(h)) {
                        hue(image, (float) h);
                    }
            }
        }
        return image;
    }

    private static double uniform(Random r, double a, double b) {
        return a + (b - a) * r.nextDouble();
    }

    private static float clamp(float v) {
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }

    static void brightness(FloatImage img, float f) {
        float[] d = img.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = clamp(d[i] * f);
        }
    }

    static void contrast(FloatImage img, float f) {
        float[] d = img.data();
        int n = img.width() * img.height();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 0.299f * d[i] + 0.587f * d[n + i] + 0.114f * d[2 * n + i];
        }
        float mean = (float) (sum / n);
        for (int i = 0; i < d.length; i++) {
            d[i] = clamp(f * d[i] + (1 - f) * mean);
        }
    }

    static void saturation(FloatImage img, float f) {
        float[] d = img.data();
        int n = img.width() * img.height();
        for (int i = 0; i < n; i++) {
            float g = 0.299f * d[i] + 0.587f * d[n + i] + 0.114f * d[2 * n + i];
            d[i] = clamp(f * d[i] + (1 - f) * g);
            d[n + i] = clamp(f * d[n + i] + (1 - f) * g);
            d[2 * n + i] = clamp(f * d[2 * n + i] + (1 - f) * g);
        }
    }

    static void hue(FloatImage img, float shift) {
        float[] d = img.data();
        int n = img.width() * img.height();
        for (int i = 0; i < n; i++) {
            float r = d[i];
            float g = d[n + i];
            float b = d[2 * n + i];
            float max = Math.max(r, Math.max(g, b));
            float min = Math.min(r, Math.min(g, b));
            float delta = max - min;
            if (delta == 0f) {
                continue; // grey: hue has no effect
            }
            float h;
            if (max == r) {
                h = ((g - b) / delta) / 6f;
            } else if (max == g) {
                h = ((b - r) / delta + 2f) / 6f;
            } else {
                h = ((r - g) / delta + 4f) / 6f;
            }
            h += shift;
            h -= (float) Math.floor(h);
            float s = delta / max;
            float v = max;
            float h6 = h * 6f;
            int sector = Math.min(5, (int) h6);
            float fr = h6 - sector;
            float p = v * (1 - s);
            float q = v * (1 - s * fr);
            float t = v * (1 - s * (1 - fr));
            switch (sector) {
                case 0: r = v; g = t; b = p; break;
                case 1: r = q; g = v; b = p; break;
                case 2: r = p; g = v; b = t; break;
                case 3: r = p; g = q; b = v; break;
                case 4: r = t; g = p; b = v; break;
                default: r = v; g = p; b = q; break;
            }
            d[i] = clamp(r);
            d[n + i] = clamp(g);
            d[2 * n + i] = clamp(b);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ColorJitter j && j.brightness == brightness && j.contrast == contrast
                && j.saturation == saturation && j.hue == hue;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(brightness, contrast, saturation, hue);
    }

    @Override
    public String toString() {
        return "ColorJitter(brightness=" + brightness + ", contrast=" + contrast + ", saturation=" + saturation
                + ", hue=" + hue + ")";
    }
}
