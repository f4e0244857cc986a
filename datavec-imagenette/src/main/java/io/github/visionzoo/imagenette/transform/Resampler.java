package io.github.visionzoo.imagenette.transform;

/**
 * Separable resampling with Pillow's bilinear (default) or bicubic filter ({@link Interpolation}), as torchvision uses
 * for PIL images ({@code InterpolationMode.BILINEAR} or {@code BICUBIC}, which for PIL are always antialiased).
 *
 * <p>Follows Pillow's {@code ImagingResample}: per output pixel, the filter is stretched by the scale factor
 * when downscaling (so downscaling averages over the source footprint instead of aliasing), its support is clipped to
 * the input and the weights are renormalized; horizontal pass first, then vertical, each pass skipped when its size does
 * not change. Departs from Pillow in working on floats without rounding to 8 bits between and after the passes, so
 * results differ from torchvision-on-PIL by less than one 8-bit step.
 */
public final class Resampler {

    private Resampler() {
    }

    /** Resizes the whole image to {@code outW x outH}, bilinear. */
    public static FloatImage resize(FloatImage src, int outW, int outH) {
        return resize(src, 0, 0, src.width(), src.height(), outW, outH, Interpolation.BILINEAR);
    }

    /** Resizes the whole image to {@code outW x outH} with {@code filter}. */
    public static FloatImage resize(FloatImage src, int outW, int outH, Interpolation filter) {
        return resize(src, 0, 0, src.width(), src.height(), outW, outH, filter);
    }

    /** {@link #resize(FloatImage, int, int, int, int, int, int, Interpolation)}, bilinear. */
    public static FloatImage resize(FloatImage src, int left, int top, int w, int h, int outW, int outH) {
        return resize(src, left, top, w, h, outW, outH, Interpolation.BILINEAR);
    }

