package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.examples.testing.Cli;
import io.github.visionzoo.examples.testing.Cli.Result;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.train.Checkpoint;
import io.github.visionzoo.zoo.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spark-train} in Spark's {@code local[2]} mode on the synthetic Imagenette: a tiny ResNet for two epochs with
 * gradient sharing, the images decoded by the Spark data source, and the run read back by the single-machine
 * commands.
 */
@Tag("spark")
class SparkTrainCommandTest {
    @TempDir
    static Path dir;
    static Path data;
    static Path model;
    static Path recipe;

    @BeforeAll
    static void data() throws IOException {
        data = Cli.synth(dir.resolve("synthetic"), 16, 4, 40);
        model = Cli.tinyResNet(dir.resolve("tiny-resnet.json"), 16);
        recipe = Cli.quickRecipe(dir.resolve("quick.json"), 2,
                "\"spark\":{\"master\":\"parameter-averaging\",\"averagingFrequency\":1}");
    }

    @Test
    void trainsWithSharedGradientsInLocalModeAndTheSingleMachineCommandsReadTheRun() throws IOException {
        Path run = dir.resolve("run");
        Result r = Cli.run("spark-train", "--master", "local[2]", "--model", model.toString(), "--data",
                data.toString(), "--recipe", recipe.toString(), "--training-master", "shared-gradients",
                "--workers", "2", "--run-dir", run.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("training tiny-resnet at 32 px", "160 train, 40 val images",
                "shared-gradients with 2 workers", "val top-1", "best checkpoint");

        TrainingResult result = Json.read(run.resolve("summary.json"), TrainingResult.class);
        assertThat(result.epochs()).isEqualTo(2);
        assertThat(result.recipe().spark().master()).isEqualTo("shared-gradients");
        assertThat(result.iterations()).as("10 batches per epoch on 2 workers").isEqualTo(10);
        List<String> epochs = Files.readAllLines(run.resolve("metrics.jsonl")).stream()
                .filter(l -> l.contains("\"type\":\"epoch\"")).toList();
        assertThat(epochs).hasSize(2);
        assertThat(trainLoss(epochs.get(1))).as("training loss falls").isLessThan(trainLoss(epochs.get(0)));

        Checkpoint best = Checkpoint.load(run.resolve("best.zip"));
        assertThat(best.info().model()).isEqualTo("tiny-resnet");
        Result eval = Cli.run("evaluate", "--checkpoint", run.resolve("best.zip").toString(), "--data",
                data.toString());
        assertThat(eval.code()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("on 40 images: top-1",
                String.format(java.util.Locale.ROOT, "%.1f", 100 * best.info().valTop1()));

        Result master = Cli.run("spark-train", "--master", "local[2]", "--resume", run.toString(),
                "--training-master", "parameter-averaging");
        assertThat(master.code()).as(master.err()).isEqualTo(2);
        assertThat(master.err()).contains("--training-master parameter-averaging differs from the run's"
                + " shared-gradients");
        Result extended = Cli.run("spark-train", "--master", "local[2]", "--resume", run.toString(), "--epochs",
                "3");
        assertThat(extended.code()).as(extended.err()).isZero();
        assertThat(extended.out()).contains("after epoch 2 of 3");
        assertThat(run.resolve("synthetic-imagenette")).as("trained on the run's data").doesNotExist();
        assertThat(Json.read(run.resolve("summary.json"), TrainingResult.class).iterations()).isEqualTo(15);
    }

    private static double trainLoss(String epochLine) {
        return Json.read(epochLine, com.fasterxml.jackson.databind.JsonNode.class, "metrics").get("trainLoss")
                .asDouble();
    }

    @Test
    void badInputNamesTheArgument() {
        Result master = Cli.run("spark-train", "--master", "local[2]", "--data", data.toString(),
                "--training-master", "ring", "--run-dir", dir.resolve("r1").toString());
        assertThat(master.code()).isEqualTo(2);
        assertThat(master.err()).contains("--training-master", "parameter-averaging", "shared-gradients", "'ring'");

        Result missing = Cli.run("spark-train", "--master", "local[2]", "--data",
                dir.resolve("nowhere").toString(), "--run-dir", dir.resolve("r2").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--data", "nowhere", "hdfs://");

        Result noMaster = Cli.run("spark-train", "--data", data.toString(), "--run-dir",
                dir.resolve("r3").toString());
        assertThat(noMaster.code()).isEqualTo(2);
        assertThat(noMaster.err()).contains("no Spark master", "--master local[2]", "spark-submit");

        Result workers = Cli.run("spark-train", "--master", "local[2]", "--data", data.toString(), "--workers",
                "0", "--run-dir", dir.resolve("r4").toString());
        assertThat(workers.code()).isEqualTo(2);
        assertThat(workers.err()).contains("--workers", ">= 1");
    }
}
