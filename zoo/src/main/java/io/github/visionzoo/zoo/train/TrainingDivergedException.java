package io.github.visionzoo.zoo.train;

import java.nio.file.Path;
import java.util.List;

/**
 * Training produced a NaN or infinite loss or parameter; the run directory keeps the checkpoints from before, which
 * the trainer checked to be finite, and the message names the newest of them.
 */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int iteration;
    private final String what;

    private TrainingDivergedException(int iteration, String what, String kept, Throwable cause) {
        super(what + "; training stopped" + kept + ". Try a lower learning rate (e.g. a third of it), a longer"
                + " warm-up, or check the input data for NaNs", cause);
        this.iteration = iteration;
        this.what = what;
    }

    TrainingDivergedException(int iteration, double loss, double learningRate) {
        this(iteration, "the loss became " + loss + " at iteration " + iteration + " (learning rate " + learningRate
                + ")", "", null);
    }

    /** The parameters or updater state ({@code what}, as {@link Checkpoint#nonFinite} names it) were not finite. */
    static TrainingDivergedException nonFinite(int iteration, String what, double learningRate) {
        return new TrainingDivergedException(iteration, "the " + what + " held NaN or infinite values after iteration "
                + iteration + " (learning rate " + learningRate + ")", "", null);
    }

    /** This divergence, its message naming the checkpoint of {@code run} that a resumption would start from. */
    TrainingDivergedException inRunDirectory(RunDirectory run) {
        List<Path> kept = run.checkpoints();
        return new TrainingDivergedException(iteration, what, kept.isEmpty()
                ? " before its first checkpoint, so " + run + " holds nothing to resume"
                : " and the last good checkpoint, " + kept.get(0) + ", was kept", this);
    }

    /** The optimizer step (1-based, counted over the whole run) after which a value was not finite. */
    public int iteration() {
        return iteration;
    }
}
