package io.github.visionzoo.imagenette.transform;

import java.io.Serializable;
import java.util.Locale;

/**
 * A preset of {@link Presets} with the parameters users tune, as timm's arguments: RandomResizedCrop's scale and ratio,
 * the flip probability, colour jitter, PCA lighting noise and the evaluation crop ratio. {@link #of} gives a preset's
 * own values, the withers change one each; {@link #transform} builds the pipeline. Serializable, so that it travels to
 * Spark executors, where the pipeline is built.
 *
 * <p>The presets' values: {@value Presets#STUDY} scale (0.08, 1), ratio (3/4, 4/3), flip 0.5, no jitter, no lighting;
 * {@value Presets#ALEXNET_PAPER} flip 0.5, no jitter, lighting 0.1 (it crops a fixed size, so takes no scale or
 * ratio); {@value Presets#EVAL} is deterministic (no flip, jitter or lighting). All: evaluation crop ratio 0.875, so
 * evaluation resizes the shorter side to {@code floor(size / 0.875)} (256 for 224) and crops the centre, as
 * torchvision's recipe and timm's {@code crop_pct}.
 *
 * @param preset      {@value Presets#ALEXNET_PAPER}, {@value Presets#STUDY} or {@value Presets#EVAL}
 * @param scaleMin    RandomResizedCrop's smallest crop area as a fraction of the image's ({@code study})
 * @param scaleMax    its largest, {@code scaleMin <= scaleMax <= 1}
 * @param ratioMin    its smallest aspect ratio w / h, &gt; 0
 * @param ratioMax    its largest, &gt;= ratioMin
 * @param hflip       the probability of a horizontal flip, in [0, 1]
 * @param colorJitter colour jitter after the geometric steps, or {@code null} for none
 * @param lighting    the PCA lighting noise's alphastd ({@link Lighting}), &gt;= 0; 0 for none
 * @param evalCropPct the evaluation transform's crop as a fraction of its resize, in (0, 1]
 */
public record Augmentation(String preset, double scaleMin, double scaleMax, double ratioMin, double ratioMax,
                           double hflip, ColorJitter colorJitter, double lighting, double evalCropPct)
        implements Serializable {

    /** torchvision's and timm's evaluation crop ratio: 224 of 256. */
    public static final double EVAL_CROP_PCT = 0.875;
    private static final double SCALE_MIN = 0.08;
    private static final double RATIO_MIN = 3.0 / 4.0;
    private static final double RATIO_MAX = 4.0 / 3.0;

    public Augmentation {
        preset = preset == null ? "" : preset.trim().toLowerCase(Locale.ROOT);
        if (!Presets.names().contains(preset)) {
            throw new IllegalArgumentException("Unknown augmentation preset '" + preset + "'; known presets: "
                    + String.join(", ", Presets.names()));
        }
        boolean study = preset.equals(Presets.STUDY);
        if (!study && (scaleMin != SCALE_MIN || scaleMax != 1 || ratioMin != RATIO_MIN || ratioMax != RATIO_MAX)) {
            throw new IllegalArgumentException("Crop scale and ratio apply to the '" + Presets.STUDY + "' preset's"
                    + " RandomResizedCrop only, not to '" + preset + "'");
        }
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1)) {
            throw new IllegalArgumentException("Crop scale must satisfy 0 < min <= max <= 1, was (" + scaleMin + ", "
                    + scaleMax + ")");
        }
        if (!(ratioMin > 0 && ratioMin <= ratioMax) || Double.isInfinite(ratioMax)) {
            throw new IllegalArgumentException("Crop ratio must satisfy 0 < min <= max, was (" + ratioMin + ", "
                    + ratioMax + ")");
        }
        if (!(hflip >= 0 && hflip <= 1)) {
            throw new IllegalArgumentException("Flip probability must be in [0, 1], was " + hflip);
        }
        if (!(lighting >= 0) || Double.isInfinite(lighting)) {
            throw new IllegalArgumentException("Lighting alphastd must be >= 0, was " + lighting);
        }
        if (preset.equals(Presets.EVAL) && (hflip != 0 || colorJitter != null || lighting != 0)) {
            throw new IllegalArgumentException("The '" + Presets.EVAL + "' preset is deterministic: it takes no flip,"
                    + " colour jitter or lighting");
        }
        if (!(evalCropPct > 0 && evalCropPct <= 1)) {
            throw new IllegalArgumentException("Evaluation crop ratio must be in (0, 1], e.g. 0.875; was "
                    + evalCropPct);
        }
    }

    /** The preset {@code name} (case and surrounding spaces ignored) with its own values. */
    public static Augmentation of(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        boolean training = !n.equals(Presets.EVAL);
        return new Augmentation(n, SCALE_MIN, 1, RATIO_MIN, RATIO_MAX, training ? 0.5 : 0, null,
                n.equals(Presets.ALEXNET_PAPER) ? 0.1 : 0, EVAL_CROP_PCT);
    }

    /** RandomResizedCrop's range of crop areas, as fractions of the image's ({@value Presets#STUDY} only). */
    public Augmentation withScale(double min, double max) {
        return new Augmentation(preset, min, max, ratioMin, ratioMax, hflip, colorJitter, lighting, evalCropPct);
    }

    /** RandomResizedCrop's range of aspect ratios w / h ({@value Presets#STUDY} only). */
    public Augmentation withRatio(double min, double max) {
        return new Augmentation(preset, scaleMin, scaleMax, min, max, hflip, colorJitter, lighting, evalCropPct);
    }

    public Augmentation withHflip(double p) {
        return new Augmentation(preset, scaleMin, scaleMax, ratioMin, ratioMax, p, colorJitter, lighting, evalCropPct);
    }

    /** Colour jitter after the geometric steps; {@code null} for none. */
    public Augmentation withColorJitter(ColorJitter jitter) {
        return new Augmentation(preset, scaleMin, scaleMax, ratioMin, ratioMax, hflip, jitter, lighting, evalCropPct);
    }

    /** PCA lighting noise with this alphastd before normalization; 0 for none. */
    public Augmentation withLighting(double alphaStd) {
        return new Augmentation(preset, scaleMin, scaleMax, ratioMin, ratioMax, hflip, colorJitter, alphaStd,
                evalCropPct);
    }

    public Augmentation withEvalCropPct(double pct) {
        return new Augmentation(preset, scaleMin, scaleMax, ratioMin, ratioMax, hflip, colorJitter, lighting, pct);
    }

    /** The {@value Presets#EVAL} preset with this evaluation crop ratio: what validation and prediction apply. */
    public Augmentation evaluation() {
        return of(Presets.EVAL).withEvalCropPct(evalCropPct);
    }

    /** The pipeline, ending in a {@code size x size} ImageNet-normalized image. */
    public Transform transform(int size) {
        return Presets.build(this, size);
    }
}
