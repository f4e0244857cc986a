package io.github.visionzoo.imagenette;

import io.github.visionzoo.imagenette.transform.Augmentation;
import io.github.visionzoo.imagenette.transform.FloatImage;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Minibatches from images already in memory, decoded and augmented exactly as {@link ImagenetteIterator} does (the
 * same decoder, {@link Augmentation augmentation} and per-image seeds, so the same image, seed and epoch give the same pixels):
 * for loaders that fetch the files themselves, such as the Spark data source
 * ({@code io.github.visionzoo.imagenette.spark.ImagenetteRdd}). Serializable, so it travels to Spark executors;
 * the preset is built where it is used.
 */
public final class ImageBatches implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * One image of a batch.
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

    private final Augmentation augmentation;
    private final int imageSize;
    private final int numClasses;
    private final List<String> labelNames;
    private transient ImageLoader loader;

    /**
     * @param augmentation a preset with its parameters
     * @param imageSize    the output side S
     * @param labelNames   the class names in label order (their count is the label width)
     * @throws IllegalArgumentException for a size below 1
     */
    public ImageBatches(Augmentation augmentation, int imageSize, List<String> labelNames) {
        augmentation.transform(imageSize); // fails fast on bad sizes
        this.augmentation = augmentation;
        this.imageSize = imageSize;
        this.labelNames = List.copyOf(labelNames);
        this.numClasses = labelNames.size();
    }

    private ImageLoader loader() {
        if (loader == null) {
            loader = new ImageLoader(augmentation.transform(imageSize), imageSize);
        }
        return loader;
    }

    /**
     * One minibatch: features {@code [n, 3, S, S]} float, labels one-hot {@code [n, numClasses]}, in the order given.
     * An image that cannot be decoded is left out with a warning naming it, as in {@link ImagenetteIterator}.
     *
     * @return the batch, or {@code null} when no image could be decoded
     */
    public DataSet batch(List<Image> images, long seed, int epoch) {
        int stride = 3 * imageSize * imageSize;
        float[] features = new float[images.size() * stride];
        float[] labels = new float[images.size() * numClasses];
        int n = 0;
        for (Image image : images) {
            if (image.label() < 0 || image.label() >= numClasses) {
                throw new IllegalArgumentException("label " + image.label() + " of " + image.name() + " is not in [0, "
                        + numClasses + ")");
            }
            FloatImage img = loader().load(image.bytes(), Path.of(image.name()), image.index(), seed, epoch);
            if (img == null) {
                continue;
            }
            System.arraycopy(img.data(), 0, features, n * stride, stride);
            labels[n * numClasses + image.label()] = 1f;
            n++;
        }
        if (n == 0) {
            return null;
        }
        // floatArray copies the first n images (and labels) only
        INDArray x = ImageLoader.floatArray(features, n, 3, imageSize, imageSize);
        INDArray y = ImageLoader.floatArray(labels, n, numClasses);
        DataSet ds = new DataSet(x, y);
        ds.setLabelNames(labelNames);
        return ds;
    }

    /** Images decoded and skipped by this instance (in this JVM). */
    public ReaderStats stats() {
        return loader().stats();
    }
}
