package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.examples.testing.Cli;
import io.github.visionzoo.examples.testing.Cli.Result;
import io.github.visionzoo.examples.bench.ChildProcess;
import io.github.visionzoo.examples.cli.RunRecord;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.train.Recipes;
import io.github.visionzoo.zoo.train.RunLock;
import io.github.visionzoo.zoo.train.RunDirectory;
import io.github.visionzoo.zoo.train.TrainingResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --resume} as a user chains it: on the data the run recorded, extended with {@code --epochs}, refusing
 * the options that cannot change and data that is gone or different, locked while a process trains, and resumed after
 * a kill with the losses of an uninterrupted run. A tiny ResNet on 100 small JPEG files written by the test.
 */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ResumeCommandTest {
    @TempDir
    static Path dir;
    static Path data;
    static Path run;
    static Path model;
    static Path recipe;

    @BeforeAll
    static void data() throws IOException {
        data = synth("data", 8);
        run = dir.resolve("run");
        model = Cli.tinyResNet(dir.resolve("tiny-resnet.json"), 8);
        recipe = Cli.quickRecipe(dir.resolve("quick.json"), 2, "\"schedule\":{\"type\":\"constant\"}");
    }

    private static Path synth(String name, int trainPerClass) {
        return Cli.synth(dir.resolve(name), trainPerClass, 2, 40);
    }

    private static List<String> train(Path runDir, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--model", model.toString(), "--data", data.toString(),
                "--recipe", recipe.toString(), "--run-dir", runDir.toString()));
        args.addAll(List.of(more));
        return args;
    }

    private static Result run(List<String> args) {
        return Cli.run(args);
    }

    @Test
    @Order(1)
    void resumeTrainsOnTheRecordedDataAndEpochsExtendAFinishedRun() {
        Result first = run(train(run, "--checkpoint-every", "0"));
        assertThat(first.code()).as(first.err()).isZero();
        RunRecord record = Json.read(run.resolve(RunRecord.FILE), RunRecord.class);
        assertThat(record).isEqualTo(new RunRecord(data.toAbsolutePath().normalize().toString(), false,
                record.classes(), 80, 20, 1));
        assertThat(record.classes()).hasSize(10);

        Result extended = Cli.run("train", "--resume", run.toString(), "--epochs", "3");
        assertThat(extended.code()).as(extended.err()).isZero();
        assertThat(extended.out()).contains("after epoch 2 of 3", "val top-1");
        assertThat(run.resolve("synthetic-imagenette")).as("no synthetic set in place of the run's data")
                .doesNotExist();
        TrainingResult result = Json.read(run.resolve(RunDirectory.SUMMARY), TrainingResult.class);
        assertThat(result.epochs()).isEqualTo(3);
        assertThat(result.iterations()).as("5 batches per epoch of the run's 80 images").isEqualTo(15);
        assertThat(Recipes.load(run.resolve(RunDirectory.RECIPE)).epochs()).isEqualTo(3);
    }

    @Test
    @Order(2)
    void resumeRefusesByNameTheOptionsThatCannotChange() throws IOException {
        Path otherRecipe = dir.resolve("slower.json");
        Files.writeString(otherRecipe, Files.readString(recipe).replace("0.003", "0.001"));
        Path otherCrop = dir.resolve("other-crop.json");
        Files.writeString(otherCrop, Files.readString(recipe).replace("\"eval\"",
                "{\"preset\":\"eval\",\"evalCropPct\":0.8}"));
        String[][] cases = {
                {"--model resnet18 differs from the run's tiny-resnet", "--model", "resnet18"},
                {"--recipe cpu-small is not the run's recipe 'quick'", "--recipe", "cpu-small"},
                {"--recipe " + otherRecipe, "--recipe", otherRecipe.toString()},
                {"--recipe " + otherCrop, "--recipe", otherCrop.toString()},
                {"nowhere.json", "--recipe", dir.resolve("nowhere.json").toString()},
                {"--batch 8 differs from the run's 16", "--batch", "8"},
                {"--image-size 48 differs from the run's 32", "--image-size", "48"},
                {"--precision bf16 differs from the run's float32", "--precision", "bf16"},
                {"--workers 2 differs from the run's 1", "--workers", "2"},
                {"has completed 3", "--epochs", "2"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("train", "--resume", run.toString()));
            args.addAll(Arrays.asList(c).subList(1, c.length));
            Result r = run(args);
            assertThat(r.code()).as(args + "\n" + r.err()).isEqualTo(2);
            assertThat(r.err()).as(args.toString()).contains(c[0]).doesNotContain("\tat ");
        }
        Result same = Cli.run("train", "--resume", run.toString(), "--model", model.toString(), "--recipe",
                recipe.toString(), "--batch", "16", "--image-size", "32", "--workers", "1", "--epochs", "3");
        assertThat(same.code()).as("the run's own values " + same.err()).isZero();
        assertThat(same.out()).contains("after epoch 3 of 3");
    }

    @Test
    @Order(3)
    void aRunIsLockedWhileItTrainsAndAfterAKillResumesWithTheLossesOfAnUninterruptedRun() throws Exception {
        Path killed = dir.resolve("killed");
        List<String> args = train(killed, "--epochs", "1000", "--checkpoint-every", "1");
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(ChildProcess.javaCommand(VisionZooCli.class, args))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            // every batch writes a checkpoint: wait for the first, so that the kill comes in the middle of training
            while (!hasCheckpoint(killed)) {
                assertThat(child.isAlive()).as("the child stopped: " + read(log)).isTrue();
                assertThat(child.waitFor(50, TimeUnit.MILLISECONDS)).isFalse();
            }
            String holder = "in use by process " + child.pid();
            // --epochs 1 bounds what a resumption would train if the lock failed to stop it
            Result resume = Cli.run("train", "--resume", killed.toString(), "--epochs", "1");
            assertThat(resume.code()).as(resume.err()).isEqualTo(2);
            assertThat(resume.err()).contains(holder, killed.toString()).doesNotContain("\tat ");
            Result second = run(train(killed));
            assertThat(second.code()).as(second.err()).isEqualTo(2);
            assertThat(second.err()).contains(holder);
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(killed.resolve(RunLock.FILE)).as("left by the killed process").content()
                .contains(Long.toString(child.pid()));

        int epochs = new RunDirectory(killed).latestInfo().epochsCompleted() + 1;
        Result resumed = Cli.run("train", "--resume", killed.toString(), "--epochs", Integer.toString(epochs));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(killed.resolve("synthetic-imagenette")).doesNotExist();
        Path uninterrupted = dir.resolve("uninterrupted");
        Result whole = run(train(uninterrupted, "--epochs", Integer.toString(epochs), "--checkpoint-every", "0"));
        assertThat(whole.code()).as(whole.err()).isZero();

        List<JsonEpoch> expected = epochLines(uninterrupted);
        List<JsonEpoch> actual = epochLines(killed);
        assertThat(actual).hasSize(epochs);
        for (int e = 0; e < epochs; e++) {
            assertThat(actual.get(e).trainLoss()).as("epoch " + (e + 1) + " train loss")
                    .isCloseTo(expected.get(e).trainLoss(), within(1e-5));
            assertThat(actual.get(e).trainAccuracy()).as("epoch " + (e + 1) + " train accuracy")
                    .isCloseTo(expected.get(e).trainAccuracy(), within(1e-9));
        }
    }

    @Test
    @Order(4)
    void resumeFollowsDataMovedWithDataAndRefusesDataGoneOrChanged() throws IOException {
        Path moved = dir.resolve("moved");
        Files.move(data, moved);
        Result gone = Cli.run("train", "--resume", run.toString());
        assertThat(gone.code()).as(gone.err()).isEqualTo(2);
        assertThat(gone.err()).contains(data.toAbsolutePath().normalize().toString(), "not a folder any more",
                "--data").doesNotContain("\tat ");
        assertThat(run.resolve("synthetic-imagenette")).doesNotExist();

        Path other = synth("other", 7);
        Result different = Cli.run("train", "--resume", run.toString(), "--data", other.toString());
        assertThat(different.code()).as(different.err()).isEqualTo(2);
        assertThat(different.err()).contains("70 train images where the run had 80", RunRecord.FILE);

        Result found = Cli.run("train", "--resume", run.toString(), "--data", moved.toString());
        assertThat(found.code()).as(found.err()).isZero();
        assertThat(Json.read(run.resolve(RunRecord.FILE), RunRecord.class).data())
                .isEqualTo(moved.toAbsolutePath().normalize().toString());
        assertThat(Cli.run("train", "--resume", run.toString()).code()).as("the new place is recorded")
                .isZero();

        try (Stream<Path> files = Files.list(moved.resolve("val").resolve("n01440764"))) {
            Files.delete(files.sorted().findFirst().orElseThrow());
        }
        Result changed = Cli.run("train", "--resume", run.toString());
        assertThat(changed.code()).as(changed.err()).isEqualTo(2);
        assertThat(changed.err()).contains("19 val images where the run had 20");
    }

    private static boolean hasCheckpoint(Path runDir) throws IOException {
        if (!Files.isDirectory(runDir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(runDir)) {
            return files.anyMatch(f -> f.getFileName().toString().matches("ckpt-.*\\.zip"));
        }
    }

    private static String read(Path log) throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** The parts of an epoch line of {@code metrics.jsonl} compared here. */
    record JsonEpoch(double trainLoss, double trainAccuracy) {
    }

    private static List<JsonEpoch> epochLines(Path runDir) throws IOException {
        List<JsonEpoch> epochs = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve(RunDirectory.METRICS))) {
            com.fasterxml.jackson.databind.JsonNode node = Json.read(line,
                    com.fasterxml.jackson.databind.JsonNode.class, "metrics");
            if (node.get("type").asText().equals("epoch")) {
                epochs.add(new JsonEpoch(node.get("trainLoss").asDouble(), node.get("trainAccuracy").asDouble()));
            }
        }
        return epochs;
    }
}
