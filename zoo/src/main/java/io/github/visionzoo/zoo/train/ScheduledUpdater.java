package io.github.visionzoo.zoo.train;

import java.util.Objects;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * What visionzoo's own updater configurations ({@link TorchAdam}, {@link MomentumSgd}) share: a learning rate, or a
 * schedule of it that DL4J's recipe applier sets ({@link #setLrAndSchedule}).
 */
abstract class ScheduledUpdater implements IUpdater {
    private static final long serialVersionUID = 1L;

    private double learningRate;
    private ISchedule learningRateSchedule;

    ScheduledUpdater(double learningRate, ISchedule learningRateSchedule) {
        this.learningRate = learningRate;
        this.learningRateSchedule = learningRateSchedule;
    }

    /** The learning rate when there is no schedule. */
    final double learningRate() {
        return learningRate;
    }

    /** The schedule, or null. */
    final ISchedule learningRateSchedule() {
        return learningRateSchedule;
    }

    /** A copy of the schedule for a clone, or null. */
    final ISchedule scheduleCopy() {
        return learningRateSchedule == null ? null : learningRateSchedule.clone();
    }

    /** Whether {@code other} has the same rate and schedule (DL4J groups layers only under equal updaters). */
    final boolean sameRate(ScheduledUpdater other) {
        return Double.compare(other.learningRate, learningRate) == 0
                && Objects.equals(other.learningRateSchedule, learningRateSchedule);
    }

    /** The rate and schedule's share of a hash code. */
    final int rateHash() {
        return Objects.hash(learningRate, learningRateSchedule);
    }

    /** The schedule, or else the rate, for {@code toString}. */
    final Object rateText() {
        return learningRateSchedule != null ? learningRateSchedule : learningRate;
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return learningRateSchedule != null ? learningRateSchedule.valueAt(iteration, epoch) : learningRate;
    }

    @Override
    public boolean hasLearningRate() {
        return true;
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
        this.learningRate = lr;
        this.learningRateSchedule = lrSchedule;
    }

    @Override
    public abstract ScheduledUpdater clone();
}
