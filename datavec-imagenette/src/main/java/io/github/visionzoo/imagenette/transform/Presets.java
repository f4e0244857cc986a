package io.github.visionzoo.imagenette.transform;

import java.util.ArrayList;
import java.util.List;

/**
 * The named pipelines, each ending in a {@code size x size} ImageNet-normalized image.
 *
 * <ul>
 *   <li>{@value #ALEXNET_PAPER}: the AlexNet paper's training augmentation (Krizhevsky et al. 2012, section 4.1):
 *   shorter side to {@link #alexnetResize(int) R}, centre R x R crop, random {@code size x size} crop, horizontal
 *   flip with p = 0.5, PCA lighting noise with alphastd 0.1, normalize. R is 256 for {@code size} 224 and 227 (the
 *   paper's 224 crop of 256, and the 227 crop of the Caffe reference), otherwise {@code floor(size / 0.875)}. Departs
 *   from the paper in normalizing with ImageNet's per-channel mean/std rather than subtracting the mean image, and in
 *   resizing with antialiased bilinear filtering (the paper does not name its filter).</li>
 *   <li>{@value #STUDY}: the reference study's training augmentation, torchvision's ImageNet recipe:
 *   {@link RandomResizedCrop}(size) with scale (0.08, 1) and ratio (3/4, 4/3), horizontal flip with p = 0.5,
 *   normalize.</li>
 *   <li>{@value #EVAL}: torchvision's evaluation transform: shorter side to {@code floor(size / 0.875)} (256 for 224),
 *   centre {@code size x size} crop, normalize. Deterministic.</li>
 * </ul>
 * {@link Augmentation} changes their parameters (crop scale and ratio, flip probability, colour jitter, lighting, the
 * evaluation crop ratio). Colour jitter goes after the geometric steps and before lighting and normalization (the
 * order of fb.resnet.torch); evaluation takes none.
 */
public final class Presets {

    /** The AlexNet paper's training augmentation. */
    public static final String ALEXNET_PAPER = "alexnet-paper";
    /** The reference study's training augmentation (RandomResizedCrop + flip + normalize). */
    public static final String STUDY = "study";
    /** Resize + centre crop + normalize, for validation and test. */
    public static final String EVAL = "eval";

    private static final List<String> NAMES = List.of(ALEXNET_PAPER, STUDY, EVAL);

    private Presets() {
    }

    /** The known preset names. */
    public static List<String> names() {
        return NAMES;
    }

    /**
     * The preset {@code name} with its own values and output size {@code size}; {@link Augmentation} changes them.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones) or a size below 1
     */
    public static Transform byName(String name, int size) {
        return Augmentation.of(name).transform(size);
    }

    /** The pipeline of {@code a}'s preset with its values (see {@link Augmentation#transform}). */
    static Transform build(Augmentation a, int size) {
        checkSize(size);
        if (a.preset().equals(EVAL)) {
            return eval(size, a.evalCropPct());
        }
        List<Transform> t = new ArrayList<>();
        if (a.preset().equals(ALEXNET_PAPER)) {
            int r = alexnetResize(size);
            t.add(Resize.shortSide(r));
            t.add(new CenterCrop(r));
            t.add(new RandomCrop(size));
        } else {
            t.add(new RandomResizedCrop(size, a.scaleMin(), a.scaleMax(), a.ratioMin(), a.ratioMax()));
        }
        if (a.hflip() > 0) {
            t.add(new RandomHorizontalFlip(a.hflip()));
        }
        if (a.colorJitter() != null) {
            t.add(a.colorJitter());
        }
        if (a.lighting() > 0) {
            t.add(new Lighting(a.lighting()));
        }
        t.add(new Normalize());
        return Transform.compose(t);
    }

    /** The {@value #EVAL} preset. */
    public static Transform eval(int size) {
        return eval(size, Augmentation.EVAL_CROP_PCT);
    }

    /** The {@value #EVAL} preset with crop ratio {@code cropPct}: resize to {@link #evalResize(int, double)}. */
    public static Transform eval(int size, double cropPct) {
        checkSize(size);
        return Transform.compose(Resize.shortSide(evalResize(size, cropPct)), new CenterCrop(size), new Normalize());
    }

    /** Shorter side before the centre crop in {@value #EVAL}: {@code floor(size / 0.875)}, 256 for 224. */
    public static int evalResize(int size) {
        return evalResize(size, Augmentation.EVAL_CROP_PCT);
    }

    /** Shorter side before the centre crop of {@code size}: {@code floor(size / cropPct)}, as timm's crop_pct. */
    public static int evalResize(int size, double cropPct) {
        return (int) Math.floor(size / cropPct);
    }

    /** Side of the square the {@value #ALEXNET_PAPER} preset crops from: 256 for 224 and 227, else as eval. */
    public static int alexnetResize(int size) {
        return size == 224 || size == 227 ? 256 : evalResize(size);
    }

    private static void checkSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("Output size must be positive, was " + size);
        }
    }
}
