package io.github.visionzoo.zoo.testing;

import io.github.visionzoo.imagenette.EpochAware;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A small in-memory image set for trainer tests: class {@code k} of {@code K} is a sinusoidal grating at angle
 * {@code k * pi / K} with a random phase, tinted with a class colour, plus Gaussian noise. The order is shuffled
 * deterministically from (seed, epoch), as {@link EpochAware} asks.
 */
public final class SyntheticImages implements DataSetIterator, EpochAware {
    private static final long serialVersionUID = 1L;

    private final INDArray features;
    private final INDArray labels;
    private final int batchSize;
    private final long orderSeed;
    private final List<String> classNames;
    private int[] order;
    private int cursor;
    private int epoch;
    private DataSetPreProcessor preProcessor;
    private int failEpoch = -1;
    private int failBatch = -1;

    private SyntheticImages(INDArray features, INDArray labels, int batchSize, long orderSeed) {
        this.features = features;
        this.labels = labels;
        this.batchSize = batchSize;
        this.orderSeed = orderSeed;
        List<String> names = new ArrayList<>();
        for (int k = 0; k < labels.size(1); k++) {
            names.add("class" + k);
        }
        this.classNames = names;
        setEpoch(0);
    }

    /**
     * @param n         examples
     * @param classes   classes, balanced
     * @param size      height and width
     * @param noise     standard deviation of the pixel noise (the pattern's amplitude is 1)
     * @param batchSize examples per batch
     * @param dataSeed  seeds the images
     * @param orderSeed seeds the order of each epoch
     */
    public static SyntheticImages create(int n, int classes, int size, double noise, int batchSize, long dataSeed,
                                  long orderSeed) {
        Random rng = new Random(dataSeed);
        float[] pixels = new float[n * 3 * size * size];
        float[] oneHot = new float[n * classes];
        for (int i = 0; i < n; i++) {
            int k = i % classes;
            oneHot[i * classes + k] = 1;
            double angle = Math.PI * k / classes;
            double phase = rng.nextDouble() * 2 * Math.PI;
            double freq = 2 * Math.PI / 6;
            for (int c = 0; c < 3; c++) {
                double tint = 0.4 + 0.6 * (((k + c) % 3) == 0 ? 1 : 0.3);
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        double t = freq * (x * Math.cos(angle) + y * Math.sin(angle)) + phase;
                        pixels[((i * 3 + c) * size + y) * size + x] =
                                (float) (tint * Math.sin(t) + noise * rng.nextGaussian());
                    }
                }
            }
        }
        INDArray f = Nd4j.create(pixels, new long[]{n, 3, size, size}, DataType.FLOAT);
        INDArray l = Nd4j.create(oneHot, new long[]{n, classes}, DataType.FLOAT);
        return new SyntheticImages(f, l, batchSize, orderSeed);
    }

    /** The examples of the given classes only, relabelled 0..m-1 in that order. */
    public SyntheticImages subset(int... classes) {
        int[] rows = IntStream.range(0, (int) labels.size(0))
                .filter(i -> IntStream.of(classes).anyMatch(k -> labels.getFloat(i, k) == 1f))
                .toArray();
        INDArray f = features.get(NDArrayIndex.indices(toLong(rows))).dup();
        INDArray l = Nd4j.zeros(DataType.FLOAT, rows.length, classes.length);
        for (int r = 0; r < rows.length; r++) {
            for (int j = 0; j < classes.length; j++) {
                if (labels.getFloat(rows[r], classes[j]) == 1f) {
                    l.putScalar(r, j, 1f);
                }
            }
        }
        return new SyntheticImages(f, l, batchSize, orderSeed);
    }

    /** Makes {@code next()} throw, as a killed process stops, at batch {@code batch} (0-based) of {@code epoch}. */
    public SyntheticImages failAt(int epoch, int batch) {
        this.failEpoch = epoch;
        this.failBatch = batch;
        return this;
    }

    public INDArray allFeatures() {
        return features;
    }

    @Override
    public void setEpoch(int epoch) {
        this.epoch = epoch;
        int n = (int) features.size(0);
        order = IntStream.range(0, n).toArray();
        Random rng = new Random(orderSeed * 1_000_003L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        cursor = 0;
    }

    @Override
    public int batchesPerEpoch() {
        return (int) ((features.size(0) + batchSize - 1) / batchSize);
    }

    @Override
    public DataSet next(int num) {
        if (epoch == failEpoch && cursor / batchSize == failBatch) {
            throw new IllegalStateException("simulated kill at epoch " + epoch + ", batch " + failBatch);
        }
        int end = Math.min(order.length, cursor + num);
        long[] rows = new long[end - cursor];
        for (int i = cursor; i < end; i++) {
            rows[i - cursor] = order[i];
        }
        cursor = end;
        DataSet ds = new DataSet(features.get(NDArrayIndex.indices(rows)).dup(),
                labels.get(NDArrayIndex.indices(rows)).dup());
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    @Override
    public DataSet next() {
        return next(batchSize);
    }

    @Override
    public boolean hasNext() {
        return cursor < order.length;
    }

    @Override
    public int inputColumns() {
        return (int) (features.length() / features.size(0));
    }

    @Override
    public int totalOutcomes() {
        return (int) labels.size(1);
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    @Override
    public void reset() {
        cursor = 0;
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

    @Override
    public List<String> getLabels() {
        return classNames;
    }

    private static long[] toLong(int[] a) {
        return IntStream.of(a).asLongStream().toArray();
    }
}
