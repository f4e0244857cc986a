package io.github.visionzoo.zoo.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A recipe's data augmentation: a preset of the data pipeline and the parameters users tune, as timm's arguments. A
 * parameter left out (null) keeps the preset's value. JSON: the preset's name, {@code "study"}, or an object:
 *
 * <pre>{"preset": "study", "scale": [0.35, 1], "ratio": [0.75, 1.333], "hflip": 0.5, "colorJitter": 0.4,
 *  "lighting": 0.1, "evalCropPct": 0.875}</pre>
 *
 * Presets and their values (datavec-imagenette's {@code Presets} and {@code Augmentation} build the pipelines):
 * {@code study} (torchvision's ImageNet recipe: RandomResizedCrop scale [0.08, 1], ratio [3/4, 4/3], flip 0.5, no
 * jitter, no lighting), {@code alexnet-paper} (resize, centre crop, random crop of a fixed size, flip 0.5, lighting
 * 0.1; it takes no scale or ratio), {@code eval} (resize and centre crop, deterministic: no flip, jitter or
 * lighting). Evaluation, validation and prediction use the {@code eval} pipeline with the recipe's
 * {@code evalCropPct}. Written back in the form read: the name alone when no parameter is given.
 *
 * @param preset      {@code study}, {@code alexnet-paper} or {@code eval} (case and surrounding spaces ignored)
 * @param scale       RandomResizedCrop's [min, max] crop area as a fraction of the image's, 0 &lt; min &lt;= max
 *                    &lt;= 1; {@code study} only
 * @param ratio       its [min, max] aspect ratio w / h, 0 &lt; min &lt;= max; {@code study} only
 * @param hflip       the probability of a horizontal flip, in [0, 1]
 * @param colorJitter brightness, contrast, saturation and hue jitter as torchvision's {@code ColorJitter} (timm's
 *                    {@code color_jitter}): a number b for (b, b, b, 0), or [b, c, s] or [b, c, s, h]; each &gt;= 0,
 *                    h &lt;= 0.5
 * @param lighting    the alphastd of the AlexNet paper's PCA lighting noise, &gt;= 0 (0: none)
 * @param evalCropPct evaluation resizes the shorter side to {@code floor(size / evalCropPct)} and crops the centre
 *                    {@code size x size}, as timm's {@code crop_pct}: in (0, 1], torchvision's 0.875 (256 for 224)
 */
