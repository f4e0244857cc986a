package io.github.visionzoo.zoo.train;

/** Training produced a NaN or infinite loss; the run directory keeps its last good checkpoint. */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int iteration;

    TrainingDivergedException(int iteration, double loss, double learningRate) {
        super("the loss became " + loss + " at iteration " + iteration + " (learning rate " + learningRate
                + "); training stopped and the last good checkpoint was kept. Try a lower learning rate (e.g. a third"
                + " of it), a longer warm-up, or check the input data for NaNs");
        this.iteration = iteration;
    }

    /** The optimizer step (1-based, counted over the whole run) whose loss was not finite. */
    public int iteration() {
        return iteration;
    }
}
