package io.github.visionzoo.zoo.train;

import static io.github.visionzoo.zoo.testing.TrainTestSupport.recipe;
import static io.github.visionzoo.zoo.testing.TrainTestSupport.tinyNet;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.testing.SyntheticImages;
import io.github.visionzoo.zoo.testing.TrainTestSupport;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ParallelWrapper behind the Trainer, with two worker threads on the CPU. */
@Tag("slow")
class ParallelTrainingTest {
    @TempDir
    Path tmp;

    static SyntheticImages train() {
        return SyntheticImages.create(128, 4, 16, 0.6, 16, 51, 52);
    }

    @Test
    void twoWorkersAveragingLowerTheLoss() {
        SyntheticImages train = train();
        ComputationGraph net = tinyNet(4, 16, 3);
        double before = EvalReport.of(net, train, null).loss();
        TrainingRecipe recipe = recipe(2, 3e-3)
                .withParallel(new TrainingRecipe.Parallel(TrainingRecipe.Parallel.AVERAGING, 1));
        Trainer trainer = new Trainer(tmp).withWorkers(2).withMetricsWindow(2).withConsole(Trainer.Console.QUIET);
        TrainingResult result = trainer.fit(net, recipe, train, SyntheticImages.create(32, 4, 16, 0.6, 16, 53, 54));

        assertThat(result.workers()).isEqualTo(2);
        assertThat(result.iterations()).as("8 batches per epoch, 2 per step").isEqualTo(8);
        double after = EvalReport.of(trainer.latest().graph(), train, null).loss();
        assertThat(after).isLessThan(before);
        assertThat(TrainTestSupport.lines(tmp, Metrics.Line.class, Metrics.Iterations.class)).isNotEmpty();
    }

    @Test
    void twoWorkersSharingGradientsTrain() {
        TrainingRecipe recipe = recipe(1, 3e-3)
                .withParallel(new TrainingRecipe.Parallel(TrainingRecipe.Parallel.GRADIENT_SHARING, null));
        Trainer trainer = new Trainer(tmp).withWorkers(2).withConsole(Trainer.Console.QUIET);
        TrainingResult result = trainer.fit(tinyNet(4, 16, 3), recipe, train(),
                SyntheticImages.create(32, 4, 16, 0.6, 16, 53, 54));
        assertThat(result.iterations()).isEqualTo(4);
        assertThat(result.finalTop1()).isBetween(0.0, 1.0);
        assertThat(trainer.latest().graph().params().isNaN().any()).isFalse();
    }
}
