package io.github.visionzoo.examples.api;

import io.github.visionzoo.examples.cli.ImagenetteData;
import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.Split;
import io.github.visionzoo.imagenette.SyntheticImagenette;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.train.EvalReport;
import io.github.visionzoo.zoo.train.Recipes;
import io.github.visionzoo.zoo.train.Trainer;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import io.github.visionzoo.zoo.train.TrainingResult;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Train ResNet-18 on Imagenette from your own code: data, model, recipe, trainer, evaluation.
 * {@code java -cp examples/target/visionzoo-examples.jar io.github.visionzoo.examples.api.TrainResNetExample [DATA]}
 */
public final class TrainResNetExample {
    private TrainResNetExample() {
    }

    public static void main(String[] args) throws Exception {
        // a real Imagenette folder, or the synthetic stand-in written once
        Path data = args.length > 0 ? Path.of(args[0])
                : SyntheticImagenette.builder().build().ensure(Path.of("data", "synthetic-imagenette"));

        TrainingRecipe recipe = Recipes.get("cpu-small");            // AdamW, cosine, 64 px
        ModelSpec spec = Zoo.spec("resnet18").withImageSize(recipe.imageSize());

        // the recipe's augmentation for training, and its evaluation transform for validation
        try (ImagenetteIterator train = ImagenetteIterator.builder(data).split(Split.TRAIN)
                .augmentation(ImagenetteData.augmentation(recipe.augmentation())).imageSize(recipe.imageSize())
                .batchSize(recipe.batchSize()).seed(recipe.seed()).build();
             ImagenetteIterator val = ImagenetteIterator.builder(data).split(Split.VAL)
                     .augmentation(ImagenetteData.evaluation(recipe.augmentation())).imageSize(recipe.imageSize())
                     .batchSize(recipe.batchSize()).build()) {
            Trainer trainer = new Trainer(Path.of("runs", "resnet18-example")).withModelName("resnet18");
            TrainingResult result = trainer.fit(Zoo.create(spec, 10, recipe.seed()), recipe, train, val);
            System.out.printf("best val top-1 %.1f %% at epoch %d%n", 100 * result.bestTop1(), result.bestEpoch());

            ComputationGraph best = trainer.best().graph();
            EvalReport report = EvalReport.of(best, val, val.getLabels());
            System.out.printf("top-1 %.1f %%, top-5 %.1f %%%n", 100 * report.top1(), 100 * report.top5());
        }
    }
}
