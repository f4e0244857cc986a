package io.github.visionzoo.examples.api;

import io.github.visionzoo.examples.cli.ImagenetteData;
import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.Split;
import io.github.visionzoo.zoo.train.FineTune;
import io.github.visionzoo.zoo.train.Recipes;
import io.github.visionzoo.zoo.train.Trainer;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Fine-tune a saved zoo checkpoint on five classes with a frozen backbone.
 * {@code ... FineTuneExample CHECKPOINT DATA} (CHECKPOINT: a run directory's {@code best.zip}).
 */
public final class FineTuneExample {
    private FineTuneExample() {
    }

    public static void main(String[] args) throws Exception {
        Path checkpoint = Path.of(args[0]);
        Path data = Path.of(args[1]);
        List<String> fiveClasses = List.of("n01440764", "n02102040", "n02979186", "n03000684", "n03028079");

        ComputationGraph net = FineTune.from(checkpoint)   // the trained network, its head replaced
                .withNumClasses(fiveClasses.size())
                .withFrozenUpTo("avgpool")                   // train the new head only
                .build();
        TrainingRecipe recipe = Recipes.get("cpu-small").withEpochs(2);
        try (ImagenetteIterator train = ImagenetteIterator.builder(data).split(Split.TRAIN).classes(fiveClasses)
                .augmentation(ImagenetteData.augmentation(recipe.augmentation())).imageSize(recipe.imageSize())
                .batchSize(recipe.batchSize()).build();
             ImagenetteIterator val = ImagenetteIterator.builder(data).split(Split.VAL).classes(fiveClasses)
                     .augmentation(ImagenetteData.evaluation(recipe.augmentation())).imageSize(recipe.imageSize())
                     .batchSize(recipe.batchSize()).build()) {
            var result = new Trainer(Path.of("runs", "finetune-example")).fit(net, recipe, train, val);
            System.out.printf("fine-tuned: val top-1 %.1f %%%n", 100 * result.bestTop1());
        }
    }
}
