package io.github.visionzoo.imagenette;

import io.github.visionzoo.imagenette.transform.Transform;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * An image folder of classes ({@link ImageFolder}: Imagenette or any other) as a {@link DataSetIterator}: features
 * {@code [b, 3, S, S]} float (NCHW, normalized), labels one-hot {@code [b, numClasses]}, decoded and augmented on a
 * pool of threads with a few batches prefetched, so one iterator keeps a trainer fed.
 *
 * <p><b>Determinism.</b> The epoch's order is a shuffle seeded from (seed, epoch) and each image's augmentation is
 * seeded from (seed, epoch, image index), see {@link Seeds}; the same images, seed and epoch give bit-identical
 * batches whatever the thread count, prefetch depth or timing.
 *
 * <p><b>Epochs.</b> The iterator starts at epoch {@link Builder#startEpoch(int) startEpoch} (default 0).
 * {@link #reset()} starts the next epoch if a batch of the current one was returned, and is a no-op otherwise, so
 * both "reset before each epoch" and "reset after each epoch" loops advance one epoch at a time. {@link #setEpoch}
 * and {@link #setPosition} jump to an epoch (and batch) to resume a run exactly; the iterator is {@link EpochAware},
 * so visionzoo's trainer positions it before each epoch.
 *
 * <p><b>Bad files.</b> A file that cannot be decoded is skipped with one warning naming it and counted in
 * {@link #stats()}; its batch is one image shorter. If a whole epoch yields no readable image, {@link #hasNext()} throws
 * {@link IllegalStateException}.
 *
 * <p><b>Threads and memory.</b> Each image is one task on a pool of {@link Builder#threads(int) threads} (default:
 * all processors; on a CPU trainer, leave some to ND4J), writing straight into its batch's off-heap feature array;
 * {@link Builder#prefetchBatches(int) prefetchBatches} batches are in flight, each {@code 4 * b * 3 * S * S} bytes
 * (38 MB for 64 x 224 x 224).
 *
 * <p>Follows PyTorch's {@code DataLoader} with a {@code RandomSampler} (or sequential sampler without shuffle) and
 * {@code drop_last=False} by default. {@link #asyncSupported()} is {@code false}: the iterator prefetches on its own
 * threads, so DL4J should not wrap it in a second {@code AsyncDataSetIterator}. Not thread-safe: one consumer thread.
 * Call {@link #close()} to stop its threads early (they are daemon threads and idle when not loading).
 */
public final class ImagenetteIterator implements DataSetIterator, EpochAware, AutoCloseable {
    private static final long serialVersionUID = 1L;

    private final transient ImageFolder dataset;
    private final transient ImageBatcher batcher;
    private final transient EpochBatches epochs;
    private final int imageSize;
    private final int batchSize;
    private final long seed;
    private final boolean dropLast;
    private DataSetPreProcessor preProcessor;
    private boolean epochStarted;

    private ImagenetteIterator(Builder b, ImageFolder dataset, Transform transform) {
        this.dataset = dataset;
        this.imageSize = b.imageSize();
        this.batchSize = b.batchSize();
        this.seed = b.seed();
        this.dropLast = b.dropLast;
        this.batcher = new ImageBatcher(transform, imageSize, dataset.classes());
        this.epochs = new EpochBatches(dataset, batcher, batchSize, dropLast, seed, b.shuffles(dataset.split()),
                b.threads, b.prefetchBatches, b.startEpoch);
    }

    /** A builder reading the image folder under {@code root}. */
    public static Builder builder(Path root) {
        return new Builder(root, null);
    }

    /** A builder over an opened (possibly subset) data set. */
    public static Builder builder(ImageFolder dataset) {
        return new Builder(null, dataset);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // DataSetIterator

    @Override
    public boolean hasNext() {
        return epochs.hasNext();
    }

    @Override
    public DataSet next() {
        DataSet ds = epochs.next().dataSet();
        epochStarted = true;
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    /**
     * Only the configured batch size is supported.
     *
     * @throws UnsupportedOperationException if {@code num != batch()}
     */
    @Override
    public DataSet next(int num) {
        if (num != batchSize) {
            throw new UnsupportedOperationException("ImagenetteIterator prefetches batches of " + batchSize
                    + "; next(" + num + ") is not supported, build an iterator with batchSize(" + num + ")");
        }
        return next();
    }

    @Override
    public int inputColumns() {
        return 3 * imageSize * imageSize;
    }

    @Override
    public int totalOutcomes() {
        return dataset.numClasses();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    /** {@code false}: batches are already prefetched on this iterator's own threads. */
    @Override
    public boolean asyncSupported() {
        return false;
    }

    /** Starts the next epoch if a batch of the current one was returned; otherwise does nothing. */
    @Override
    public void reset() {
        if (epochStarted) {
            setEpoch(epochs.epoch() + 1);
        }
    }

    @Override
    public int batch() {
        return batchSize;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    /** The class folders of the label columns (WordNet ids for Imagenette). */
    @Override
    public List<String> getLabels() {
        return dataset.classes();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Epochs and resuming

    /** The current epoch (0-based). */
    public int epoch() {
        return epochs.epoch();
    }

    /** Batches of the current epoch already returned by {@link #next()}. */
    public int batchesReturned() {
        return epochs.batchesTaken();
    }

    /** Rewinds to the start of {@code epoch}. */
    @Override
    public void setEpoch(int epoch) {
        setPosition(epoch, 0);
    }

    /**
     * Jumps to batch {@code batch} of {@code epoch} without loading the batches before it; together with the seed
     * this resumes an interrupted run exactly.
     */
    public void setPosition(int epoch, int batch) {
        epochs.seek(epoch, batch);
        epochStarted = batch > 0;
    }

    /** The seed given to the builder. */
    public long seed() {
        return seed;
    }

    /** Seed of the shuffle of {@code epoch}, as {@link Seeds#order(long, int)}. */
    public long orderSeed(int epoch) {
        return Seeds.order(seed, epoch);
    }

    /** Indices into {@link ImageFolder#samples()} in the order of the current epoch. */
    public int[] epochOrder() {
        return epochs.order();
    }

    /** Batches per epoch. */
    public int numBatches() {
        return epochs.numBatches();
    }

    /** {@link #numBatches()}, for the trainer. */
    @Override
    public int batchesPerEpoch() {
        return numBatches();
    }

    /** Images per epoch (before skipping unreadable ones, after dropping the last partial batch if asked). */
    public int numExamples() {
        return dropLast ? numBatches() * batchSize : dataset.size();
    }

    public ImageFolder dataset() {
        return dataset;
    }

    public int imageSize() {
        return imageSize;
    }

    /** Images read and skipped so far. */
    public ReaderStats stats() {
        return batcher.stats();
    }

    /**
     * Stops the loader threads; the iterator restarts them if used again, and then loads the batches that were in
     * flight once more, so the epoch goes on where it stopped.
     */
    @Override
    public void close() {
        epochs.close();
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Options of {@link ImagenetteIterator} and {@link ImagenetteRecordReader}. Defaults: split train, preset
     * {@code study} for train and {@code eval} for val, image size 224, batch 64, seed 42, threads = available
     * processors, 3 batches prefetched, no label noise, shuffle for train only, last partial batch kept, all classes,
     * epoch 0.
     */
    public static final class Builder extends ImagenetteOptions<Builder> {
        private final Path root;
        private final ImageFolder dataset;
        private Transform transform;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int prefetchBatches = 3;
        private LabelNoise noise = LabelNoise.NONE;
        private boolean dropLast;
        private List<String> classes;
        private int limitPerClass;
        private int startEpoch;

        Builder(Path root, ImageFolder dataset) {
            this.root = root;
            this.dataset = dataset;
            if (dataset != null) {
                split(dataset.split());
            }
        }

        /** A custom pipeline instead of a preset; it must output {@code imageSize x imageSize} images. */
        public Builder transform(Transform transform) {
            this.transform = transform;
            return this;
        }

        /** Loader threads; 0 loads on the consumer's thread. */
        public Builder threads(int threads) {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must be >= 0, was " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** Batches loaded ahead (iterator), or images ahead divided by the thread count (record reader). */
        public Builder prefetchBatches(int prefetch) {
            if (prefetch < 1) {
                throw new IllegalArgumentException("prefetchBatches must be >= 1, was " + prefetch);
            }
            this.prefetchBatches = prefetch;
            return this;
        }

        /** Training-label noise, from {@code noisy_imagenette.csv}. */
        public Builder labelNoise(LabelNoise noise) {
            this.noise = noise;
            return this;
        }

        /** Training-label noise in percent: 0, 1, 5, 25 or 50. */
        public Builder labelNoise(int percent) {
            return labelNoise(LabelNoise.ofPercent(percent));
        }

        /** Drop the last partial batch of each epoch. */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Only these classes (class folders: WordNet ids for Imagenette), with labels re-indexed in sorted order. */
        public Builder classes(String... names) {
            return classes(Arrays.asList(names));
        }

        /** Only these classes (class folders: WordNet ids for Imagenette), with labels re-indexed in sorted order. */
        public Builder classes(Collection<String> names) {
            this.classes = List.copyOf(names);
            return this;
        }

        /** At most {@code n} images per class (the first in file order). */
        public Builder limitPerClass(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("limitPerClass must be >= 1, was " + n);
            }
            this.limitPerClass = n;
            return this;
        }

        /** The epoch to start at (for resuming). */
        public Builder startEpoch(int epoch) {
            if (epoch < 0) {
                throw new IllegalArgumentException("startEpoch must be >= 0, was " + epoch);
            }
            this.startEpoch = epoch;
            return this;
        }

        /** Opens the data set and builds the iterator. */
        public ImagenetteIterator build() {
            return new ImagenetteIterator(this, resolveDataset(), resolveTransform());
        }

        /** Builds a record reader with these options (batch size and drop-last do not apply). */
        public ImagenetteRecordReader buildRecordReader() {
            return new ImagenetteRecordReader(this, root == null && dataset == null ? null : resolveDataset(),
                    resolveTransform());
        }

        ImageFolder resolveDataset() {
            return resolveDataset(root, split());
        }

        ImageFolder resolveDataset(Path root, Split split) {
            ImageFolder d;
            if (root != null) {
                d = noise == LabelNoise.NONE ? ImageFolder.open(root, split) : Imagenette.open(root, split, noise);
            } else if (dataset != null) {
                d = dataset;
            } else {
                throw new IllegalStateException("No data set root");
            }
            if (classes != null) {
                d = d.selectClasses(classes);
            }
            if (limitPerClass > 0) {
                d = d.limitPerClass(limitPerClass);
            }
            return d;
        }

        Transform resolveTransform() {
            if (transform != null) {
                return transform;
            }
            return augmentation().transform(imageSize());
        }

        int threads() {
            return threads;
        }

        int prefetchBatches() {
            return prefetchBatches;
        }

        int startEpoch() {
            return startEpoch;
        }
    }
}
