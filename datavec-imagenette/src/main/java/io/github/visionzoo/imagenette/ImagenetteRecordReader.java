package io.github.visionzoo.imagenette;

import io.github.visionzoo.imagenette.transform.Transform;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.nd4j.linalg.dataset.DataSet;

/**
 * An image folder of classes ({@link ImageFolder}: Imagenette or any other) as a DataVec {@link RecordReader}: each
 * record is {@code [NDArrayWritable image, IntWritable label]} with the image {@code [1, 3, S, S]} (the record format
 * of DataVec's {@code ImageRecordReader}), for
 * {@code new RecordReaderDataSetIterator(reader, batchSize, 1, reader.getLabels().size())}.
 *
 * <p>It reads the {@link ImagenetteIterator}'s pipeline in batches of one: the same seeding, epoch order, prefetching
 * threads and bad-file handling, so records of one (seed, epoch) are the iterator's images, except that a reset after
 * a single record rewinds (see {@link #reset()}). Build it with {@link #builder(Path)}, or DataVec-style:
 * {@code builder(null)...buildRecordReader()} then {@link #initialize(InputSplit)} with a {@link FileSplit} of the data
 * set root or of a split folder ({@code ROOT/train}, {@code ROOT/val}). Not thread-safe: one consumer thread.
 */
public final class ImagenetteRecordReader implements RecordReader {
    private static final long serialVersionUID = 1L;

    private final transient ImagenetteIterator.Builder options;
    private final transient ImageLoader loader;
    private final long seed;
    private final int threads;
    private final int ahead;
    private transient ImageFolder dataset;
    private transient ImageBatcher batcher;
    private transient EpochBatches epochs;
    private transient Map<URI, Sample> byUri;
    private int epoch;
    private int returnedThisEpoch;
    private transient List<RecordListener> listeners = new ArrayList<>();
    private transient Configuration conf;

    ImagenetteRecordReader(ImagenetteIterator.Builder b, ImageFolder dataset, Transform transform) {
        this.options = b;
        this.seed = b.seed();
        this.threads = b.threads();
        this.ahead = Math.max(2, b.prefetchBatches() * Math.max(1, b.threads()));
        this.loader = new ImageLoader(transform, b.imageSize());
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
        close();
        this.dataset = d;
        this.batcher = new ImageBatcher(loader, d.classes());
        this.epochs = new EpochBatches(d, batcher, 1, false, seed, options.shuffles(d.split()), threads, ahead, epoch);
        this.returnedThisEpoch = 0;
        Map<URI, Sample> m = new HashMap<>();
        for (Sample s : d.samples()) {
            m.put(s.file().toUri(), s);
        }
        this.byUri = m;
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
                        + "image folder's root");
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
        return epochs.hasNext();
    }

    @Override
    public Record nextRecord() {
        requireDataset();
        EpochBatches.Loaded one = epochs.next();
        Record r = record(one.samples().get(0), one.dataSet().getFeatures());
        returnedThisEpoch++;
        for (RecordListener l : listeners) {
            l.recordRead(this, r);
        }
        return r;
    }

    /** The class folders of the labels (WordNet ids for Imagenette). */
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
        setEpoch(returnedThisEpoch > 1 || epochs.finished() ? epoch + 1 : epoch);
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    /**
     * Decodes a stream as the image at {@code uri} (label from its class folder, augmentation seeded as that image in
     * the current epoch, or as index -1 for a file outside the data set).
     *
     * @throws UnreadableImageException when the stream is no decodable image
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
            String folder = p == null || p.getParent() == null ? "" : p.getParent().getFileName().toString();
            label = dataset != null ? dataset.classes().indexOf(folder) : Imagenette.WNIDS.indexOf(folder);
            if (label < 0) {
                throw new IOException("Cannot tell the label of " + uri + ": its folder is not a class of "
                        + (dataset != null ? dataset.classes() : "Imagenette"));
            }
            index = -1;
        }
        ImageBatcher b = batcher != null ? batcher : new ImageBatcher(loader, Imagenette.WNIDS);
        DataSet one = b.batch(List.of(new ImageBatcher.Image(index, p.toString(), label, bytes)), seed, epoch);
        if (one == null) {
            throw new UnreadableImageException(p, loader.stats().skippedFiles().get(p));
        }
        return Arrays.asList(new NDArrayWritable(one.getFeatures()), new IntWritable(label));
    }

    /** Reloads the record of an image, augmented as in the current epoch. */
    @Override
    public Record loadFromMetaData(RecordMetaData recordMetaData) throws IOException {
        requireDataset();
        Sample s = byUri.get(recordMetaData.getURI());
        if (s == null) {
            throw new IOException(recordMetaData.getURI() + " is not an image of " + dataset);
        }
        ImageBatcher.Batch one = batcher.start(1);
        if (!one.load(0, s, seed, epoch)) {
            throw new UnreadableImageException(s.file(), loader.stats().skippedFiles().get(s.file()));
        }
        return record(s, one.finish().getFeatures());
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

    /**
     * Stops the loader threads; the reader restarts them if used again, and then loads the records that were in
     * flight once more, so the epoch goes on where it stopped.
     */
    @Override
    public void close() {
        if (epochs != null) {
            epochs.close();
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
        if (epochs != null) {
            epochs.seek(epoch, 0);
            returnedThisEpoch = 0;
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

    /** The record of a sample: its image {@code [1, 3, S, S]} and label, with its URI as metadata. */
    private static Record record(Sample s, INDArray image) {
        return new org.datavec.api.records.impl.Record(Arrays.asList(new NDArrayWritable(image),
                new IntWritable(s.label())), new RecordMetaDataURI(s.file().toUri(), ImagenetteRecordReader.class));
    }
}
