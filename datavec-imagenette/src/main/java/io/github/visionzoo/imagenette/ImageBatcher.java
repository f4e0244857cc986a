package io.github.visionzoo.imagenette;

import io.github.visionzoo.imagenette.transform.FloatImage;
import io.github.visionzoo.imagenette.transform.Transform;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The one batch assembler of the data sources: images decoded, augmented (each seeded from seed, epoch and its
 * {@link Sample#index()}, see {@link Seeds}) and packed into a minibatch with features {@code [n, 3, S, S]} float
 * (NCHW) and one-hot labels {@code [n, numClasses]}, in the order given. An image that cannot be decoded is left out
 * with one warning naming it, and counted in {@link #stats()}. {@link ImagenetteIterator} fills a batch's images
 * concurrently, {@link ImagenetteRecordReader} reads batches of one, and the Spark source
 * ({@code io.github.visionzoo.imagenette.spark.ImagenetteRdd}) batches files its executors fetched themselves, so the
 * same images, seed and epoch give the same pixels from all three. Thread-safe.
 */
public final class ImageBatcher {

    /**
     * One image file already in memory.
     *
     * @param index the image's {@link Sample#index()}, which seeds its augmentation
     * @param name  the file's path or URI, for messages
     * @param label the label in {@code [0, numClasses)}
     * @param bytes the file's content
     */
    public record Image(int index, String name, int label, byte[] bytes) {
        public Image {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(bytes, "bytes");
        }
    }

    private final ImageLoader loader;
    private final List<String> labelNames;

    /**
     * @param transform  the augmentation; it must output {@code imageSize x imageSize} images
     * @param imageSize  the output side S
     * @param labelNames the class names in label order (their count is the label width)
     */
    public ImageBatcher(Transform transform, int imageSize, List<String> labelNames) {
        this(new ImageLoader(transform, imageSize), labelNames);
    }

    /** Over a loader that other batchers may share (its counts then cover all of them). */
    ImageBatcher(ImageLoader loader, List<String> labelNames) {
        this.loader = loader;
        this.labelNames = List.copyOf(labelNames);
    }

    /**
     * One minibatch of in-memory files, decoded on the caller's thread.
     *
     * @return the batch, or {@code null} when no image could be decoded
     * @throws IllegalArgumentException for a label outside {@code [0, numClasses)}
     */
    public DataSet batch(List<Image> images, long seed, int epoch) {
        Batch b = start(images.size());
        for (int k = 0; k < images.size(); k++) {
            b.load(k, images.get(k), seed, epoch);
        }
        return b.finish();
    }

    /** A batch of {@code n} slots to fill. */
    Batch start(int n) {
        return new Batch(n);
    }

    /** The output side S. */
    public int imageSize() {
        return loader.size();
    }

    /** The class names in label order. */
    public List<String> labelNames() {
        return labelNames;
    }

    /** Images decoded and skipped by this batcher's loader (in this JVM). */
    public ReaderStats stats() {
        return loader.stats();
    }

    /**
     * A minibatch being filled: each slot's image is written straight into the batch's off-heap feature array, from
     * any thread, one thread per slot; {@link #finish()} follows once every slot was loaded (or failed).
     */
    final class Batch {
        private final int n;
        private final int stride;
        private final INDArray features;
        private final FloatBuffer buffer;
        private final int[] labels;

        private Batch(int n) {
            int size = loader.size();
            this.n = n;
            this.stride = 3 * size * size;
            this.features = Nd4j.createUninitializedDetached(DataType.FLOAT, 'c', n, 3, size, size);
            this.buffer = features.data().asNioFloat();
            this.labels = new int[n];
            java.util.Arrays.fill(labels, -1);
        }

        /** Reads, decodes and augments {@code sample} into {@code slot}; false when it was unreadable. */
        boolean load(int slot, Sample sample, long seed, int epoch) {
            return put(slot, sample.label(), loader.load(sample, seed, epoch));
        }

        /** Decodes and augments an in-memory file into {@code slot}; false when it was unreadable. */
        boolean load(int slot, Image image, long seed, int epoch) {
            checkLabel(image.label(), image.name());
            return put(slot, image.label(), loader.load(image.bytes(), Path.of(image.name()), image.index(), seed,
                    epoch));
        }

        private boolean put(int slot, int label, FloatImage img) {
            if (img == null) {
                return false;
            }
            // Absolute bulk put: no shared position, so threads can fill their slots concurrently.
            buffer.put(slot * stride, img.data(), 0, stride);
            labels[slot] = label;
            return true;
        }

        /** Whether {@code slot} holds an image, once every slot was loaded. */
        boolean loaded(int slot) {
            return labels[slot] >= 0;
        }

        /** How many slots hold an image, once every slot was loaded. */
        int loaded() {
            int k = 0;
            for (int s = 0; s < n; s++) {
                k += loaded(s) ? 1 : 0;
            }
            return k;
        }

        /**
         * The minibatch of the loaded slots, in slot order: {@code [k, 3, S, S]} and {@code [k, numClasses]} for k
         * loaded, or {@code null} when none was.
         */
        DataSet finish() {
            int k = loaded();
            if (k == 0) {
                return null;
            }
            INDArray x = features;
            if (k < n) {
                int size = loader.size();
                x = Nd4j.createUninitializedDetached(DataType.FLOAT, 'c', k, 3, size, size);
                FloatBuffer packed = x.data().asNioFloat();
                float[] image = new float[stride];
                for (int s = 0, j = 0; s < n; s++) {
                    if (loaded(s)) {
                        buffer.get(s * stride, image, 0, stride);
                        packed.put(j++ * stride, image, 0, stride);
                    }
                }
            }
            int classes = labelNames.size();
            float[] oneHot = new float[k * classes];
            for (int s = 0, j = 0; s < n; s++) {
                if (loaded(s)) {
                    oneHot[j++ * classes + labels[s]] = 1f;
                }
            }
            INDArray y = Nd4j.createUninitializedDetached(DataType.FLOAT, 'c', k, classes);
            y.data().asNioFloat().put(0, oneHot, 0, oneHot.length);
            DataSet ds = new DataSet(x, y);
            ds.setLabelNames(labelNames);
            return ds;
        }

        private void checkLabel(int label, String name) {
            if (label < 0 || label >= labelNames.size()) {
                throw new IllegalArgumentException("label " + label + " of " + name + " is not in [0, "
                        + labelNames.size() + ")");
            }
        }
    }
}
