package io.github.visionzoo.zoo.train;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * SGD with momentum as PyTorch's {@code torch.optim.SGD} (dampening 0): {@code v = momentum * v + g}, then
 * {@code w -= lr * v}, or with {@code nesterov} {@code w -= lr * (g + momentum * v)}.
 *
 * <p>Why not DL4J's own: its {@code Nesterovs} is always Nesterov and uses Sutskever's formulation
 * ({@code v = mu * v - lr * g}), where a changed learning rate only reaches the step through the velocity; the AlexNet
 * recipe wants heavy-ball momentum, and PyTorch's form keeps the step proportional to the current rate. Weight decay
 * comes separately as DL4J's L2 regularization, added to {@code g} before this updater as PyTorch does.
 */
public final class MomentumSgd extends ScheduledUpdater {
    private static final long serialVersionUID = 1L;

    private final double momentum;
    private final boolean nesterov;

    /**
     * @param learningRate         the rate when {@code learningRateSchedule} is null
     * @param learningRateSchedule the rate per iteration, or null
     * @param momentum             in (0, 1)
     * @param nesterov             Nesterov momentum instead of heavy-ball
     */
    public MomentumSgd(@JsonProperty("learningRate") double learningRate,
                       @JsonProperty("learningRateSchedule") ISchedule learningRateSchedule,
                       @JsonProperty("momentum") double momentum,
                       @JsonProperty("nesterov") boolean nesterov) {
        super(learningRate, learningRateSchedule);
        if (!(momentum > 0 && momentum < 1)) {
            throw new IllegalArgumentException("MomentumSgd momentum must be in (0, 1), was " + momentum);
        }
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    public double momentum() {
        return momentum;
    }

    public boolean nesterov() {
        return nesterov;
    }

    @Override
    public long stateSize(long numParams) {
        return numParams;
    }

    @Override
    public GradientUpdater<MomentumSgd> instantiate(INDArray viewArray, boolean initializeViewArray) {
        MomentumSgdUpdater u = new MomentumSgdUpdater(this);
        INDArray flat = viewArray.reshape(viewArray.length());
        u.setStateViewArray(flat, flat.shape(), flat.ordering(), initializeViewArray);
        return u;
    }

    @Override
    public GradientUpdater<MomentumSgd> instantiate(Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        MomentumSgdUpdater u = new MomentumSgdUpdater(this);
        u.setState(updaterState, initializeStateArrays);
        return u;
    }

    @Override
    public MomentumSgd clone() {
        return new MomentumSgd(learningRate(), scheduleCopy(),
                momentum, nesterov);
    }

    // DL4J groups layers into one updater block only when their updaters are equal.
    @Override
    public boolean equals(Object o) {
        return o instanceof MomentumSgd m && sameRate(m) && m.momentum == momentum
                && m.nesterov == nesterov;
    }

    @Override
    public int hashCode() {
        return 31 * rateHash() + Objects.hash(momentum, nesterov);
    }

    @Override
    public String toString() {
        return "MomentumSgd(lr " + rateText()
                + ", momentum " + momentum + (nesterov ? ", nesterov" : "") + ")";
    }
}
