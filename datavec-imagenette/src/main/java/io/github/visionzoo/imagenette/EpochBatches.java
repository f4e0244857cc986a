package io.github.visionzoo.imagenette;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The batches of a data set's epochs, shared by {@link ImagenetteIterator} and {@link ImagenetteRecordReader} (which
 * reads batches of one): each epoch's order ({@link Seeds#epochOrder}) cut into batches, assembled by an
 * {@link ImageBatcher} and loaded ahead by a {@link Prefetcher}. A batch in which no image was readable is passed
 * over; an epoch in which none was is an error. Not thread-safe: one consumer thread.
 */
final class EpochBatches implements AutoCloseable {

    /**
     * A loaded batch.
     *
     * @param dataSet   the minibatch, {@code null} when none of its images was readable
     * @param samples   the samples in it, in its order
     * @param attempted how many images it was cut for
     */
    record Loaded(DataSet dataSet, List<Sample> samples, int attempted) {
    }

    private final ImageFolder data;
    private final ImageBatcher batcher;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final Prefetcher<Loaded> prefetcher;
    private final int numBatches;

    private int epoch;
    private int[] order;
    private Loaded peeked;
    private long attemptedThisEpoch;
    private long loadedThisEpoch;

    /**
     * Positioned at the start of {@code epoch}.
     *
     * @param threads loader threads, 0 for the consumer's thread
     * @param depth   batches loaded ahead
     */
    EpochBatches(ImageFolder data, ImageBatcher batcher, int batchSize, boolean dropLast, long seed, boolean shuffle,
                 int threads, int depth, int epoch) {
        this.data = data;
        this.batcher = batcher;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        this.prefetcher = new Prefetcher<>("imagenette-loader", threads, depth);
        int n = data.size();
        this.numBatches = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
        seek(epoch, 0);
    }

    /** Goes to batch {@code batch} of {@code epoch} without loading the batches before it. */
    void seek(int epoch, int batch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, was " + epoch);
        }
        if (batch < 0 || batch > numBatches) {
            throw new IllegalArgumentException("batch must be in [0, " + numBatches + "], was " + batch);
        }
        this.epoch = epoch;
        this.order = Seeds.epochOrder(data.size(), seed, epoch, shuffle);
        this.peeked = null;
        this.attemptedThisEpoch = 0;
        this.loadedThisEpoch = 0;
        prefetcher.restart(numBatches, batch, this::work);
    }

    /**
     * Whether a batch of the epoch is left, loading it.
     *
     * @throws IllegalStateException when the epoch ended and none of its images was readable
     */
    boolean hasNext() {
        while (peeked == null) {
            if (!prefetcher.hasNext()) {
                if (attemptedThisEpoch > 0 && loadedThisEpoch == 0) {
                    throw new IllegalStateException("No readable image in " + data + ": all " + attemptedThisEpoch
                            + " images of epoch " + epoch + " failed to decode, e.g. "
                            + batcher.stats().skippedFiles().entrySet().stream().limit(3).toList());
                }
                return false;
            }
            Loaded l = prefetcher.next();
            attemptedThisEpoch += l.attempted();
            loadedThisEpoch += l.samples().size();
            if (l.dataSet() != null) {
                peeked = l;
            }
        }
        return true;
    }

    /** The next batch of the epoch. */
    Loaded next() {
        if (!hasNext()) {
            throw new NoSuchElementException("Epoch " + epoch + " is over; call reset() to start the next one");
        }
        Loaded l = peeked;
        peeked = null;
        return l;
    }

    /** Whether the epoch's batches were all handed out. */
    boolean finished() {
        return peeked == null && !prefetcher.hasNext();
    }

    int epoch() {
        return epoch;
    }

    /** Batches of the epoch handed out by {@link #next()} or passed over (by {@link #seek} or as unreadable). */
    int batchesTaken() {
        return prefetcher.position() - (peeked != null ? 1 : 0);
    }

    int numBatches() {
        return numBatches;
    }

    /** The epoch's order, as indices into {@link ImageFolder#samples()}. */
    int[] order() {
        return order.clone();
    }

    /** Stops the loader threads; the batches in flight load again when the epoch goes on. */
    @Override
    public void close() {
        prefetcher.close();
    }

    private Prefetcher.Work<Loaded> work(int b) {
        int[] positions = Arrays.copyOfRange(order, b * batchSize, Math.min((b + 1) * batchSize, order.length));
        int e = epoch;
        ImageBatcher.Batch batch = batcher.start(positions.length);
        return new Prefetcher.Work<>() {
            @Override
            public int parts() {
                return positions.length;
            }

            @Override
            public void run(int k) {
                batch.load(k, data.samples().get(positions[k]), seed, e);
            }

            @Override
            public Loaded result() {
                List<Sample> in = new ArrayList<>(positions.length);
                for (int k = 0; k < positions.length; k++) {
                    if (batch.loaded(k)) {
                        in.add(data.samples().get(positions[k]));
                    }
                }
                return new Loaded(batch.finish(), in, positions.length);
            }
        };
    }
}
