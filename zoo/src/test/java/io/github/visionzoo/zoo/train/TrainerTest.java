package io.github.visionzoo.zoo.train;

import static io.github.visionzoo.zoo.testing.TrainTestSupport.lines;
import static io.github.visionzoo.zoo.testing.TrainTestSupport.recipe;
import static io.github.visionzoo.zoo.testing.TrainTestSupport.tinyNet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.Split;
import io.github.visionzoo.imagenette.SyntheticImagenette;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.testing.SyntheticImages;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class TrainerTest {
    @TempDir
    Path tmp;

    static SyntheticImages train4() {
        return SyntheticImages.create(96, 4, 16, 0.8, 16, 11, 12);
    }

    static SyntheticImages val4() {
        return SyntheticImages.create(32, 4, 16, 0.8, 16, 13, 14);
    }

    @Test
    @Tag("slow")
    void aResumedRunRepeatsTheUninterruptedOne() throws IOException {
        TrainingRecipe recipe = recipe(2, 3e-3);
        Trainer a = new Trainer(tmp.resolve("a")).withMetricsWindow(1).withCheckpointEvery(4)
                .withConsole(Trainer.Console.QUIET);
        a.fit(tinyNet(4, 16, 3), recipe, train4(), val4());

        // killed in epoch 2 at its 4th batch: the newest checkpoint is iteration 8, two batches into epoch 2
        Trainer killed = new Trainer(tmp.resolve("b")).withMetricsWindow(1).withCheckpointEvery(4)
                .withConsole(Trainer.Console.QUIET);
        assertThatThrownBy(() -> killed.fit(tinyNet(4, 16, 3), recipe, train4().failAt(1, 3), val4()))
                .hasMessageContaining("simulated kill");
        assertThat(new RunDirectory(tmp.resolve("b")).checkpoints().get(0).getFileName().toString())
                .isEqualTo("ckpt-e001-i00000008.zip");

        // a copy whose newest checkpoint is damaged resumes from the end of epoch 1 instead
        copy(tmp.resolve("b"), tmp.resolve("c"));
        Path newest = tmp.resolve("c").resolve("ckpt-e001-i00000008.zip");
        try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }

        killed.resume(train4(), val4());
        Trainer c = new Trainer(tmp.resolve("c")).withMetricsWindow(1).withConsole(Trainer.Console.BAR);
        TrainingResult fromEpochEnd = c.resume(train4(), val4());
        assertThat(tmp.resolve("c").resolve("ckpt-e001-i00000008.zip" + RunDirectory.CORRUPT_SUFFIX)).exists();
        assertThat(fromEpochEnd.epochs()).isEqualTo(2);

        assertSameRun(tmp.resolve("a"), tmp.resolve("b"), 12);
        assertSameRun(tmp.resolve("a"), tmp.resolve("c"), 12);
        assertThat(killed.latest().info().iteration()).isEqualTo(12);

        // the epoch resumed within reports its loss and accuracy over all its batches, those before the kill too
        List<Metrics.Epoch> uninterrupted = lines(tmp.resolve("a"), Metrics.Line.class, Metrics.Epoch.class);
        List<Metrics.Epoch> resumed = lines(tmp.resolve("b"), Metrics.Line.class, Metrics.Epoch.class);
        assertThat(resumed).hasSize(2);
        for (int e = 0; e < 2; e++) {
            assertThat(resumed.get(e).trainLoss()).as("epoch " + (e + 1) + " train loss")
                    .isCloseTo(uninterrupted.get(e).trainLoss(), within(1e-6));
            assertThat(resumed.get(e).trainAccuracy()).as("epoch " + (e + 1) + " train accuracy")
                    .isEqualTo(uninterrupted.get(e).trainAccuracy());
        }
    }

    /**
     * A library user's run as the README's Java example writes it: {@code ImagenetteIterator}s, with the recipe's
     * random-resized-crop augmentation, given to the trainer as they are. Killed in the third epoch and resumed with
     * fresh iterators, it trains on the batches the uninterrupted run trained on.
     */
    @Test
    @Tag("slow")
    void anImagenetteIteratorGivenDirectlyResumesExactly() throws IOException {
        Path root = SyntheticImagenette.builder().trainPerClass(4).valPerClass(1).imageSize(40).seed(7).build()
                .writeTo(tmp.resolve("imagenette"));
        ModelSpec spec = new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 8, false, 32);
        TrainingRecipe recipe = new TrainingRecipe("quick", null, new TrainingRecipe.AdamW(), 3e-3, 0.01, 8, 3,
                new TrainingRecipe.Constant(), 0.1, 32, "study", 3, null);
        Trainer uninterrupted = new Trainer(tmp.resolve("a")).withMetricsWindow(1)
                .withConsole(Trainer.Console.QUIET);
        try (ImagenetteIterator train = imagenette(root, Split.TRAIN); ImagenetteIterator val = imagenette(root,
                Split.VAL)) {
            assertThat(train.batchesPerEpoch()).isEqualTo(5);
            uninterrupted.fit(Zoo.create(spec, 10, 3), spec, recipe, train, val);
        }

        Trainer killed = new Trainer(tmp.resolve("b")).withMetricsWindow(1).withCheckpointEvery(2)
                .withConsole(Trainer.Console.QUIET);
        try (ImagenetteIterator train = imagenette(root, Split.TRAIN); ImagenetteIterator val = imagenette(root,
                Split.VAL)) {
            int[] batches = {0};
            train.setPreProcessor(batch -> {
                if (++batches[0] == 13) {
                    throw new IllegalStateException("simulated kill");
                }
            });
            assertThatThrownBy(() -> killed.fit(Zoo.create(spec, 10, 3), spec, recipe, train, val))
                    .hasMessageContaining("simulated kill");
        }
        Checkpoint.Info newest = killed.runDirectory().latestInfo();
        assertThat(newest.epochsCompleted()).isEqualTo(2);
        assertThat(newest.batchesInEpoch()).isEqualTo(2);
        try (ImagenetteIterator train = imagenette(root, Split.TRAIN); ImagenetteIterator val = imagenette(root,
                Split.VAL)) {
            killed.resume(train, val);
        }

        assertSameRun(tmp.resolve("a"), tmp.resolve("b"), 15);
    }

    private static ImagenetteIterator imagenette(Path root, Split split) {
        return ImagenetteIterator.builder(root).split(split).preset(split == Split.TRAIN ? "study" : "eval")
                .imageSize(32).batchSize(8).seed(3).threads(2).build();
    }

    @Test
    @Tag("slow")
    void aFinishedRunExtendedToMoreEpochsRepeatsALongerRun() {
        TrainingRecipe constant = new TrainingRecipe("test", null, new TrainingRecipe.AdamW(), 3e-3, 0.01, 16, 4,
                new TrainingRecipe.Constant(), 0.1, 16, "eval", 5, null);
        Trainer longer = new Trainer(tmp.resolve("a")).withMetricsWindow(1).withConsole(Trainer.Console.QUIET);
        longer.fit(tinyNet(4, 16, 3), constant, train4(), val4());

        Trainer extended = new Trainer(tmp.resolve("b")).withMetricsWindow(1).withConsole(Trainer.Console.QUIET);
        extended.fit(tinyNet(4, 16, 3), constant.withEpochs(2), train4(), val4());
        assertThatThrownBy(() -> extended.resume(train4(), val4(), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has completed 2");
        TrainingResult result = extended.resume(train4(), val4(), 4);

        assertThat(result.epochs()).isEqualTo(4);
        assertThat(result.recipe()).isEqualTo(constant);
        assertThat(Recipes.load(tmp.resolve("b").resolve(RunDirectory.RECIPE))).isEqualTo(constant);
        assertThat(extended.latest().info().recipe().epochs()).isEqualTo(4);
        assertSameRun(tmp.resolve("a"), tmp.resolve("b"), 24); // the optimizer's state carried over
        assertThat(extended.resume(train4(), val4())).as("finished again").isEqualTo(result);
    }

    @Test
    @Tag("slow")
    void anExtendedCosineScheduleFollowsTheLongerCurveFromTheIterationReached() {
        Trainer longer = new Trainer(tmp.resolve("a")).withMetricsWindow(1).withConsole(Trainer.Console.QUIET);
        longer.fit(tinyNet(4, 16, 3), recipe(3, 3e-3), train4(), val4());
        Trainer extended = new Trainer(tmp.resolve("b")).withMetricsWindow(1).withConsole(Trainer.Console.QUIET);
        extended.fit(tinyNet(4, 16, 3), recipe(1, 3e-3), train4(), val4());
        extended.resume(train4(), val4(), 3);

        List<Double> expected = rates(tmp.resolve("a"));
        List<Double> actual = rates(tmp.resolve("b"));
        assertThat(actual).hasSize(18);
        assertThat(actual.get(5)).as("the one-epoch schedule's last step").isLessThan(expected.get(5));
        for (int i = 6; i < 18; i++) {
            assertThat(actual.get(i)).as("iteration " + (i + 1)).isCloseTo(expected.get(i), within(1e-12));
        }
    }

    private static List<Double> rates(Path runDir) {
        return lines(runDir, Metrics.Line.class, Metrics.Iterations.class).stream()
                .map(Metrics.Iterations::learningRate).toList();
    }

    /**
     * The run in {@code actual} had the losses of the run in {@code expected}, {@code iterations} of them, and ended
     * with its parameters.
     */
    private static void assertSameRun(Path expected, Path actual, int iterations) {
        List<Double> want = losses(expected);
        List<Double> got = losses(actual);
        assertThat(want).hasSize(iterations);
        assertThat(got).hasSize(iterations);
        for (int i = 0; i < iterations; i++) {
            assertThat(got.get(i)).as(actual.getFileName() + " iteration " + (i + 1)).isCloseTo(want.get(i),
                    within(1e-5));
        }
        INDArray params = new RunDirectory(actual).latest().graph().params();
        assertThat(params.equalsWithEps(new RunDirectory(expected).latest().graph().params(), 1e-6))
                .as(actual.getFileName() + " parameters").isTrue();
    }

    private static List<Double> losses(Path runDir) {
        List<Metrics.Iterations> windows = lines(runDir, Metrics.Line.class, Metrics.Iterations.class);
        assertThat(windows.stream().map(Metrics.Iterations::iteration).toList())
                .as("one line per iteration").doesNotHaveDuplicates().isSorted();
        return windows.stream().map(Metrics.Iterations::loss).toList();
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    @Test
    void aNanLossStopsTrainingAndKeepsTheLastGoodCheckpoint() {
        SyntheticImages data = train4();
        int[] batches = {0};
        data.setPreProcessor(batch -> {
            if (++batches[0] == 5) {
                batch.getFeatures().putScalar(0, Double.NaN);
            }
        });
        Trainer trainer = new Trainer(tmp).withCheckpointEvery(2).withConsole(Trainer.Console.QUIET);
        assertThatThrownBy(() -> trainer.fit(tinyNet(4, 16, 3), recipe(1, 3e-3), data, val4()))
                .isInstanceOf(TrainingDivergedException.class)
                .hasMessageContaining("iteration 5")
                .hasMessageContaining("the last good checkpoint, " + new RunDirectory(tmp).checkpointFile(0, 4)
                        + ", was kept")
                .hasMessageContaining("lower learning rate")
                .satisfies(e -> assertThat(((TrainingDivergedException) e).iteration()).isEqualTo(5));
        Checkpoint last = trainer.latest();
        assertThat(last.info().iteration()).isEqualTo(4);
        assertThat(last.graph().params().isNaN().any()).isFalse();
    }

    @Test
    void parametersThatOverflowWhileTheLossStaysFiniteAreNeverSaved() {
        // one batch of huge pixels overflows the batch norm's running variance; training-mode batch norm divides by
        // the batch's own variance, so the loss stays finite
        SyntheticImages data = train4();
        int[] batches = {0};
        data.setPreProcessor(batch -> {
            if (++batches[0] == 5) {
                batch.getFeatures().muli(1e30);
            }
        });
        Trainer trainer = new Trainer(tmp).withCheckpointEvery(2).withConsole(Trainer.Console.QUIET);
        Path kept = new RunDirectory(tmp).checkpointFile(0, 4);
        assertThatThrownBy(() -> trainer.fit(tinyNet(4, 16, 3), recipe(2, 3e-3), data, val4()))
                .isInstanceOf(TrainingDivergedException.class)
                .hasMessageContaining("NaN or infinite values after iteration 6")
                .hasMessageContaining("the last good checkpoint, " + kept + ", was kept");
        assertThat(new RunDirectory(tmp).checkpoints()).startsWith(kept).allSatisfy(c ->
                assertThat(Checkpoint.nonFinite(Checkpoint.load(c).graph())).isNull());
        assertThat(tmp.resolve(RunDirectory.BEST)).doesNotExist();
    }

    @Test
    void aDivergenceBeforeTheFirstCheckpointSaysThatNothingWasSaved() {
        SyntheticImages data = train4();
        data.setPreProcessor(batch -> batch.getFeatures().muli(1e30));
        Trainer trainer = new Trainer(tmp).withConsole(Trainer.Console.QUIET);
        assertThatThrownBy(() -> trainer.fit(tinyNet(4, 16, 3), recipe(1, 3e-3), data, val4()))
                .isInstanceOf(TrainingDivergedException.class)
                .hasMessageContaining("before its first checkpoint, so " + tmp + " holds nothing to resume")
                .message().doesNotContain("was kept");
        assertThat(new RunDirectory(tmp).checkpoints()).isEmpty();
        assertThat(tmp.resolve(RunDirectory.BEST)).doesNotExist();
    }

    @Test
    @Tag("slow")
    void learnsSyntheticPatternsAndWritesTheRunFiles() throws IOException {
        SyntheticImages train = SyntheticImages.create(320, 10, 32, 0.6, 32, 21, 22);
        SyntheticImages val = SyntheticImages.create(100, 10, 32, 0.6, 32, 23, 24);
        ResNetSpec spec = new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 8, false, 32);
        ComputationGraph net = Zoo.create(spec, 10, 1);
        TrainingRecipe recipe = new TrainingRecipe("synthetic", null, new TrainingRecipe.AdamW(), 3e-3, 0.01, 32, 4,
                new TrainingRecipe.Cosine(0.5, null), 0.1, 32, "eval", 7, null);
        Trainer trainer = new Trainer(tmp).withModelName("resnet-tiny").withMetricsWindow(5).withKeepLast(1)
                .withConsole(Trainer.Console.PLAIN);
        TrainingResult result = trainer.fit(net, spec, recipe, train, val);
        assertThat(trainer.best().info().spec()).isEqualTo(spec);

        // chance is 0.1; 4 epochs reach 0.46-0.90 depending on the initialization (measured over seeds 1-4)
        assertThat(result.bestTop1()).isGreaterThan(0.3);
        assertThat(result.model()).isEqualTo("resnet-tiny");
        assertThat(result.epochs()).isEqualTo(4);
        assertThat(result.iterations()).isEqualTo(40);
        assertThat(result.imagesPerSecond()).isPositive();
        assertThat(Json.read(tmp.resolve(RunDirectory.SUMMARY), TrainingResult.class)).isEqualTo(result);
        assertThat(Recipes.load(tmp.resolve(RunDirectory.RECIPE))).isEqualTo(recipe);

        List<Metrics.Epoch> epochs = lines(tmp, Metrics.Line.class, Metrics.Epoch.class);
        assertThat(epochs).hasSize(4);
        assertThat(epochs.get(3).trainLoss()).isLessThan(epochs.get(0).trainLoss());
        assertThat(epochs.get(3).perClassAccuracy()).hasSize(10);
        assertThat(lines(tmp, Metrics.Line.class, Metrics.Iterations.class)).hasSize(8);
        for (String png : List.of("loss.png", "accuracy.png", "confusion.png")) {
            byte[] bytes = Files.readAllBytes(tmp.resolve(png));
            assertThat(bytes).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
        }
        assertThat(new RunDirectory(tmp).checkpoints()).hasSize(1);
        Checkpoint best = trainer.best();
        assertThat(best.info().valTop1()).isEqualTo(result.bestTop1());
        assertThat(best.info().classNames()).hasSize(10);
        assertThat(EvalReport.of(best.graph(), val, best.info().classNames()).top1())
                .isCloseTo(result.bestTop1(), within(1e-9));
        RunState.Confusion confusion = Json.read(tmp.resolve(RunDirectory.CONFUSION_JSON), RunState.Confusion.class);
        assertThat(Stream.of(confusion.counts()).flatMapToInt(java.util.Arrays::stream).sum()).isEqualTo(100);
    }
}