    /**
     * Crops the rectangle ({@code left, top, w, h}), which must lie inside the image, and resizes it to
     * {@code outW x outH}, in one pass; equal to cropping then resizing (the filter never reads outside the crop).
     */
    public static FloatImage resize(FloatImage src, int left, int top, int w, int h, int outW, int outH,
                                    Interpolation filter) {
        if (left < 0 || top < 0 || w < 1 || h < 1 || left + w > src.width() || top + h > src.height()) {
            throw new IllegalArgumentException("Crop (left " + left + ", top " + top + ", " + w + "x" + h
                    + ") is not inside the " + src.width() + "x" + src.height() + " image");
        }
        if (outW < 1 || outH < 1) {
            throw new IllegalArgumentException("Output size must be positive, was " + outW + "x" + outH);
        }
        if (w == outW && h == outH) {
            return crop(src, top, left, h, w);
        }
        final int srcW = src.width();
        final int srcPlane = srcW * src.height();

        Coeffs cv = h == outH ? null : Coeffs.of(filter, h, outH);
        int yFirst = cv == null ? 0 : cv.start[0];
        int yLast = cv == null ? h : cv.start[outH - 1] + cv.count[outH - 1];
        int rows = yLast - yFirst;

        // Horizontal pass: rows [yFirst, yLast) of the crop, to width outW. Without one, read the source in place.
        float[] mid;
        int midBase;
        int midRowStride;
        int midPlane;
        if (w != outW) {
            Coeffs ch = Coeffs.of(filter, w, outW);
            mid = new float[3 * rows * outW];
            midBase = 0;
            midRowStride = outW;
            midPlane = rows * outW;
            if (src.isByteBacked()) {
                src.resampleRowsFromBytes(top + yFirst, rows, left, outW, ch.start, ch.count, ch.k, ch.ksize, mid);
            } else {
                float[] in = src.data();
                int ks = ch.ksize;
                for (int r = 0; r < rows; r++) {
                    int srcRow = (top + yFirst + r) * srcW + left;
                    int dst = r * outW;
                    for (int xx = 0; xx < outW; xx++) {
                        int s0 = srcRow + ch.start[xx];
                        int kb = xx * ks;
                        int n = ch.count[xx];
                        float ar = 0f;
                        float ag = 0f;
                        float ab = 0f;
                        for (int k = 0; k < n; k++) {
                            float wk = ch.k[kb + k];
                            ar += wk * in[s0 + k];
                            ag += wk * in[srcPlane + s0 + k];
                            ab += wk * in[2 * srcPlane + s0 + k];
                        }
                        mid[dst + xx] = ar;
                        mid[midPlane + dst + xx] = ag;
                        mid[2 * midPlane + dst + xx] = ab;
                    }
                }
            }
            if (filter.overshoots()) {
                clamp(mid);
            }
        } else {
            mid = src.data();
            midBase = (top + yFirst) * srcW + left;
            midRowStride = srcW;
            midPlane = srcPlane;
        }

        float[] out = new float[3 * outW * outH];
        int outPlane = outW * outH;
        if (cv == null) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < outH; y++) {
                    System.arraycopy(mid, c * midPlane + midBase + y * midRowStride, out, c * outPlane + y * outW,
                            outW);
                }
            }
            return new FloatImage(outW, outH, out);
        }
        int ks = cv.ksize;
        for (int c = 0; c < 3; c++) {
            int inPlane = c * midPlane + midBase;
            for (int yy = 0; yy < outH; yy++) {
                int dst = c * outPlane + yy * outW;
                int n = cv.count[yy];
                int r0 = cv.start[yy] - yFirst;
                for (int k = 0; k < n; k++) {
                    float wgt = cv.k[yy * ks + k];
                    int row = inPlane + (r0 + k) * midRowStride;
                    if (k == 0) {
                        for (int x = 0; x < outW; x++) {
                            out[dst + x] = wgt * mid[row + x];
                        }
                    } else {
                        for (int x = 0; x < outW; x++) {
                            out[dst + x] += wgt * mid[row + x];
                        }
                    }
                }
            }
        }
        if (filter.overshoots()) {
            clamp(out);
        }
        return new FloatImage(outW, outH, out);
    }

    /** Pillow's 8-bit storage clips every pass's result to the pixel range. */
    private static void clamp(float[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.min(1f, Math.max(0f, values[i]));
        }
    }

    /**
     * Copies the rectangle of height {@code h} and width {@code w} at ({@code top}, {@code left}); the part outside
     * the image is black (0), as torchvision's {@code crop} pads.
     */
    public static FloatImage crop(FloatImage src, int top, int left, int h, int w) {
        float[] out = new float[3 * w * h];
        int sw = src.width();
        int sh = src.height();
        int x0 = Math.max(0, left);
        int x1 = Math.min(sw, left + w);
        if (x1 > x0) {
            float[] in = src.data();
            for (int c = 0; c < 3; c++) {
                for (int y = Math.max(0, top); y < Math.min(sh, top + h); y++) {
                    System.arraycopy(in, c * sw * sh + y * sw + x0, out, c * w * h + (y - top) * w + (x0 - left),
                            x1 - x0);
                }
            }
        }
        return new FloatImage(w, h, out);
    }

    /** Pillow's {@code precompute_coeffs} for one filter. */
    static final class Coeffs {
        final int ksize;
        final int[] start;
        final int[] count;
        final float[] k;

        private Coeffs(int ksize, int outSize) {
            this.ksize = ksize;
            this.start = new int[outSize];
            this.count = new int[outSize];
            this.k = new float[ksize * outSize];
        }

        static Coeffs of(Interpolation filter, int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterscale = Math.max(scale, 1.0);
            double support = filter.support() * filterscale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            Coeffs c = new Coeffs(ksize, outSize);
            double ss = 1.0 / filterscale;
            double[] w = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                double ww = 0;
                for (int x = 0; x < xmax; x++) {
                    w[x] = filter.weight((x + xmin - center + 0.5) * ss);
                    ww += w[x];
                }
                for (int x = 0; x < xmax; x++) {
                    c.k[xx * ksize + x] = (float) (ww != 0 ? w[x] / ww : w[x]);
                }
                c.start[xx] = xmin;
                c.count[xx] = xmax;
            }
            return c;
        }
    }
}
