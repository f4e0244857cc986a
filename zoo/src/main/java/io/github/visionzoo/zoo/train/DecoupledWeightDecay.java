package io.github.visionzoo.zoo.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * AdamW's decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019): after
 * the optimizer's step, {@code w -= lr * wd * w}, as DL4J's {@link WeightDecay} with {@code applyLR = true} and as
 * {@code torch.optim.AdamW}, but without a term in the score.
 *
 * <p>Decoupled decay is not the gradient of any loss term, and PyTorch reports none. DL4J's {@code WeightDecay} adds
 * {@code 0.5 * wd * |w|^2} to every step's score, and computing it is a pass over all weights each step (a
 * {@code norm2} per parameter array), done twice where the {@link Trainer}'s statistics take it off again. This class
 * computes the same update and scores 0.
 */
public class DecoupledWeightDecay extends WeightDecay {
    public DecoupledWeightDecay(double coeff) {
        this(new FixedSchedule(coeff));
    }

    /** @param coeff the decay per unit of learning rate ({@code weight_decay} of {@code torch.optim.AdamW}) */
    public DecoupledWeightDecay(@JsonProperty("coeff") ISchedule coeff) {
        super(coeff, true);
    }

    @Override
    public double score(INDArray param, int iteration, int epoch) {
        return 0;
    }

    @Override
    public Regularization clone() {
        return new DecoupledWeightDecay(coeff.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecoupledWeightDecay && super.equals(o);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + 1;
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof DecoupledWeightDecay;
    }
}
