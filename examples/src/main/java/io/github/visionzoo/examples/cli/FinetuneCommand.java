package io.github.visionzoo.examples.cli;

import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.train.Checkpoint;
import io.github.visionzoo.zoo.train.FineTune;
import io.github.visionzoo.zoo.train.Recipes;
import io.github.visionzoo.zoo.train.RunDirectory;
import io.github.visionzoo.zoo.train.Trainer;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import io.github.visionzoo.zoo.train.TrainingResult;
import io.github.visionzoo.zoo.weights.Pretrained;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.zoo.weights.WeightsCache;
import io.github.visionzoo.imagenette.ImageFolder;
import io.github.visionzoo.imagenette.Split;
import io.github.visionzoo.zoo.ModelSummary;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.conf.inputs.InputType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finetune}: a saved checkpoint or published weights with a new head for the first {@code --classes} classes
 * of a data set, optionally frozen up to a vertex, trained with its own recipe (or the one given) into a new run
 * directory.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Fine-tune a checkpoint or published weights on the first N classes of an image folder, with a "
                + "new head.")
public final class FinetuneCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "A checkpoint written by train, finetune or import.")
    Path checkpoint;

    @Option(names = PretrainedOption.OPTION, paramLabel = "MODEL:TAG", description = PretrainedOption.DESCRIPTION)
    String weights;

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "An image folder (ROOT/{train,val}/<class>/*.jpg), e.g. Imagenette.")
    Path data;

    @Option(names = "--classes", required = true, description = "Number of classes of the new head (the first N).")
    int classes;

    @Option(names = "--freeze-up-to", paramLabel = "VERTEX",
            description = "Freeze this vertex and all before it (e.g. avgpool, classifier.4); 'summary' lists them.")
    String freezeUpTo;

    @Option(names = "--recipe", paramLabel = "NAME|FILE",
            description = "The fine-tuning recipe (default: the checkpoint's own; for an import or --weights, "
                    + ModelFamily.DEFAULT_RECIPE + " at the model's input size; finetune-vit is the ViT paper's "
                    + "fine-tuning recipe).")
    String recipe;

    @Option(names = "--epochs", description = "Override the recipe's epochs.")
    Integer epochs;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "Where to write the run (default: runs/finetune-TIME).")
    Path runDir;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Limits.classes("--classes", classes);
        if (epochs != null && epochs < 1) {
            throw new IllegalArgumentException("--epochs must be >= 1, was " + epochs);
        }
        PretrainedOption.requireOne(checkpoint, weights);
        TrainingRecipe given = recipe == null ? null : Recipes.resolve(recipe);
        Checkpoint source = weights != null ? pretrained(given) : Checkpoints.load("--checkpoint", checkpoint);
        List<String> all = ImageFolder.open(ImagenetteData.root(data, null), Split.TRAIN).classes();
        if (classes > all.size()) {
            throw new IllegalArgumentException("--classes must be between 2 and " + all.size()
                    + " (the classes in " + data + "), was " + classes);
        }
        List<String> subset = all.subList(0, classes);
        TrainingRecipe r;
        if (given != null) {
            r = given;
        } else if (source.info().recipe() != null) {
            r = source.info().recipe();
        } else {
            r = Recipes.get(ModelFamily.DEFAULT_RECIPE).withImageSize(Checkpoints.inputSize("--checkpoint", source));
        }
        if (epochs != null) {
            r = r.withEpochs(epochs);
        }
        String recipeName = recipe != null ? "--recipe " + recipe : source.info().recipe() != null
                ? "the recipe of --checkpoint " + checkpoint : "recipe " + ModelFamily.DEFAULT_RECIPE;

        Limits.imageSize(recipeName + " imageSize", r.imageSize());
        Limits.trainingStep(ModelSummary.of(source.graph().getConfiguration(),
                        InputType.convolutional(r.imageSize(), r.imageSize(), 3)), r.imageSize(), r.batchSize(), 1,
                recipeName + " imageSize", "batchSize");
        ModelSpec modelSpec = source.info().spec();
        if (modelSpec != null && modelSpec.imageSize() != r.imageSize()) {
            modelSpec = modelSpec.withImageSize(r.imageSize());
        }
        FineTune fineTune = FineTune.from(source.graph()).withNumClasses(classes);
        if (freezeUpTo != null) {
            fineTune = fineTune.withFrozenUpTo(freezeUpTo);
        }
        Path dir = runDir != null ? runDir : Path.of("runs", "finetune-" + System.currentTimeMillis());
        PrintWriter out = spec.commandLine().getOut();
        try (ImagenetteIterator train = ImagenetteData.train(data, r.augmentation(), r.imageSize(),
                r.batchSize(), r.seed(), subset);
             ImagenetteIterator val = ImagenetteData.val(data, r.augmentation(), r.imageSize(), r.batchSize(),
                     subset)) {
            out.printf(Locale.ROOT, "fine-tuning %s to %d classes%s, %d epochs%n", source.info().model(), classes,
                    freezeUpTo == null ? "" : " (frozen up to " + freezeUpTo + ")", r.epochs());
            TrainingResult result = new Trainer(dir).withModelName(source.info().model() + "-ft" + classes)
                    .fit(fineTune.build(), modelSpec, r, train, val);
            out.printf(Locale.ROOT, "val top-1 %.1f %% (best %.1f %%); best checkpoint: %s%n",
                    100 * result.finalTop1(), 100 * result.bestTop1(), dir.resolve(RunDirectory.BEST));
        }
        return 0;
    }

    /**
     * The published weights as an in-memory checkpoint with their ImageNet head, which {@link FineTune} replaces, at
     * the input size of {@code recipe} (null: the weights' own). The data pipeline normalizes with ImageNet's
     * statistics; weights trained with others are said so.
     */
    private Checkpoint pretrained(TrainingRecipe recipe) throws java.io.IOException {
        PretrainedWeights w = PretrainedOption.resolve(weights);
        int size = recipe == null ? w.inputSize() : recipe.imageSize();
        if (recipe != null) {
            Limits.imageSize("--recipe " + this.recipe + " imageSize", size);
        }
        Pretrained p = Zoo.pretrained(w, Zoo.spec(w.model()).withImageSize(size), w.numClasses(),
                WeightsCache.defaults());
        PretrainedWeights.EvalTransform t = p.weights().transform();
        if (!t.mean().equals(PretrainedWeights.EvalTransform.IMAGENET_MEAN)
                || !t.std().equals(PretrainedWeights.EvalTransform.IMAGENET_STD)) {
            spec.commandLine().getOut().println("note: " + weights + " was trained on inputs normalized with mean "
                    + t.mean() + " and std " + t.std() + "; fine-tuning feeds them ImageNet's mean and std");
        }
        return new Checkpoint(WeightsCache.defaults().path(p.weights()), Checkpoint.Info.forModel(p.weights().model(), p.spec(),
                p.numClasses(), p.weights().classes().ids()), p.graph());
    }
}
