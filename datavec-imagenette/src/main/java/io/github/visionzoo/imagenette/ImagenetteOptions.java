package io.github.visionzoo.imagenette;

import io.github.visionzoo.imagenette.transform.Augmentation;
import io.github.visionzoo.imagenette.transform.Presets;
import java.util.Objects;

/**
 * The options every Imagenette source takes, with their defaults: split {@code train}, the augmentation preset
 * {@code study} for train and {@code eval} for val with their own values ({@link Augmentation}), image size 224,
 * batch 64, seed 42, and shuffling for train only (PyTorch's {@code DataLoader} with a {@code RandomSampler} for
 * training). The base of
 * {@link ImagenetteIterator.Builder} (which {@link ImagenetteRecordReader} shares) and of the Spark source's builder,
 * so both read a data set the same way.
 *
 * @param <B> the builder itself, which each setter returns
 */
public abstract class ImagenetteOptions<B extends ImagenetteOptions<B>> {
    private Split split = Split.TRAIN;
    private Augmentation augmentation;
    private int imageSize = 224;
    private int batchSize = 64;
    private long seed = 42;
    private Boolean shuffle;

    /** For the builders of this module's sources. */
    protected ImagenetteOptions() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Which split (a builder over an opened data set starts at that one's). */
    public B split(Split split) {
        this.split = Objects.requireNonNull(split, "split");
        return self();
    }

    /** Which split, {@code train} or {@code val}. */
    public B split(String split) {
        return split(Split.parse(split));
    }

    /** An augmentation preset of {@link Presets}, {@code alexnet-paper}, {@code study} or {@code eval}, as it is. */
    public B preset(String name) {
        return augmentation(Augmentation.of(name));
    }

    /** A preset with the parameters given, e.g. {@code Augmentation.of("study").withScale(0.35, 1)}. */
    public B augmentation(Augmentation augmentation) {
        this.augmentation = Objects.requireNonNull(augmentation, "augmentation");
        return self();
    }

    /** Output side S, e.g. 64, 96, 224, 227. */
    public B imageSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("imageSize must be >= 1, was " + size);
        }
        this.imageSize = size;
        return self();
    }

    public B batchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
        }
        this.batchSize = batchSize;
        return self();
    }

    /** Seed of the shuffles and augmentations. */
    public B seed(long seed) {
        this.seed = seed;
        return self();
    }

    /** Shuffle each epoch (default: train yes, val no). */
    public B shuffle(boolean shuffle) {
        this.shuffle = shuffle;
        return self();
    }

    public Split split() {
        return split;
    }

    /** The augmentation given, else the {@code study} preset for the train split and {@code eval} for val. */
    public Augmentation augmentation() {
        return augmentation != null ? augmentation : Augmentation.of(split == Split.TRAIN ? Presets.STUDY
                : Presets.EVAL);
    }

    public int imageSize() {
        return imageSize;
    }

    public int batchSize() {
        return batchSize;
    }

    public long seed() {
        return seed;
    }

    /** Whether epochs of split {@code of} are shuffled: as set, else for the train split only. */
    public boolean shuffles(Split of) {
        return shuffle != null ? shuffle : of == Split.TRAIN;
    }
}
