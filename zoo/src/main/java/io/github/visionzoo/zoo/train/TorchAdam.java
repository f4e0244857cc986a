package io.github.visionzoo.zoo.train;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Adam as {@code torch.optim.Adam} and {@code AdamW} compute it: {@code m = beta1 * m + (1 - beta1) * g},
 * {@code v = beta2 * v + (1 - beta2) * g^2}, then
 * {@code w -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)} at step {@code t} (the iteration
 * plus one). AdamW's decoupled weight decay comes separately, {@link DecoupledWeightDecay}.
 *
 * <p>Why not DL4J's {@code Adam}: it folds both bias corrections into the step size,
 * {@code lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)}, so its epsilon acts as
 * {@code epsilon / sqrt(1 - beta2^t)} in PyTorch's formula: 3.2e-7 instead of 1e-8 at the first step, 1.3e-8 after
 * a thousand, and elements whose gradients are about that small moved less than in PyTorch (up to 30x at the first
 * step). This runs DL4J's fused Adam kernel with its epsilon scaled by {@code sqrt(1 - beta2^t)}, which gives
 * PyTorch's formula exactly. The state is DL4J Adam's: {@code M} then {@code V} in one view array.
 */
public final class TorchAdam extends ScheduledUpdater {
    private static final long serialVersionUID = 1L;

    private final double beta1;
    private final double beta2;
    private final double epsilon;

    /** PyTorch's defaults: betas (0.9, 0.999), epsilon 1e-8. */
    public TorchAdam(double learningRate, ISchedule learningRateSchedule) {
        this(learningRate, learningRateSchedule, 0.9, 0.999, 1e-8);
    }

    /**
     * @param learningRate         the rate when {@code learningRateSchedule} is null
     * @param learningRateSchedule the rate per iteration, or null
     */
    public TorchAdam(@JsonProperty("learningRate") double learningRate,
                     @JsonProperty("learningRateSchedule") ISchedule learningRateSchedule,
                     @JsonProperty("beta1") double beta1,
                     @JsonProperty("beta2") double beta2,
                     @JsonProperty("epsilon") double epsilon) {
        super(learningRate, learningRateSchedule);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0)) {
            throw new IllegalArgumentException("TorchAdam needs betas in [0, 1) and epsilon > 0, was " + beta1 + ", "
                    + beta2 + " and " + epsilon);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    public double beta1() {
        return beta1;
    }

    public double beta2() {
        return beta2;
    }

    public double epsilon() {
        return epsilon;
    }

    @Override
    public long stateSize(long numParams) {
        return 2 * numParams;
    }

    @Override
    public GradientUpdater<TorchAdam> instantiate(INDArray viewArray, boolean initializeViewArray) {
        TorchAdamUpdater u = new TorchAdamUpdater(this);
        u.setStateViewArray(viewArray, viewArray.shape(), viewArray.ordering(), initializeViewArray);
        return u;
    }

    @Override
    public GradientUpdater<TorchAdam> instantiate(Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        TorchAdamUpdater u = new TorchAdamUpdater(this);
        u.setState(updaterState, initializeStateArrays);
        return u;
    }

    @Override
    public TorchAdam clone() {
        return new TorchAdam(learningRate(), scheduleCopy(), beta1,
                beta2, epsilon);
    }

    // DL4J groups layers into one updater block only when their updaters are equal.
    @Override
    public boolean equals(Object o) {
        return o instanceof TorchAdam a && sameRate(a) && a.beta1 == beta1
                && a.beta2 == beta2 && a.epsilon == epsilon;
    }

    @Override
    public int hashCode() {
        return 31 * rateHash() + Objects.hash(beta1, beta2, epsilon);
    }

    @Override
    public String toString() {
        return "TorchAdam(lr " + rateText() + ", betas "
                + beta1 + ", " + beta2 + ", epsilon " + epsilon + ")";
    }
}
