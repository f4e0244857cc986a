package io.github.visionzoo.zoo.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;

/**
 * Label smoothing (Szegedy et al. 2016) as PyTorch's {@code CrossEntropyLoss(label_smoothing=epsilon)}: a one-hot
 * target over {@code K} classes becomes {@code (1 - epsilon) * onehot + epsilon / K}. DL4J's MCXENT loss takes such
 * soft targets as they are, so smoothing the labels of each training batch is all it takes; the network's
 * configuration, and so every checkpoint and fine-tune, keeps the plain loss.
 *
 * <p>The smoothed labels are a new array: iterators may hand out views of arrays they reuse in the next epoch.
 */
public final class LabelSmoothing implements DataSetPreProcessor {
    private static final long serialVersionUID = 1L;

    private final double epsilon;

    /** @param epsilon in [0, 1) */
    public LabelSmoothing(double epsilon) {
        if (!(epsilon >= 0 && epsilon < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), was " + epsilon);
        }
        this.epsilon = epsilon;
    }

    @Override
    public void preProcess(DataSet batch) {
        INDArray labels = batch.getLabels();
        long classes = labels.size(1);
        batch.setLabels(labels.mul(1 - epsilon).addi(epsilon / classes));
    }
}
