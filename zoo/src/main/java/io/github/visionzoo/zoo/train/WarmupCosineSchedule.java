package io.github.visionzoo.zoo.train;

import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A linear warm-up followed by a cosine decay, per optimizer step: during the first {@code warmupIterations} steps the
 * rate climbs linearly to {@code baseValue}, reaching {@code baseValue * (i + 1) / warmupIterations} at step {@code i}
 * (so the first step is not wasted at rate 0); then it follows
 * {@code minValue + (baseValue - minValue) * (1 + cos(pi * (i - warmup) / (total - warmup))) / 2} and stays at
 * {@code minValue} from step {@code totalIterations} on. The epoch argument is ignored. These are the rates of
 * PyTorch's {@code SequentialLR([LinearLR(start_factor=1/warmup, total_iters=warmup-1),
 * CosineAnnealingLR(T_max=total-warmup, eta_min=minValue)], milestones=[warmup])} stepped per iteration; timm's
 * {@code CosineLRScheduler} starts its warm-up at {@code warmup_lr_init} and, by default, runs its cosine over the
 * warm-up too ({@code src/docs/TRAINING.md}).
 *
 * <p>DL4J stores schedules in a network's JSON configuration through its shaded Jackson, hence the annotations; a checkpoint restores the schedule with the network.
 */
public final class WarmupCosineSchedule implements ISchedule {
    private static final long serialVersionUID = 1L;

    @JsonProperty
    private final double baseValue;
    @JsonProperty
    private final double minValue;
    @JsonProperty
    private final int warmupIterations;
    @JsonProperty
    private final int totalIterations;

    public WarmupCosineSchedule(@JsonProperty("baseValue") double baseValue,
                                @JsonProperty("minValue") double minValue,
                                @JsonProperty("warmupIterations") int warmupIterations,
                                @JsonProperty("totalIterations") int totalIterations) {
        if (warmupIterations < 0 || totalIterations <= warmupIterations) {
            throw new IllegalArgumentException("WarmupCosineSchedule needs 0 <= warmupIterations < totalIterations,"
                    + " was " + warmupIterations + " and " + totalIterations);
        }
        this.baseValue = baseValue;
        this.minValue = minValue;
        this.warmupIterations = warmupIterations;
        this.totalIterations = totalIterations;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        if (iteration < warmupIterations) {
            return baseValue * (iteration + 1) / warmupIterations;
        }
        if (iteration >= totalIterations) {
            return minValue;
        }
        double progress = (double) (iteration - warmupIterations) / (totalIterations - warmupIterations);
        return minValue + (baseValue - minValue) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }

    @Override
    public ISchedule clone() {
        return new WarmupCosineSchedule(baseValue, minValue, warmupIterations, totalIterations);
    }

    // DL4J groups layers into one updater block only when their updaters, schedules included, are equal.
    @Override
    public boolean equals(Object o) {
        return o instanceof WarmupCosineSchedule s && s.baseValue == baseValue && s.minValue == minValue
                && s.warmupIterations == warmupIterations && s.totalIterations == totalIterations;
    }

    @Override
    public int hashCode() {
        return Objects.hash(baseValue, minValue, warmupIterations, totalIterations);
    }

    @Override
    public String toString() {
        return "WarmupCosineSchedule(base " + baseValue + ", min " + minValue + ", warm-up " + warmupIterations
                + ", total " + totalIterations + ")";
    }
}
