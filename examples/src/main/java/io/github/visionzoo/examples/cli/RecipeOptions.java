package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.train.Recipes;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import picocli.CommandLine.Option;

/** The training recipe and the overrides that {@code train} and {@code spark-train} take. */
public final class RecipeOptions {
    /** The recipe of a run that names none. */
    static final String DEFAULT_RECIPE = "cpu-small";

    @Option(names = "--recipe", defaultValue = DEFAULT_RECIPE, paramLabel = "NAME|FILE",
            description = "A bundled recipe name or a recipe JSON file (default: ${DEFAULT-VALUE}).")
    String recipe;

    @Option(names = "--epochs", description = "Override the recipe's epochs.")
    Integer epochs;

    @Option(names = "--image-size", description = "Override the recipe's image size.")
    Integer imageSize;

    @Option(names = "--batch", description = "Override the recipe's batch size (per worker with spark-train).")
    Integer batch;

    /** The named or given recipe with the overrides applied. */
    TrainingRecipe resolve() {
        atLeastOne("--epochs", epochs);
        atLeastOne("--image-size", imageSize);
        atLeastOne("--batch", batch);
        TrainingRecipe r = Recipes.resolve(recipe);
        if (epochs != null) {
            r = r.withEpochs(epochs);
        }
        if (batch != null) {
            r = r.withBatchSize(batch);
        }
        if (imageSize != null) {
            r = r.withImageSize(imageSize);
        }
        return r;
    }

    private static void atLeastOne(String option, Integer value) {
        if (value != null && value < 1) {
            throw new IllegalArgumentException(option + " must be >= 1, was " + value);
        }
    }
}
