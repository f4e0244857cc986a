package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.examples.testing.Cli;
import io.github.visionzoo.examples.testing.Cli.Result;
import io.github.visionzoo.examples.bench.ChildProcess;
import io.github.visionzoo.imagenette.Imagenette;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.train.TrainingResult;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as a user chains it, each step reading what the one before wrote, on small JPEG photos written
 * here in Imagenette's layout: {@code train} in a JVM of its own, killed once its first checkpoint exists; resumed
 * on the data the run recorded, then extended by an epoch; the best checkpoint evaluated, exported to safetensors
 * and imported back; the import fine-tuned on three classes; a photo predicted with the fine-tuned checkpoint.
 */
@Tag("slow")
class UserFlowTest {
    private static final Pattern PREDICTION = Pattern.compile("\\s*(\\d+\\.\\d\\d) %\\s+(.+)");

    @TempDir
    Path dir;

    @Test
    void trainKilledResumeEvaluateExportImportFinetunePredict() throws Exception {
        Path data = photos(dir.resolve("imagenette"), 6, 2);
        Path model = Cli.tinyResNet(dir.resolve("tiny-resnet.json"), 8);
        Path recipe = dir.resolve("quick.json");
        Files.writeString(recipe, "{\"name\":\"quick\",\"optimizer\":\"adamw\",\"learningRate\":0.003,"
                + "\"weightDecay\":0.01,\"batchSize\":6,\"epochs\":3,\"schedule\":{\"type\":\"constant\"},"
                + "\"imageSize\":32,\"augmentation\":\"study\",\"seed\":3}");
        Path run = dir.resolve("run");

        Process train = new ProcessBuilder(ChildProcess.javaCommand(VisionZooCli.class, List.of("train", "--model",
                model.toString(), "--data", data.toString(), "--recipe", recipe.toString(), "--run-dir",
                run.toString(), "--checkpoint-every", "2")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("train.log").toFile()).start();
        try {
            while (checkpoints(run).isEmpty()) {
                assertThat(train.isAlive()).as(Files.readString(dir.resolve("train.log"))).isTrue();
                Thread.sleep(10);
            }
        } finally {
            train.destroyForcibly();
        }
        assertThat(train.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(train.exitValue()).as("killed").isNotZero();
        assertThat(checkpoints(run)).isNotEmpty();

        Result resumed = Cli.run("train", "--resume", run.toString());
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("resuming tiny-resnet in " + run, "of 3");
        assertThat(Json.read(run.resolve("summary.json"), TrainingResult.class).epochs()).isEqualTo(3);
        Result extended = Cli.run("train", "--resume", run.toString(), "--epochs", "4");
        assertThat(extended.code()).as(extended.err()).isZero();
        assertThat(extended.out()).contains("after epoch 3 of 4");
        assertThat(Json.read(run.resolve("summary.json"), TrainingResult.class).epochs()).isEqualTo(4);
        assertThat(run.resolve("synthetic-imagenette")).as("trained on the photos").doesNotExist();
        Path best = run.resolve("best.zip");

        Result evaluated = Cli.run("evaluate", "--checkpoint", best.toString(), "--data", data.toString());
        assertThat(evaluated.code()).as(evaluated.err()).isZero();
        assertThat(evaluated.out()).contains(best + " on 20 images: top-1");

        Path exported = dir.resolve("tiny.safetensors");
        Result export = Cli.run("export", "--checkpoint", best.toString(), "--to", exported.toString());
        assertThat(export.code()).as(export.err()).isZero();
        assertThat(export.out()).contains("wrote 32 tensors of " + best);
        Path newest = checkpoints(run).get(checkpoints(run).size() - 1);
        Result exportCheckpoint = Cli.run("export", "--checkpoint", newest.toString(), "--to",
                dir.resolve("newest.safetensors").toString());
        assertThat(exportCheckpoint.code()).as(exportCheckpoint.err()).isZero();

        Path imported = dir.resolve("imported.zip");
        Result importBack = Cli.run("import", "--from", exported.toString(), "--to", imported.toString());
        assertThat(importBack.code()).as(importBack.err()).isZero();
        assertThat(importBack.out()).contains("(10 classes): loaded 32 tensors", "saved " + imported);

        Path photo = data.resolve("val").resolve(Imagenette.WNIDS.get(1)).resolve(Imagenette.WNIDS.get(1) + "_0.JPEG");
        List<Prediction> original = predict(best, photo);
        List<Prediction> reimported = predict(imported, photo);
        assertThat(reimported).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(reimported.get(i).label()).isEqualTo(original.get(i).label());
            assertThat(reimported.get(i).percent()).isCloseTo(original.get(i).percent(), within(0.011));
        }
        Result evaluatedImport = Cli.run("evaluate", "--checkpoint", imported.toString(), "--data",
                data.toString());
        assertThat(evaluatedImport.code()).as(evaluatedImport.err()).isZero();
        assertThat(topK(evaluatedImport.out())).isEqualTo(topK(evaluated.out()));

        Path finetuned = dir.resolve("finetuned");
        Result finetune = Cli.run("finetune", "--checkpoint", imported.toString(), "--data", data.toString(),
                "--classes", "3", "--epochs", "1", "--run-dir", finetuned.toString());
        assertThat(finetune.code()).as(finetune.err()).isZero();
        assertThat(finetune.out()).contains("fine-tuning tiny to 3 classes, 1 epochs");

        List<Prediction> tuned = predict(finetuned.resolve("best.zip"), photo);
        assertThat(tuned).hasSize(3);
        assertThat(tuned.stream().map(Prediction::label).toList()).containsExactlyInAnyOrder(
                "tench (" + Imagenette.WNIDS.get(0) + ")", "English springer (" + Imagenette.WNIDS.get(1) + ")",
                "cassette player (" + Imagenette.WNIDS.get(2) + ")");
        assertThat(tuned.stream().mapToDouble(Prediction::percent).sum()).isCloseTo(100, within(0.05));
    }

    /** One line of {@code predict}: a probability in percent and the class. */
    private record Prediction(double percent, String label) {
    }

    private static List<Prediction> predict(Path checkpoint, Path photo) {
        Result r = Cli.run("predict", "--checkpoint", checkpoint.toString(), photo.toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo(photo + ":");
        List<Prediction> out = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            Matcher m = PREDICTION.matcher(line);
            assertThat(m.matches()).as(line).isTrue();
            out.add(new Prediction(Double.parseDouble(m.group(1)), m.group(2)));
        }
        return out;
    }

    /** The "top-1 ..., top-5 ..." of evaluate's first line. */
    private static String topK(String evaluateOutput) {
        String first = evaluateOutput.lines().findFirst().orElseThrow();
        return first.substring(first.indexOf("top-1"), first.indexOf(", loss"));
    }

    private static List<Path> checkpoints(Path run) throws IOException {
        if (!Files.isDirectory(run)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(run)) {
            return files.filter(f -> f.getFileName().toString().matches("ckpt-.*\\.zip")).sorted().toList();
        }
    }

    /**
     * Imagenette's layout ({@code ROOT/train/<wnid>/*.JPEG}, {@code ROOT/val/...}) of JPEG photos of a few dozen
     * pixels, each class its own colour with a bright blob somewhere, sizes varying.
     */
    private static Path photos(Path root, int trainPerClass, int valPerClass) throws IOException {
        Random random = new Random(5);
        for (String split : List.of("train", "val")) {
            for (int c = 0; c < Imagenette.WNIDS.size(); c++) {
                String wnid = Imagenette.WNIDS.get(c);
                Path folder = Files.createDirectories(root.resolve(split).resolve(wnid));
                for (int i = 0; i < (split.equals("train") ? trainPerClass : valPerClass); i++) {
                    int w = 40 + random.nextInt(24);
                    int h = 36 + random.nextInt(24);
                    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                    Graphics2D g = image.createGraphics();
                    g.setColor(Color.getHSBColor(c / 10f, 0.8f, 0.5f + 0.4f * random.nextFloat()));
                    g.fillRect(0, 0, w, h);
                    g.setColor(Color.WHITE);
                    g.fillOval(random.nextInt(w / 2), random.nextInt(h / 2), w / 3, h / 3);
                    g.dispose();
                    assertThat(ImageIO.write(image, "jpg", folder.resolve(wnid + "_" + i + ".JPEG").toFile()))
                            .isTrue();
                }
            }
        }
        return root;
    }
}
