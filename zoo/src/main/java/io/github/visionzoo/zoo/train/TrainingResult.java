package io.github.visionzoo.zoo.train;

/**
 * The outcome of a training run, also written as the run directory's {@code summary.json} at each epoch end.
 *
 * @param model           the model's name as given to the trainer
 * @param recipe          the recipe trained
 * @param epochs          epochs completed
 * @param iterations      optimizer steps completed
 * @param bestTop1        the best validation top-1 accuracy of any epoch end ({@code best.zip})
 * @param bestTop5        the top-5 accuracy of that epoch
 * @param bestEpoch       that epoch, from 1
 * @param finalTop1       validation top-1 after the last completed epoch
 * @param finalTop5       validation top-5 after the last completed epoch
 * @param imagesPerSecond training throughput: examples over training time, validation left out, all epochs
 * @param wallSeconds     wall-clock time of the whole run, resumptions included
 * @param workers         parallel workers of the latest (or only) session
 */
public record TrainingResult(String model, TrainingRecipe recipe, int epochs, int iterations, double bestTop1,
                             double bestTop5, int bestEpoch, double finalTop1, double finalTop5,
                             double imagesPerSecond, double wallSeconds, int workers) {
}
