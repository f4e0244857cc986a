package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.examples.testing.Cli;
import io.github.visionzoo.examples.testing.Cli.Result;
import io.github.visionzoo.imagenette.Imagenette;
import io.github.visionzoo.zoo.layers.Conv2d;
import io.github.visionzoo.zoo.train.Checkpoint;
import io.github.visionzoo.zoo.train.RunDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** train, evaluate, finetune and predict on a tiny synthetic set, then every bad input they must refuse. */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainCommandsTest {
    @TempDir
    static Path dir;
    static Path data;
    static Path run;
    static Path model;
    static Path recipe;

    @BeforeAll
    static void data() {
        data = Cli.synth(dir.resolve("synthetic"), 16, 4, 40);
        run = dir.resolve("run");
        model = Cli.tinyResNet(dir.resolve("tiny-resnet.json"), 16);
        recipe = Cli.quickRecipe(dir.resolve("quick.json"), 8,
                "\"description\":\"test\",\"weightDecay\":0.0,\"schedule\":{\"type\":\"constant\"}");
    }

    @Test
    @Order(1)
    void trainWritesTheRunDirectory() throws Exception {
        Result r = Cli.run("train", "--model", model.toString(), "--data", data.toString(), "--recipe",
                recipe.toString(), "--run-dir", run.toString(), "--checkpoint-every", "0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("training tiny-resnet at 32 px", "160 train, 40 val images", "val top-1",
                "best checkpoint");
        assertThat(run.resolve("best.zip")).isRegularFile();
        assertThat(run.resolve("summary.json")).content().contains("\"model\"", "tiny-resnet", "bestTop1");
        assertThat(run.resolve("metrics.jsonl")).isNotEmptyFile();
        assertThat(run.resolve("loss.png")).isNotEmptyFile();
        assertThat(run.resolve("confusion.png")).isNotEmptyFile();
    }

    /**
     * {@code --precision bf16}: said at the start, kept in the run's recipe and in its checkpoints' convolutions, and
     * so in a resumed run.
     */
    @Test
    @Order(2)
    void trainInBf16KeepsItThroughResume() throws Exception {
        Path bf16Run = dir.resolve("bf16-run");
        Result r = Cli.run("train", "--model", model.toString(), "--data", data.toString(), "--recipe",
                recipe.toString(), "--precision", "bf16", "--epochs", "1", "--run-dir", bf16Run.toString(),
                "--checkpoint-every", "0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("precision bf16: ", "val top-1");
        assertThat(bf16Run.resolve("recipe.json")).content().contains("\"precision\" : \"bf16\"");

        Result resumed = Cli.run("train", "--resume", bf16Run.toString(), "--epochs", "2");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("after epoch 1 of 2", "precision bf16: ");
        Checkpoint latest = new RunDirectory(bf16Run).latest();
        assertThat(latest.info().epochsCompleted()).isEqualTo(2);
        ComputationGraph graph = latest.graph();
        assertThat(graph.getConfiguration().getVertices().values()).filteredOn(v -> v instanceof LayerVertex lv
                && lv.getLayerConf().getLayer() instanceof Conv2d).isNotEmpty().allMatch(v ->
                ((Conv2d) ((LayerVertex) v).getLayerConf().getLayer()).isBf16());
    }

    @Test
    @Order(2)
    void trainWithoutARecipeTrainsWithTheModelFamilysOwn() throws Exception {
        Path vit = Files.writeString(dir.resolve("tiny-vit.json"), "{\"family\":\"vit\",\"patchSize\":8,"
                + "\"hiddenDim\":32,\"numLayers\":1,\"numHeads\":2,\"mlpDim\":64,\"dropout\":0,"
                + "\"attentionDropout\":0,\"imageSize\":32}");
        Path vitRun = dir.resolve("vit-run");
        Result r = Cli.run("train", "--model", vit.toString(), "--data", data.toString(), "--epochs", "1",
                "--image-size", "32", "--run-dir", vitRun.toString(), "--checkpoint-every", "0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("recipe cpu-transformer, 1 epochs");
        assertThat(vitRun.resolve("recipe.json")).content().contains("\"warmupEpochs\"", "\"batchSize\" : 32");
    }

    @Test
    @Order(3)
    void evaluatePrintsAccuracyPerClassAndTheConfusionMatrix() {
        Result r = Cli.run("evaluate", "--checkpoint", run.resolve("best.zip").toString(), "--data",
                data.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("on 40 images: top-1", "tench", "parachute", "confusion matrix");
        Result ensemble = Cli.run("evaluate", "--ensemble", run.resolve("best.zip").toString(),
                run.resolve("best.zip").toString(), "--data", data.toString());
        assertThat(ensemble.code()).as(ensemble.err()).isZero();
        assertThat(ensemble.out()).contains("ensemble of 2 on 40 images");
    }

    @Test
    @Order(4)
    void predictNamesTheClassOfATrainingImageFirst() throws Exception {
        String wnid = Imagenette.WNIDS.get(8); // golf ball
        Path image;
        try (Stream<Path> files = Files.list(data.resolve("train").resolve(wnid))) {
            image = files.sorted().findFirst().orElseThrow();
        }
        Result r = Cli.run("predict", "--checkpoint", run.resolve("best.zip").toString(), image.toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).endsWith(image + ":");
        assertThat(lines.get(1)).contains("golf ball (" + wnid + ")");
        assertThat(lines).hasSize(6);
    }

    @Test
    @Order(5)
    void finetuneTrainsANewHeadOnASubset() {
        Path ft = dir.resolve("ft");
        Result r = Cli.run("finetune", "--checkpoint", run.resolve("best.zip").toString(), "--data",
                data.toString(), "--classes", "3", "--freeze-up-to", "avgpool", "--epochs", "1", "--run-dir",
                ft.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("to 3 classes (frozen up to avgpool)");
        assertThat(ft.resolve("best.zip")).isRegularFile();
        Result eval = Cli.run("evaluate", "--checkpoint", ft.resolve("best.zip").toString(), "--data",
                data.toString());
        assertThat(eval.out()).contains("on 12 images");
    }

    @Test
    @Order(6)
    void resumeOfAFinishedRunReportsIt() {
        Result r = Cli.run("train", "--resume", run.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("val top-1");
    }

    @Test
    void badInputsExitWithTwoAndNameTheProblem() throws Exception {
        Path bogusCheckpoint = dir.resolve("bogus.zip");
        Files.writeString(bogusCheckpoint, "not a checkpoint");
        Path notAnImage = dir.resolve("photo.JPEG");
        Files.writeString(notAnImage, "not an image");
        Path badRecipe = dir.resolve("recipe.json");
        Files.writeString(badRecipe, "{\"name\":\"x\",\"optimizer\":\"adamx\"}");
        String[][] cases = {
                {"--data", "train", "--data", dir.resolve("missing").toString()},
                {"unknown model", "train", "--model", "resnet35", "--data", data.toString()},
                {"227", "train", "--model", "alexnet", "--data", data.toString(), "--image-size", "224"},
                {"bogus.zip", "evaluate", "--checkpoint", bogusCheckpoint.toString(), "--data", data.toString()},
                {"photo.JPEG", "predict", "--checkpoint", run.resolve("best.zip").toString(), notAnImage.toString()},
                {"recipe.json", "train", "--recipe", badRecipe.toString(), "--data", data.toString()},
                {"cpu-huge", "train", "--recipe", "cpu-huge", "--data", data.toString()},
                {"not a run directory", "train", "--resume", dir.resolve("nowhere").toString()},
                {"--batch must be >= 1", "train", "--batch", "0", "--data", data.toString()},
                {"--precision must be float32 or bf16, was 'fp16'", "train", "--precision", "fp16", "--data",
                        data.toString()},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            Result r = Cli.run(args);
            assertThat(r.code()).as(String.join(" ", args) + "\n" + r.err()).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", args)).containsIgnoringCase(c[0]).doesNotContain("\tat ");
        }
    }
}
