package io.github.visionzoo.zoo.train;

import java.util.List;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * What the trainer hands to {@code ParallelWrapper}: the training iterator's batches, label-smoothed, with a callback
 * before each batch (progress and metrics of the steps done so far). Neither resettable nor asynchronous, so the
 * wrapper takes batches in order from the trainer's thread.
 */
final class FeedingIterator implements DataSetIterator {
    private static final long serialVersionUID = 1L;

    private final DataSetIterator source;
    private final DataSetPreProcessor smoothing;
    private final transient Runnable beforeBatch;

    /** @param smoothing applied to each batch, or null */
    FeedingIterator(DataSetIterator source, DataSetPreProcessor smoothing, Runnable beforeBatch) {
        this.source = source;
        this.smoothing = smoothing;
        this.beforeBatch = beforeBatch;
    }

    @Override
    public DataSet next(int num) {
        throw new UnsupportedOperationException("the trainer feeds whole batches");
    }

    @Override
    public DataSet next() {
        beforeBatch.run();
        DataSet batch = source.next();
        if (smoothing != null) {
            smoothing.preProcess(batch);
        }
        return batch;
    }

    @Override
    public boolean hasNext() {
        return source.hasNext();
    }

    @Override
    public int inputColumns() {
        return source.inputColumns();
    }

    @Override
    public int totalOutcomes() {
        return source.totalOutcomes();
    }

    @Override
    public boolean resetSupported() {
        return false;
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    @Override
    public void reset() {
        throw new UnsupportedOperationException("the trainer positions the training iterator itself");
    }

    @Override
    public int batch() {
        return source.batch();
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        throw new UnsupportedOperationException("set the pre-processor on the training iterator");
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return source.getPreProcessor();
    }

    @Override
    public List<String> getLabels() {
        return source.getLabels();
    }
}
