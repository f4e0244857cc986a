package io.github.visionzoo.examples.cli;

import io.github.visionzoo.imagenette.Imagenette;
import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.layers.Conv2d;
import io.github.visionzoo.zoo.train.Recipes;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import java.io.PrintWriter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

/** The training recipe and the overrides that {@code train} and {@code spark-train} take. */
public final class RecipeOptions {
    @Option(names = "--recipe", paramLabel = "NAME|FILE",
            description = "A bundled recipe name or a recipe JSON file (default: the model family's, cpu-small for"
                    + " the convolutional networks, cpu-transformer for the ViT, Swin and DaViT).")
    String recipe;

    @Option(names = "--epochs", description = "Override the recipe's epochs.")
    Integer epochs;

    @Option(names = "--image-size", description = "Override the recipe's image size.")
    Integer imageSize;

    @Option(names = "--batch", description = "Override the recipe's batch size (per worker with spark-train).")
    Integer batch;

    @Option(names = "--precision", paramLabel = "float32|bf16", description = "Override the recipe's precision: bf16"
            + " trains the convolutions in bf16 where that is faster, with float32 master weights, on CPUs with"
            + " AVX512_BF16 (float32 elsewhere).")
    String precision;

    /** The recipe named, or else {@code model}'s family's ({@link ModelFamily#recipe()}). */
    String name(ModelSpec model) {
        return recipe != null ? recipe : model.family().recipe();
    }

    /** The named or given recipe, or else {@code model}'s family's, with the overrides applied. */
    TrainingRecipe resolve(ModelSpec model) {
        atLeastOne("--epochs", epochs);
        atLeastOne("--batch", batch);
        requirePrecision(precision);
        TrainingRecipe r = Recipes.resolve(name(model));
        if (imageSize != null) {
            Limits.imageSize("--image-size", imageSize);
        } else {
            Limits.imageSize("--recipe " + name(model) + " imageSize", r.imageSize());
        }
        if (epochs != null) {
            r = r.withEpochs(epochs);
        }
        if (batch != null) {
            r = r.withBatchSize(batch);
        }
        if (imageSize != null) {
            r = r.withImageSize(imageSize);
        }
        if (precision != null) {
            r = r.withPrecision(precision);
        }
        return r;
    }

    /** Refuses a {@code --precision} (null: not given) that no recipe may give. */
    static void requirePrecision(String precision) {
        if (precision != null && !TrainingRecipe.PRECISIONS.contains(precision)) {
            throw new IllegalArgumentException("--precision must be " + String.join(" or ", TrainingRecipe.PRECISIONS)
                    + ", was '" + precision + "'");
        }
    }

    /** A line on what {@code r}'s bf16 does on this machine; nothing for float32. */
    static void describePrecision(PrintWriter out, TrainingRecipe r) {
        if (!r.precision().equals(TrainingRecipe.BF16)) {
            return;
        }
        out.println(Conv2d.trainsInBf16Here()
                ? "precision bf16: the convolutions train in bf16 where that is faster, with float32 master weights"
                : "precision bf16: this machine has no AVX512_BF16 (or oneDNN's kernels are off), so it trains in"
                        + " float32");
    }

    /**
     * Refuses a recipe whose training step cannot fit this process's memory ({@link Limits#trainingStep}), naming
     * the overrides that would make it fit.
     *
     * @param model   the model at the recipe's image size
     * @param workers workers training at once in this process
     */
    void requireFits(ModelSpec model, TrainingRecipe r, int workers) {
        // the data's class count is not read yet; the head's share of the memory is small either way
        Limits.trainingStep(ModelSummary.of(model, Imagenette.WNIDS.size()), r.imageSize(), r.batchSize(), workers,
                "--image-size", "--batch");
    }

    /**
     * On {@code --resume}: the epochs to train to, null for the run's own; {@code --recipe}, {@code --batch},
     * {@code --image-size} and {@code --precision}, fixed at the run's start, are refused by name when given with
     * another value than the run's {@code recorded} recipe (the fields that options override aside, a recipe must
     * equal it).
     */
    Integer resumeEpochs(TrainingRecipe recorded, ParseResult parsed) {
        atLeastOne("--epochs", epochs);
        if (parsed.hasMatchedOption("--recipe")) {
            TrainingRecipe given = Recipes.resolve(recipe).withEpochs(recorded.epochs())
                    .withBatchSize(recorded.batchSize()).withImageSize(recorded.imageSize())
                    .withSpark(recorded.spark()).withPrecision(recorded.precision());
            if (!given.equals(recorded)) {
                throw new IllegalArgumentException("--recipe " + recipe + " is not the run's recipe '"
                        + recorded.name() + "' (its recipe.json), which cannot change on --resume; leave --recipe"
                        + " out");
            }
        }
        requireUnchanged("--batch", batch, recorded.batchSize());
        requireUnchanged("--image-size", imageSize, recorded.imageSize());
        requirePrecision(precision);
        requireUnchanged("--precision", precision, recorded.precision());
        return epochs;
    }

    /** On {@code --resume}: refuses {@code option} when given (non-null) with another value than the run's. */
    static void requireUnchanged(String option, Object given, Object recorded) {
        if (given != null && !given.equals(recorded)) {
            throw new IllegalArgumentException(option + " " + given + " differs from the run's " + recorded
                    + ", which cannot change on --resume; leave " + option + " out");
        }
    }

    private static void atLeastOne(String option, Integer value) {
        if (value != null && value < 1) {
            throw new IllegalArgumentException(option + " must be >= 1, was " + value);
        }
    }
}
