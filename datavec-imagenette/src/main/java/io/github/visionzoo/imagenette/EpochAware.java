package io.github.visionzoo.imagenette;

/**
 * An iterator whose data order is a function of its seed and the epoch, so that a resumed run sees the same batches
 * as an uninterrupted one. visionzoo's {@code Trainer} calls {@code reset()} and then {@link #setEpoch(int)} before
 * each epoch; iterators that do not implement this interface are only reset, and a resumed run then sees a different
 * order. {@link ImagenetteIterator} implements it, so it resumes exactly when given to the trainer directly; this
 * module holds the interface because the trainer's module depends on it, not the other way round.
 */
public interface EpochAware {
    /**
     * Fixes the order of the coming pass to that of epoch {@code epoch} (0-based): called after {@code reset()} and
     * before the pass's first {@code next()}.
     */
    void setEpoch(int epoch);

    /**
     * Batches in one epoch, or -1 when unknown; the trainer then counts them with one pass over the data (it needs the
     * count for schedules given in epochs and for the ETA).
     */
    default int batchesPerEpoch() {
        return -1;
    }
}
