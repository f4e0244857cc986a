package io.github.visionzoo.imagenette;

import io.github.visionzoo.imagenette.transform.FloatImage;
import io.github.visionzoo.imagenette.transform.Transform;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import org.datavec.api.conf.Configuration;
import org.datavec.api.records.Record;
import org.datavec.api.records.listener.RecordListener;
import org.datavec.api.records.metadata.RecordMetaData;
import org.datavec.api.records.metadata.RecordMetaDataURI;
import org.datavec.api.records.reader.RecordReader;
import org.datavec.api.split.FileSplit;
import org.datavec.api.split.InputSplit;
import org.datavec.api.writable.IntWritable;
import org.datavec.api.writable.NDArrayWritable;
import org.datavec.api.writable.Writable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Imagenette as a DataVec {@link RecordReader}: each record is {@code [NDArrayWritable image, IntWritable label]} with
 * the image {@code [1, 3, S, S]} (the record format of DataVec's {@code ImageRecordReader}), for
 * {@code new RecordReaderDataSetIterator(reader, batchSize, 1, reader.getLabels().size())}.
 *
 * <p>Decoding and augmentation run on a thread pool a few images ahead, with the same seeding, epoch rules and
 * bad-file handling as {@link ImagenetteIterator} (records of one (seed, epoch) are identical to the iterator's
 * images), except that a reset after a single record rewinds (see {@link #reset()}). Build it with {@link #builder(Path)}, or DataVec-style: {@code builder(null)...buildRecordReader()} then
 * {@link #initialize(InputSplit)} with a {@link FileSplit} of the data set root or of a split folder
 * ({@code ROOT/train}, {@code ROOT/val}). Not thread-safe: one consumer thread.
 */
public final class ImagenetteRecordReader implements RecordReader {
    private static final long serialVersionUID = 1L;

    private final transient ImagenetteIterator.Builder options;
    private final transient ImageLoader loader;
    private final transient Transform transform;
    private final int imageSize;
    private final long seed;
    private final int threads;
    private final int ahead;
    private transient ImageFolder dataset;
    private boolean shuffle;
    private transient Map<URI, Sample> byUri;

    private transient ExecutorService pool;
    private int epoch;
    private int returnedThisEpoch;
    private transient int[] order;
    private int nextToSubmit;
    private int nextToTake;
    private long attemptedThisEpoch;
    private long loadedThisEpoch;
    private transient ArrayDeque<Pending> inFlight = new ArrayDeque<>();
    private transient Record peeked;
    private transient List<RecordListener> listeners = new ArrayList<>();
    private transient Configuration conf;

    ImagenetteRecordReader(ImagenetteIterator.Builder b, ImageFolder dataset, Transform transform) {
        this.options = b;
        this.imageSize = b.imageSize();
        this.seed = b.seed();
        this.threads = b.threads();
        this.ahead = Math.max(2, b.prefetchBatches() * Math.max(1, b.threads()));
        this.transform = transform;
        this.loader = new ImageLoader(transform, imageSize);
        this.epoch = b.startEpoch();
        if (dataset != null) {
            setDataset(dataset);
        }
    }

    /** A builder (shared with {@link ImagenetteIterator}); {@code root} may be {@code null} to initialize later. */
    public static ImagenetteIterator.Builder builder(Path root) {
        return new ImagenetteIterator.Builder(root, null);
    }

    private void setDataset(ImageFolder d) {
        this.dataset = d;
        this.shuffle = options.shuffles(d.split());
        Map<URI, Sample> m = new HashMap<>();
        for (Sample s : d.samples()) {
            m.put(s.file().toUri(), s);
        }
        this.byUri = m;
        restartEpoch();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // RecordReader

    /**
     * Points the reader at a data set: a {@link FileSplit} (or any split whose first location is a folder) of the
     * root, which reads the builder's split, or of {@code ROOT/train} / {@code ROOT/val}, which reads that split.
     */
    @Override
    public void initialize(InputSplit split) throws IOException {
        Path dir;
        if (split instanceof FileSplit && ((FileSplit) split).getRootDir() != null) {
            dir = ((FileSplit) split).getRootDir().toPath();
        } else {
            URI[] locations = split.locations();
            if (locations == null || locations.length == 0) {
                throw new IllegalArgumentException("The input split has no location; give a FileSplit of the "
                        + "Imagenette root");
            }
            dir = Paths.get(locations[0]);
        }
        dir = dir.toAbsolutePath().normalize();
        Split which = options.split();
        Path root = dir;
        String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
        if ((name.equals(Split.TRAIN.folder()) || name.equals(Split.VAL.folder())) && dir.getParent() != null
                && !Files.isDirectory(dir.resolve(name))) {
            which = Split.parse(name);
            root = dir.getParent();
        }
        close();
        setDataset(options.resolveDataset(root, which));
    }

    @Override
    public void initialize(Configuration conf, InputSplit split) throws IOException {
        setConf(conf);
        initialize(split);
    }

    @Override
    public boolean batchesSupported() {
        return false;
    }

    /** Up to {@code num} records (fewer at the end of the epoch). */
    @Override
    public List<List<Writable>> next(int num) {
        List<List<Writable>> out = new ArrayList<>(num);
        while (out.size() < num && hasNext()) {
            out.add(next());
        }
        return out;
    }

    @Override
    public List<Writable> next() {
        return nextRecord().getRecord();
    }

    @Override
    public boolean hasNext() {
        requireDataset();
        while (peeked == null) {
            if (nextToTake >= order.length) {
                if (attemptedThisEpoch > 0 && loadedThisEpoch == 0) {
                    throw new IllegalStateException("No readable image in " + dataset + ": all "
                            + attemptedThisEpoch + " images of epoch " + epoch + " failed to decode");
                }
                return false;
            }
            fill();
            Pending p = inFlight.poll();
            nextToTake++;
            attemptedThisEpoch++;
            INDArray img = await(p.future);
            fill();
            if (img != null) {
                loadedThisEpoch++;
                List<Writable> rec = Arrays.asList(new NDArrayWritable(img), new IntWritable(p.sample.label()));
                peeked = new org.datavec.api.records.impl.Record(rec,
                        new RecordMetaDataURI(p.sample.file().toUri(), ImagenetteRecordReader.class));
            }
        }
        return true;
    }

    @Override
    public Record nextRecord() {
        if (!hasNext()) {
            throw new NoSuchElementException("Epoch " + epoch + " is over; call reset() to start the next one");
        }
        Record r = peeked;
        peeked = null;
        returnedThisEpoch++;
        for (RecordListener l : listeners) {
            l.recordRead(this, r);
        }
        return r;
    }

    /** The WordNet ids of the labels. */
    @Override
    public List<String> getLabels() {
        requireDataset();
        return dataset.classes();
    }

    /**
     * Starts the next epoch if records of the current one were returned; does nothing if none was. A reset after
     * exactly one record of an unfinished epoch rewinds that epoch instead: DataVec's
     * {@code RecordReaderDataSetIterator} reads one record to learn the shapes and then resets before iterating, and
     * that must not skip epoch 0.
     */
    @Override
    public void reset() {
        if (dataset == null || returnedThisEpoch == 0) {
            return;
        }
        boolean finished = peeked == null && nextToTake >= order.length;
        if (returnedThisEpoch > 1 || finished) {
            epoch++;
        }
        restartEpoch();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    /**
     * Decodes a stream as the image at {@code uri} (label from its class folder, augmentation seeded as that image in
     * the current epoch, or as index -1 for a file outside the data set).
     */
    @Override
    public List<Writable> record(URI uri, DataInputStream dataInputStream) throws IOException {
        byte[] bytes = dataInputStream.readAllBytes();
        Path p = uri == null ? null : Paths.get(uri);
        Sample s = byUri == null || uri == null ? null : byUri.get(uri);
        int label;
        int index;
        if (s != null) {
            label = s.label();
            index = s.index();
        } else {
            String wnid = p == null || p.getParent() == null ? "" : p.getParent().getFileName().toString();
            label = dataset != null ? dataset.classes().indexOf(wnid) : Imagenette.WNIDS.indexOf(wnid);
            if (label < 0) {
                throw new IOException("Cannot tell the label of " + uri + ": its folder is not an Imagenette class");
            }
            index = -1;
        }
        FloatImage img = ImageDecoder.decode(bytes, p);
        FloatImage out = transform.apply(img, new Random(Seeds.image(seed, epoch, index)));
        if (out.width() != imageSize || out.height() != imageSize) {
            throw new IllegalStateException("The transform made a " + out.width() + "x" + out.height()
                    + " image, expected " + imageSize + "x" + imageSize);
        }
        return Arrays.asList(new NDArrayWritable(toArray(out)), new IntWritable(label));
    }

    /** Reloads the record of an image, augmented as in the current epoch. */
    @Override
    public Record loadFromMetaData(RecordMetaData recordMetaData) throws IOException {
        requireDataset();
        Sample s = byUri.get(recordMetaData.getURI());
        if (s == null) {
            throw new IOException(recordMetaData.getURI() + " is not an image of " + dataset);
        }
        FloatImage img = loader.load(s, seed, epoch);
        if (img == null) {
            throw new UnreadableImageException(s.file(), loader.stats().skippedFiles().get(s.file()));
        }
        return new org.datavec.api.records.impl.Record(
                Arrays.asList(new NDArrayWritable(toArray(img)), new IntWritable(s.label())),
                new RecordMetaDataURI(s.file().toUri(), ImagenetteRecordReader.class));
    }

    @Override
    public List<Record> loadFromMetaData(List<RecordMetaData> recordMetaDatas) throws IOException {
        List<Record> out = new ArrayList<>(recordMetaDatas.size());
        for (RecordMetaData m : recordMetaDatas) {
            out.add(loadFromMetaData(m));
        }
        return out;
    }

    @Override
    public List<RecordListener> getListeners() {
        return listeners;
    }

    @Override
    public void setListeners(RecordListener... listeners) {
        setListeners(Arrays.asList(listeners));
    }

    @Override
    public void setListeners(Collection<RecordListener> listeners) {
        this.listeners = new ArrayList<>(listeners);
    }

    @Override
    public void setConf(Configuration conf) {
        this.conf = conf;
    }

    @Override
    public Configuration getConf() {
        return conf;
    }

    /** Stops the loader threads; the reader restarts them if used again. */
    @Override
    public void close() {
        cancelInFlight();
        if (pool != null) {
            pool.shutdownNow();
            pool = null;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** The current epoch (0-based). */
    public int epoch() {
        return epoch;
    }

    /** Rewinds to the start of {@code epoch}. */
    public void setEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, was " + epoch);
        }
        this.epoch = epoch;
        if (dataset != null) {
            restartEpoch();
        }
    }

    /** The data set read, or {@code null} before {@link #initialize(InputSplit)}. */
    public ImageFolder dataset() {
        return dataset;
    }

    /** Images read and skipped so far. */
    public ReaderStats stats() {
        return loader.stats();
    }

    private void requireDataset() {
        if (dataset == null) {
            throw new IllegalStateException("ImagenetteRecordReader has no data set: build it with a root or call "
                    + "initialize(new FileSplit(root))");
        }
    }

    private void restartEpoch() {
        cancelInFlight();
        peeked = null;
        returnedThisEpoch = 0;
        order = Seeds.epochOrder(dataset.size(), seed, epoch, shuffle);
        nextToSubmit = 0;
        nextToTake = 0;
        attemptedThisEpoch = 0;
        loadedThisEpoch = 0;
    }

    private void cancelInFlight() {
        for (Pending p : inFlight) {
            p.future.cancel(false);
        }
        inFlight.clear();
    }

    private void fill() {
        while (inFlight.size() < ahead && nextToSubmit < order.length) {
            Sample s = dataset.samples().get(order[nextToSubmit++]);
            int e = epoch;
            CompletableFuture<INDArray> f;
            if (threads == 0) {
                f = CompletableFuture.completedFuture(loadArray(s, e));
            } else {
                if (pool == null) {
                    pool = ImageLoader.newPool(threads);
                }
                f = CompletableFuture.supplyAsync(() -> loadArray(s, e), pool);
            }
            inFlight.add(new Pending(s, f));
        }
    }

    private INDArray loadArray(Sample s, int e) {
        FloatImage img = loader.load(s, seed, e);
        return img == null ? null : toArray(img);
    }

    private INDArray toArray(FloatImage img) {
        return ImageLoader.floatArray(img.data(), 1, 3, img.height(), img.width());
    }

    private static INDArray await(CompletableFuture<INDArray> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for an image", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException) {
                throw (RuntimeException) c;
            }
            if (c instanceof Error) {
                throw (Error) c;
            }
            throw new IllegalStateException("Loading an image failed", c);
        }
    }

    private static final class Pending {
        final Sample sample;
        final CompletableFuture<INDArray> future;

        Pending(Sample sample, CompletableFuture<INDArray> future) {
            this.sample = sample;
            this.future = future;
        }
    }
}
