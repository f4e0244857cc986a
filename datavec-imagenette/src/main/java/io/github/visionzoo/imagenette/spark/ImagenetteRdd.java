package io.github.visionzoo.imagenette.spark;

import io.github.visionzoo.imagenette.ImageBatcher;
import io.github.visionzoo.imagenette.ImageFolder;
import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.ImagenetteLayoutException;
import io.github.visionzoo.imagenette.ImagenetteOptions;
import io.github.visionzoo.imagenette.Seeds;
import io.github.visionzoo.imagenette.Split;
import io.github.visionzoo.imagenette.transform.Augmentation;
import io.github.visionzoo.imagenette.transform.Presets;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Imagenette as Spark RDDs of {@link DataSet} minibatches, for distributed training: the driver lists the files (a
 * shared path such as an NFS mount, or a Hadoop URI such as {@code hdfs://namenode/data/imagenette2-320}), cuts each
 * epoch's order into minibatches and spreads them over the partitions; each executor then reads and decodes the images
 * of its own partitions. The images, their order, labels and augmentation are those of {@link ImagenetteIterator} with
 * the same options (the same file listing {@link ImageFolder#list}, {@link Seeds}, {@link Presets} and batch
 * assembler {@link ImageBatcher}), so for a seed and epoch the RDD holds the iterator's batches.
 *
 * <pre>{@code
 * ImagenetteRdd train = ImagenetteRdd.builder(sc, "hdfs://namenode/data/imagenette2-320")
 *         .split(Split.TRAIN).preset("study").imageSize(160).batchSize(32).seed(42).partitions(8).build();
 * JavaRDD<DataSet> epoch3 = train.epoch(3);       // lazily decoded where its partitions run
 * }</pre>
 *
 * <p>Any image folder of classes will do, Imagenette being one. A plain path or a {@code file:} URI is listed on the
 * local file system (it must be the same path on every executor); any other scheme through Hadoop's
 * {@link FileSystem}, by the same rule ({@link ImageFolder#list} over a {@link ImageFolder.Tree} of Hadoop's), with
 * the Hadoop configuration of the Spark context on the driver and the executors' default configuration. Label noise
 * and class subsets are the iterator's only. Unreadable images are skipped with a warning in the executor's log.
 */
public final class ImagenetteRdd {

    /** The images of one minibatch of one epoch. */
    record Batch(int epoch, List<ImageFolder.Entry> entries) implements Serializable {
    }

    private final JavaSparkContext sc;
    private final String root;
    private final Split split;
    private final List<String> classes;
    private final List<ImageFolder.Entry> entries;
    private final Augmentation augmentation;
    private final int imageSize;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final int partitions;
    private final boolean hadoop;

    private ImagenetteRdd(Builder b, ImageFolder.Listing listing, boolean hadoop) {
        this.sc = b.sc;
        this.root = b.root;
        this.split = b.split();
        this.classes = listing.classes();
        this.entries = listing.entries();
        this.augmentation = b.augmentation();
        this.imageSize = b.imageSize();
        augmentation.transform(imageSize); // fails on a bad size here rather than on the executors
        this.batchSize = b.batchSize();
        this.seed = b.seed();
        this.shuffle = b.shuffles(split);
        this.partitions = b.partitions > 0 ? b.partitions : Math.max(1, b.sc.defaultParallelism());
        this.hadoop = hadoop;
    }

    /** A builder over {@code root}: a path every executor sees (shared storage), or a Hadoop URI. */
    public static Builder builder(JavaSparkContext sc, String root) {
        return new Builder(sc, root);
    }

    /**
     * The minibatches of epoch {@code epoch} (0-based) in that epoch's order, spread over {@link #partitions()}
     * partitions in contiguous runs; nothing is read until an action runs.
     */
    public JavaRDD<DataSet> epoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, was " + epoch);
        }
        int[] order = Seeds.epochOrder(entries.size(), seed, epoch, shuffle);
        List<Batch> list = new ArrayList<>();
        for (int from = 0; from < order.length; from += batchSize) {
            List<ImageFolder.Entry> batch = new ArrayList<>();
            for (int k = from; k < Math.min(from + batchSize, order.length); k++) {
                batch.add(entries.get(order[k]));
            }
            list.add(new Batch(epoch, batch));
        }
        return sc.parallelize(list, Math.min(partitions, list.size())).mapPartitions(
                new DecodeBatches(augmentation, imageSize, classes, seed, hadoop));
    }

    /** Minibatches per epoch (the last may be smaller). */
    public int batchesPerEpoch() {
        return (entries.size() + batchSize - 1) / batchSize;
    }

    /** Images per epoch. */
    public int numExamples() {
        return entries.size();
    }

    /** The class folders of the label columns (WordNet ids for Imagenette). */
    public List<String> classNames() {
        return classes;
    }

    public int partitions() {
        return partitions;
    }

    public Split split() {
        return split;
    }

    /** The root as given. */
    public String root() {
        return root;
    }

    /** The image locations in listing order, as the executors will read them. */
    List<ImageFolder.Entry> entries() {
        return entries;
    }

    /** Reads and decodes the minibatches of one partition, on an executor. */
    static final class DecodeBatches implements FlatMapFunction<Iterator<Batch>, DataSet> {
        private static final long serialVersionUID = 1L;
        private final Augmentation augmentation;
        private final int imageSize;
        private final List<String> classes;
        private final long seed;
        private final boolean hadoop;
        private transient ImageBatcher batcher;

        DecodeBatches(Augmentation augmentation, int imageSize, List<String> classes, long seed, boolean hadoop) {
            this.augmentation = augmentation;
            this.imageSize = imageSize;
            this.classes = List.copyOf(classes);
            this.seed = seed;
            this.hadoop = hadoop;
        }

        /** Built where it runs: the preset's transform need not travel. */
        private ImageBatcher batcher() {
            if (batcher == null) {
                batcher = new ImageBatcher(augmentation.transform(imageSize), imageSize, classes);
            }
            return batcher;
        }

        @Override
        public Iterator<DataSet> call(Iterator<Batch> partition) {
            return new Iterator<>() {
                private DataSet next;

                @Override
                public boolean hasNext() {
                    while (next == null && partition.hasNext()) {
                        Batch b = partition.next();
                        List<ImageBatcher.Image> images = new ArrayList<>(b.entries().size());
                        for (ImageFolder.Entry e : b.entries()) {
                            images.add(new ImageBatcher.Image(e.index(), e.location(), e.label(), read(e.location())));
                        }
                        next = batcher().batch(images, seed, b.epoch()); // null when no image of it was readable
                    }
                    return next != null;
                }

                @Override
                public DataSet next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    DataSet ds = next;
                    next = null;
                    return ds;
                }
            };
        }

        private byte[] read(String location) {
            try {
                if (!hadoop) {
                    return Files.readAllBytes(Path.of(location));
                }
                URI uri = new URI(location);
                FileSystem fs = FileSystem.get(uri, new Configuration());
                try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(uri))) {
                    return in.readAllBytes();
                }
            } catch (IOException e) {
                // an empty file is reported (and skipped) by the decoder as unreadable, like a corrupt one
                org.slf4j.LoggerFactory.getLogger(ImagenetteRdd.class).warn("cannot read {}: {}", location, e.toString());
                return new byte[0];
            } catch (URISyntaxException e) {
                throw new IllegalStateException("not a URI: " + location, e);
            }
        }
    }

    /**
     * Options: those of {@link ImagenetteOptions}, the last partial batch kept, and Spark's default parallelism as
     * the partition count.
     */
    public static final class Builder extends ImagenetteOptions<Builder> {
        private final JavaSparkContext sc;
        private final String root;
        private int partitions;

        Builder(JavaSparkContext sc, String root) {
            this.sc = Objects.requireNonNull(sc, "sc");
            if (root == null || root.isBlank()) {
                throw new IllegalArgumentException("the Imagenette root is missing: give a shared folder or a Hadoop"
                        + " URI such as hdfs://namenode/data/imagenette2-320");
            }
            this.root = root;
        }

        /** Partitions of each epoch's RDD: one per training worker (or a multiple) keeps the work even. */
        public Builder partitions(int partitions) {
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
            }
            this.partitions = partitions;
            return this;
        }

        /**
         * Lists the split on the driver.
         *
         * @throws ImagenetteLayoutException when the root or the split folder is missing, the split is no folder of
         *                                   classes ({@link ImageFolder#classesOf}), or it has no image
         */
        public ImagenetteRdd build() {
            URI uri = uriOf(root);
            String scheme = uri == null ? null : uri.getScheme();
            if (scheme == null || scheme.equalsIgnoreCase("file")) {
                Path path = uri == null || scheme == null ? Path.of(root) : Path.of(uri);
                return new ImagenetteRdd(this, localEntries(path, split()), false);
            }
            Configuration conf = sc.hadoopConfiguration();
            return new ImagenetteRdd(this, hadoopEntries(uri, split(), conf), true);
        }

        private static URI uriOf(String root) {
            if (!root.contains(":")) {
                return null;
            }
            try {
                return new URI(root);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("the Imagenette root '" + root + "' is neither a path nor a URI: "
                        + e.getMessage(), e);
            }
        }
    }

    static ImageFolder.Listing localEntries(Path root, Split split) {
        return ImageFolder.list(ImageFolder.LOCAL, root.toAbsolutePath().normalize().toString(), split);
    }

    static ImageFolder.Listing hadoopEntries(URI root, Split split, Configuration conf) {
        try {
            return ImageFolder.list(new HadoopTree(FileSystem.get(root, conf)), root.toString(), split);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    /** A Hadoop file system as {@link ImageFolder}'s listing reads it; its locations are URIs. */
    private static final class HadoopTree implements ImageFolder.Tree {
        private final FileSystem fs;

        HadoopTree(FileSystem fs) {
            this.fs = fs;
        }

        @Override
        public boolean exists(String path) throws IOException {
            return fs.exists(new org.apache.hadoop.fs.Path(path));
        }

        @Override
        public boolean isFolder(String path) throws IOException {
            try {
                return fs.getFileStatus(new org.apache.hadoop.fs.Path(path)).isDirectory();
            } catch (FileNotFoundException e) {
                return false;
            }
        }

        @Override
        public List<String> list(String folder) throws IOException {
            List<String> out = new ArrayList<>();
            for (FileStatus st : fs.listStatus(new org.apache.hadoop.fs.Path(folder))) {
                out.add(st.getPath().getName() + (st.isDirectory() ? "/" : ""));
            }
            return out;
        }

        @Override
        public Map<String, String> files(String folder) throws IOException {
            org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(folder);
            String prefix = dir.toUri().getPath() + "/";
            Map<String, String> out = new LinkedHashMap<>();
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
            while (it.hasNext()) {
                org.apache.hadoop.fs.Path file = it.next().getPath();
                String rel = file.toUri().getPath();
                out.put(rel.startsWith(prefix) ? rel.substring(prefix.length()) : file.getName(),
                        file.toUri().toString());
            }
            return out;
        }

        @Override
        public String resolve(String folder, String name) {
            return new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(folder), name).toString();
        }
    }

    @Override
    public String toString() {
        return "ImagenetteRdd[" + root + ", " + split.folder() + ", " + entries.size() + " images, " + partitions
                + " partitions, batch " + batchSize + ", seed " + seed + "]";
    }
}
