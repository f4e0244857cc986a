package io.github.visionzoo.imagenette;

import io.github.visionzoo.imagenette.transform.FloatImage;
import io.github.visionzoo.imagenette.transform.Transform;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Imagenette as a {@link DataSetIterator}: features {@code [b, 3, S, S]} float (NCHW, normalized), labels one-hot
 * {@code [b, numClasses]}, decoded and augmented on a pool of threads with a few batches prefetched, so one iterator
 * keeps a trainer fed.
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

    private final transient ImagenetteDataset dataset;
    private final transient ImageLoader loader;
    private final int imageSize;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final boolean dropLast;
    private final int threads;
    private final int prefetch;
    private DataSetPreProcessor preProcessor;

    private transient ExecutorService pool;
    private int epoch;
    private boolean epochStarted;
    private transient int[] order;
    private int numBatches;
    private int nextToSubmit;
    private int nextToTake;
    private transient ArrayDeque<BatchJob> inFlight = new ArrayDeque<>();
    private transient DataSet peeked;
    private long attemptedThisEpoch;
    private long loadedThisEpoch;

    private ImagenetteIterator(Builder b, ImagenetteDataset dataset, Transform transform) {
        this.dataset = dataset;
        this.imageSize = b.imageSize();
        this.batchSize = b.batchSize();
        this.seed = b.seed();
        this.shuffle = b.shuffles(dataset.split());
        this.dropLast = b.dropLast;
        this.threads = b.threads;
        this.prefetch = b.prefetchBatches;
        this.loader = new ImageLoader(transform, imageSize);
        this.epoch = b.startEpoch;
        restartEpoch();
    }

    /** A builder reading the data set under {@code root}. */
    public static Builder builder(Path root) {
        return new Builder(root, null);
    }

    /** A builder over an opened (possibly subset) data set. */
    public static Builder builder(ImagenetteDataset dataset) {
        return new Builder(null, dataset);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // DataSetIterator

    @Override
    public boolean hasNext() {
        while (peeked == null) {
            if (nextToTake >= numBatches) {
                if (attemptedThisEpoch > 0 && loadedThisEpoch == 0) {
                    throw new IllegalStateException("No readable image in " + dataset + ": all "
                            + attemptedThisEpoch + " images of epoch " + epoch + " failed to decode, e.g. "
                            + loader.stats().skippedFiles().entrySet().stream().limit(3).toList());
                }
                return false;
            }
            fill();
            BatchJob job = inFlight.poll();
            Result r = await(job);
            nextToTake++;
            attemptedThisEpoch += r.attempted;
            loadedThisEpoch += r.loaded;
            fill();
            peeked = r.dataSet;
        }
        return true;
    }

    @Override
    public DataSet next() {
        if (!hasNext()) {
            throw new NoSuchElementException("Epoch " + epoch + " is over; call reset() to start the next one");
        }
        DataSet ds = peeked;
        peeked = null;
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
        if (!epochStarted) {
            return;
        }
        epoch++;
        restartEpoch();
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

    /** The WordNet ids of the label columns. */
    @Override
    public List<String> getLabels() {
        return dataset.classes();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Epochs and resuming

    /** The current epoch (0-based). */
    public int epoch() {
        return epoch;
    }

    /** Batches of the current epoch already returned by {@link #next()}. */
    public int batchesReturned() {
        return nextToTake - (peeked != null ? 1 : 0);
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
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, was " + epoch);
        }
        this.epoch = epoch;
        restartEpoch();
        if (batch < 0 || batch > numBatches) {
            throw new IllegalArgumentException("batch must be in [0, " + numBatches + "], was " + batch);
        }
        nextToSubmit = batch;
        nextToTake = batch;
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

    /** Indices into {@link ImagenetteDataset#samples()} in the order of the current epoch. */
    public int[] epochOrder() {
        return order.clone();
    }

    /** Batches per epoch. */
    public int numBatches() {
        return numBatches;
    }

    /** {@link #numBatches()}, for the trainer. */
    @Override
    public int batchesPerEpoch() {
        return numBatches;
    }

    /** Images per epoch (before skipping unreadable ones, after dropping the last partial batch if asked). */
    public int numExamples() {
        return dropLast ? numBatches * batchSize : dataset.size();
    }

    public ImagenetteDataset dataset() {
        return dataset;
    }

    public int imageSize() {
        return imageSize;
    }

    /** Images read and skipped so far. */
    public ReaderStats stats() {
        return loader.stats();
    }

    /**
     * Stops the loader threads; the iterator restarts them if used again, and then loads the batches that were in
     * flight once more, so the epoch goes on where it stopped.
     */
    @Override
    public void close() {
        cancelInFlight();
        nextToSubmit = nextToTake; // the in-flight batches were the ones after those taken
        if (pool != null) {
            pool.shutdownNow();
            pool = null;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Loading

    private void restartEpoch() {
        cancelInFlight();
        peeked = null;
        epochStarted = false;
        order = Seeds.epochOrder(dataset.size(), seed, epoch, shuffle);
        int n = order.length;
        numBatches = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
        nextToSubmit = 0;
        nextToTake = 0;
        attemptedThisEpoch = 0;
        loadedThisEpoch = 0;
    }

    private void cancelInFlight() {
        for (BatchJob j : inFlight) {
            j.cancelled = true;
        }
        inFlight.clear();
    }

    private void fill() {
        while (inFlight.size() < prefetch && nextToSubmit < numBatches) {
            int from = nextToSubmit * batchSize;
            int to = Math.min(from + batchSize, order.length);
            BatchJob job = new BatchJob(Arrays.copyOfRange(order, from, to), epoch);
            nextToSubmit++;
            inFlight.add(job);
            job.start();
        }
    }

    private static Result await(BatchJob job) {
        try {
            return job.done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for a batch", e);
        } catch (ExecutionException | CompletionException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            if (c instanceof RuntimeException) {
                throw (RuntimeException) c;
            }
            if (c instanceof Error) {
                throw (Error) c;
            }
            throw new IllegalStateException("Loading a batch failed", c);
        }
    }

    private static final class Result {
        final DataSet dataSet;
        final int attempted;
        final int loaded;

        Result(DataSet dataSet, int attempted, int loaded) {
            this.dataSet = dataSet;
            this.attempted = attempted;
            this.loaded = loaded;
        }
    }

    /**
     * One batch: one task per image, each writing its image straight into the batch's off-heap feature array; the
     * last task to finish adds the labels (and drops the slots of unreadable images).
     */
    private final class BatchJob {
        final int[] positions;
        final int jobEpoch;
        final int stride = 3 * imageSize * imageSize;
        final INDArray features;
        final FloatBuffer featureBuffer;
        final boolean[] ok;
        final AtomicInteger remaining;
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final CompletableFuture<Result> done = new CompletableFuture<>();
        volatile boolean cancelled;

        BatchJob(int[] positions, int jobEpoch) {
            this.positions = positions;
            this.jobEpoch = jobEpoch;
            this.features = Nd4j.createUninitializedDetached(DataType.FLOAT, 'c', positions.length, 3, imageSize,
                    imageSize);
            this.featureBuffer = features.data().asNioFloat();
            this.ok = new boolean[positions.length];
            this.remaining = new AtomicInteger(positions.length);
        }

        void start() {
            if (threads > 0 && pool == null) {
                pool = ImageLoader.newPool(threads);
            }
            for (int k = 0; k < positions.length; k++) {
                final int slot = k;
                if (pool == null) {
                    loadImage(slot);
                } else {
                    pool.execute(() -> loadImage(slot));
                }
            }
        }

        private void loadImage(int k) {
            try {
                if (!cancelled && error.get() == null) {
                    Sample s = dataset.samples().get(positions[k]);
                    FloatImage img = loader.load(s, seed, jobEpoch);
                    if (img != null) {
                        // Absolute bulk put: no shared position, so threads can fill their slots concurrently.
                        featureBuffer.put(k * stride, img.data(), 0, stride);
                        ok[k] = true;
                    }
                }
            } catch (Throwable t) {
                error.compareAndSet(null, t);
            } finally {
                if (remaining.decrementAndGet() == 0) {
                    finish();
                }
            }
        }

        private void finish() {
            try {
                if (cancelled) {
                    done.cancel(false);
                    return;
                }
                if (error.get() != null) {
                    done.completeExceptionally(error.get());
                    return;
                }
                int n = 0;
                for (boolean b : ok) {
                    n += b ? 1 : 0;
                }
                if (n == 0) {
                    done.complete(new Result(null, positions.length, 0));
                    return;
                }
                INDArray x = features;
                if (n < positions.length) {
                    float[] f = new float[n * stride];
                    for (int k = 0, j = 0; k < positions.length; k++) {
                        if (ok[k]) {
                            featureBuffer.get(k * stride, f, j++ * stride, stride);
                        }
                    }
                    x = ImageLoader.floatArray(f, n, 3, imageSize, imageSize);
                }
                int classes = dataset.numClasses();
                float[] l = new float[n * classes];
                for (int k = 0, j = 0; k < positions.length; k++) {
                    if (ok[k]) {
                        l[j++ * classes + dataset.samples().get(positions[k]).label()] = 1f;
                    }
                }
                INDArray y = ImageLoader.floatArray(l, n, classes);
                DataSet ds = new DataSet(x, y);
                ds.setLabelNames(dataset.classes());
                done.complete(new Result(ds, positions.length, n));
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }
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
        private final ImagenetteDataset dataset;
        private Transform transform;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int prefetchBatches = 3;
        private LabelNoise noise = LabelNoise.NONE;
        private boolean dropLast;
        private List<String> classes;
        private int limitPerClass;
        private int startEpoch;

        Builder(Path root, ImagenetteDataset dataset) {
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

        /** Only these classes (WordNet ids), with labels re-indexed in sorted order. */
        public Builder classes(String... wnids) {
            return classes(Arrays.asList(wnids));
        }

        /** Only these classes (WordNet ids), with labels re-indexed in sorted order. */
        public Builder classes(Collection<String> wnids) {
            this.classes = List.copyOf(wnids);
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

        ImagenetteDataset resolveDataset() {
            return resolveDataset(root, split());
        }

        ImagenetteDataset resolveDataset(Path root, Split split) {
            ImagenetteDataset d;
            if (root != null) {
                d = ImagenetteDataset.open(root, split, noise);
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