public record AugmentationSpec(String preset, List<Double> scale, List<Double> ratio, Double hflip, Jitter colorJitter,
                               Double lighting, Double evalCropPct) {

    public static final String STUDY = "study";
    public static final String ALEXNET_PAPER = "alexnet-paper";
    public static final String EVAL = "eval";
    /** The presets a recipe may name, datavec-imagenette's {@code Presets.names()}. */
    public static final List<String> PRESETS = List.of(ALEXNET_PAPER, STUDY, EVAL);
    private static final String FIELD = "TrainingRecipe.augmentation.";

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public AugmentationSpec {
        preset = preset == null ? null : preset.trim().toLowerCase(Locale.ROOT);
        if (preset == null || !PRESETS.contains(preset)) {
            throw new IllegalArgumentException(FIELD + "preset must be one of " + PRESETS + ", was "
                    + (preset == null ? "missing" : "'" + preset + "'"));
        }
        scale = range("scale", scale, 1);
        ratio = range("ratio", ratio, Double.MAX_VALUE);
        if (!preset.equals(STUDY) && (scale != null || ratio != null)) {
            throw new IllegalArgumentException(FIELD + (scale != null ? "scale" : "ratio") + " applies to preset "
                    + STUDY + " (RandomResizedCrop) only; " + preset + " takes none");
        }
        if (hflip != null && !(hflip >= 0 && hflip <= 1)) {
            throw new IllegalArgumentException(FIELD + "hflip must be a probability in [0, 1], was " + hflip);
        }
        if (lighting != null && (!(lighting >= 0) || lighting.isInfinite())) {
            throw new IllegalArgumentException(FIELD + "lighting must be an alphastd >= 0, e.g. 0.1; was " + lighting);
        }
        if (preset.equals(EVAL) && (hflip != null || colorJitter != null || lighting != null)) {
            throw new IllegalArgumentException(FIELD + (hflip != null ? "hflip" : colorJitter != null ? "colorJitter"
                    : "lighting") + " applies to the training presets only; " + EVAL + " is deterministic");
        }
        if (evalCropPct != null && !(evalCropPct > 0 && evalCropPct <= 1)) {
            throw new IllegalArgumentException(FIELD + "evalCropPct must be in (0, 1], e.g. 0.875 (resize 256, crop"
                    + " 224); was " + evalCropPct);
        }
    }

    /** The preset {@code name} with its own values: the string form, {@code "augmentation": "study"}. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static AugmentationSpec of(String name) {
        return new AugmentationSpec(name, null, null, null, null, null, null);
    }

    /** The name alone when no parameter is given, else an object of the preset and the parameters given. */
    @JsonValue
    Object toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("preset", preset);
        put(m, "scale", scale);
        put(m, "ratio", ratio);
        put(m, "hflip", hflip);
        put(m, "colorJitter", colorJitter);
        put(m, "lighting", lighting);
        put(m, "evalCropPct", evalCropPct);
        return m.size() == 1 ? preset : m;
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    private static List<Double> range(String field, List<Double> r, double max) {
        if (r == null) {
            return null;
        }
        if (r.size() != 2 || r.contains(null) || !(r.get(0) > 0 && r.get(0) <= r.get(1) && r.get(1) <= max)) {
            throw new IllegalArgumentException(FIELD + field + " must be [min, max] with 0 < min <= max"
                    + (max == 1 ? " <= 1 (fractions of the image's area)" : "") + ", e.g. "
                    + (max == 1 ? "[0.35, 1]" : "[0.75, 1.333]") + "; was " + r);
        }
        return List.copyOf(r);
    }

    /**
     * Colour jitter factors, torchvision's {@code ColorJitter(brightness, contrast, saturation, hue)}: each adjustment
     * draws its factor from {@code [max(0, 1 - v), 1 + v]}, the hue its shift from {@code [-h, h]}.
     */
    public record Jitter(double brightness, double contrast, double saturation, double hue) {
        public Jitter {
            if (!(brightness >= 0 && contrast >= 0 && saturation >= 0 && hue >= 0 && hue <= 0.5)
                    || Double.isInfinite(brightness + contrast + saturation)) {
                throw new IllegalArgumentException(FIELD + "colorJitter needs brightness, contrast, saturation >= 0"
                        + " and 0 <= hue <= 0.5; was " + List.of(brightness, contrast, saturation, hue));
            }
        }

        /** A number b, timm's {@code color_jitter} (brightness, contrast and saturation b, no hue), or a list. */
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static Jitter of(JsonNode json) {
            if (json.isNumber()) {
                double b = json.doubleValue();
                return new Jitter(b, b, b, 0);
            }
            if (json.isArray() && (json.size() == 3 || json.size() == 4)) {
                double[] v = new double[4];
                boolean numbers = true;
                for (int i = 0; i < json.size(); i++) {
                    numbers &= json.get(i).isNumber();
                    v[i] = json.get(i).doubleValue();
                }
                if (numbers) {
                    return new Jitter(v[0], v[1], v[2], v[3]);
                }
            }
            throw new IllegalArgumentException(FIELD + "colorJitter must be a number (brightness, contrast and"
                    + " saturation) or [brightness, contrast, saturation] or [brightness, contrast, saturation, hue],"
                    + " e.g. 0.4; was " + json);
        }

        @JsonValue
        Object toJson() {
            return brightness == contrast && contrast == saturation && hue == 0 ? (Object) brightness
                    : List.of(brightness, contrast, saturation, hue);
        }
    }
}
