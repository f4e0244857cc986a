package io.github.visionzoo.examples.cli;

import io.github.visionzoo.imagenette.ImageFolder;
import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.ImagenetteLayoutException;
import io.github.visionzoo.imagenette.Split;
import io.github.visionzoo.imagenette.transform.Augmentation;
import io.github.visionzoo.imagenette.transform.ColorJitter;
import io.github.visionzoo.imagenette.transform.Presets;
import io.github.visionzoo.zoo.train.AugmentationSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The commands' data: an image folder of the user's classes (Imagenette or any other, {@link ImageFolder}), or
 * the embedded synthetic set written once into a run directory, as the trainer's iterators.
 */
public final class ImagenetteData {
    /** Folder of the synthetic set inside a run directory. */
    public static final String SYNTHETIC_FOLDER = "synthetic-imagenette";

    private ImagenetteData() {
    }

    /**
     * The data root: {@code data} when given (it must exist), else the synthetic set in {@code runDir}, written on
     * first use.
     */
    public static Path root(Path data, Path runDir) throws IOException {
        if (data != null) {
            if (!Files.isDirectory(data)) {
                throw new IllegalArgumentException("--data " + data + " is not a folder; give an image folder "
                        + "(ROOT/train/<class>/*.jpg, ROOT/val/<class>/*.jpg, such as Imagenette), or leave --data out"
                        + " to train on the synthetic set");
            }
            return data;
        }
        Path synthetic = runDir.resolve(SYNTHETIC_FOLDER);
        if (!Files.isDirectory(synthetic)) {
            System.out.println("no --data given: writing the synthetic Imagenette (drawn shapes, not photos) to "
                    + synthetic);
        }
        return SynthCommand.DataDefaults.synthetic(SynthCommand.DataDefaults.TRAIN_PER_CLASS,
                SynthCommand.DataDefaults.VAL_PER_CLASS, SynthCommand.DataDefaults.SYNTH_SIZE, 0).ensure(synthetic);
    }

    /**
     * Opens both splits of {@code root} as the training iterators will, which refuses a folder that is no image
     * folder of classes or a split without images, and refuses splits whose class folders differ, which would give
     * one class two label indices. {@code train} and {@code spark-train} call it on {@code --data} before they lock,
     * and so make, the run directory: a wrong folder leaves no run directory behind.
     */
    public static void checkSplits(Path root) {
        List<String> train = ImageFolder.open(root, Split.TRAIN).classes();
        List<String> val = ImageFolder.open(root, Split.VAL).classes();
        if (!train.equals(val)) {
            throw new ImagenetteLayoutException("--data " + root + ": the train split's class folders " + train
                    + " are not the val split's " + val + "; give both splits the same class folders");
        }
    }

    /**
     * The data root that {@code runDir}'s {@link RunRecord} names, for {@code --resume} without {@code --data}. The
     * synthetic set is written again when it is gone: the same parameters give the same images.
     *
     * @param recorded the run directory's record, null when it has none
     * @throws IllegalArgumentException when there is no record, or the folder it names is gone
     */
    public static String recordedRoot(Path runDir, RunRecord recorded) throws IOException {
        if (recorded == null) {
            throw new IllegalArgumentException(runDir + " has no " + RunRecord.FILE + " that records the run's data;"
                    + " give --data with the image folder the run trained on");
        }
        if (recorded.synthetic()) {
            return root(null, runDir).toString();
        }
        if (!RunRecord.isUri(recorded.data()) && !Files.isDirectory(Path.of(recorded.data()))) {
            throw new IllegalArgumentException("the run in " + runDir + " trained on " + recorded.data()
                    + ", which is not a folder any more; give --data with where that data is now");
        }
        return recorded.data();
    }

    /** Training batches with a recipe's augmentation; {@code classes} limits the set (null for all). */
    public static ImagenetteIterator train(Path root, AugmentationSpec augmentation, int imageSize, int batch,
                                           long seed, List<String> classes) {
        return builder(root, classes).split("train").augmentation(augmentation(augmentation)).imageSize(imageSize)
                .batchSize(batch).seed(seed).build();
    }

    /**
     * Validation batches with the evaluation transform of a recipe's augmentation ({@link #evaluation}; null:
     * torchvision's, resize to size / 0.875 and crop the centre).
     */
    public static ImagenetteIterator val(Path root, AugmentationSpec augmentation, int imageSize, int batch,
                                         List<String> classes) {
        return builder(root, classes).split("val").augmentation(evaluation(augmentation)).imageSize(imageSize)
                .batchSize(batch).build();
    }

    /**
     * The data pipeline's augmentation of a recipe's: its preset with the parameters the recipe sets. The two live in
     * modules that do not know each other ({@code zoo}'s recipe, {@code datavec-imagenette}'s pipeline), so the
     * commands, which use both, join them here.
     */
    public static Augmentation augmentation(AugmentationSpec spec) {
        Augmentation a = Augmentation.of(spec.preset());
        if (spec.scale() != null) {
            a = a.withScale(spec.scale().get(0), spec.scale().get(1));
        }
        if (spec.ratio() != null) {
            a = a.withRatio(spec.ratio().get(0), spec.ratio().get(1));
        }
        if (spec.hflip() != null) {
            a = a.withHflip(spec.hflip());
        }
        AugmentationSpec.Jitter j = spec.colorJitter();
        if (j != null && j.brightness() + j.contrast() + j.saturation() + j.hue() > 0) {
            a = a.withColorJitter(new ColorJitter(j.brightness(), j.contrast(), j.saturation(), j.hue()));
        }
        if (spec.lighting() != null) {
            a = a.withLighting(spec.lighting());
        }
        if (spec.evalCropPct() != null) {
            a = a.withEvalCropPct(spec.evalCropPct());
        }
        return a;
    }

    /**
     * What evaluation, validation and prediction apply for a recipe's augmentation: the {@code eval} preset with its
     * {@code evalCropPct}; torchvision's for {@code null} (a checkpoint without a recipe, such as an import).
     */
    public static Augmentation evaluation(AugmentationSpec spec) {
        return spec == null ? Augmentation.of(Presets.EVAL) : augmentation(spec).evaluation();
    }

    private static ImagenetteIterator.Builder builder(Path root, List<String> classes) {
        ImagenetteIterator.Builder b = ImagenetteIterator.builder(root)
                .threads(Math.max(1, Runtime.getRuntime().availableProcessors()));
        return classes == null ? b : b.classes(classes);
    }
}
