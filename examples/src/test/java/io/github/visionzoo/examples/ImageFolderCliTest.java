package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.examples.testing.Cli;
import io.github.visionzoo.examples.testing.Cli.Result;
import io.github.visionzoo.zoo.train.Checkpoint;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --data} on a user's own folder of classes (not Imagenette's WordNet ids), then {@code evaluate} and
 * {@code predict} on what it wrote, which name the user's classes; and the layouts it refuses.
 */
class ImageFolderCliTest {
    private static final List<String> CLASSES = List.of("cat", "dog", "red-fox");

    @TempDir
    Path dir;

    @Test
    void trainEvaluatePredictOnAFolderOfOwnClasses() throws Exception {
        Path data = photos(dir.resolve("pets"), CLASSES, 8, 2);
        Path model = dir.resolve("tiny.json");
        Files.writeString(model, "{\"family\":\"resnet\",\"block\":\"basic\",\"layers\":[1,1],\"width\":8,"
                + "\"convBias\":false,\"imageSize\":32}");
        Path recipe = dir.resolve("quick.json");
        Files.writeString(recipe, "{\"name\":\"quick\",\"optimizer\":\"adamw\",\"learningRate\":0.003,"
                + "\"batchSize\":8,\"epochs\":2,\"imageSize\":32,\"augmentation\":\"study\",\"seed\":3}");
        Path run = dir.resolve("run");

        Result train = Cli.run("train", "--model", model.toString(), "--data", data.toString(), "--recipe",
                recipe.toString(), "--run-dir", run.toString(), "--checkpoint-every", "0");
        assertThat(train.code()).as(train.err()).isZero();
        assertThat(train.out()).contains("(24 train, 6 val images)");
        assertThat(run.resolve("run.json")).content().contains("\"classes\" : [ \"cat\", \"dog\", \"red-fox\" ]");
        Path best = run.resolve("best.zip");
        assertThat(Checkpoint.readInfo(best).classNames()).isEqualTo(CLASSES);
        assertThat(Checkpoint.readInfo(best).numClasses()).isEqualTo(3);

        Result evaluated = Cli.run("evaluate", "--checkpoint", best.toString(), "--data", data.toString());
        assertThat(evaluated.code()).as(evaluated.err()).isZero();
        assertThat(evaluated.out()).contains(best + " on 6 images: top-1");
        assertThat(evaluated.out().lines().filter(l -> l.matches("  (cat    |dog    |red-fox) +\\d+\\.\\d\\d %")))
                .hasSize(3);

        Path photo = data.resolve("val/red-fox/1.jpg");
        Result predicted = Cli.run("predict", "--checkpoint", best.toString(), photo.toString());
        assertThat(predicted.code()).as(predicted.err()).isZero();
        List<String> lines = predicted.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo(photo + ":");
        assertThat(lines.subList(1, lines.size())).hasSize(3)
                .allMatch(l -> l.matches(" +\\d+\\.\\d\\d %  (cat|dog|red-fox)"), "a class name per line")
                .anyMatch(l -> l.endsWith("  red-fox"));
    }

    @Test
    void aFolderWithoutClassFoldersIsRefusedInOneLineAndLeavesNoRun() throws Exception {
        Path data = dir.resolve("flat");
        for (String split : List.of("train", "val")) {
            Files.createDirectories(data.resolve(split));
            ImageIO.write(image(Color.RED, new Random(1)), "jpg", data.resolve(split).resolve("a.jpg").toFile());
        }
        Path run = dir.resolve("run");
        Result r = Cli.run("train", "--data", data.toString(), "--run-dir", run.toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err().lines().findFirst().orElseThrow()).isEqualTo("visionzoo train: Split folder "
                + data.toAbsolutePath().resolve("train") + " has no class folder: a classifier needs a folder of"
                + " images per class, at least two. Found: [a.jpg].");
        assertThat(r.err()).contains("train/<class>/*.jpg").doesNotContain("Exception", "\tat ");
        assertThat(run).doesNotExist();
    }

    @Test
    void splitsWithOtherClassFoldersAreRefused() throws Exception {
        Path data = photos(dir.resolve("pets"), CLASSES, 1, 1);
        Files.move(data.resolve("val/red-fox"), data.resolve("val/fox"));
        Path run = dir.resolve("run");
        Result r = Cli.run("train", "--data", data.toString(), "--run-dir", run.toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err()).startsWith("visionzoo train: --data " + data + ": the train split's class folders [cat,"
                + " dog, red-fox] are not the val split's [cat, dog, fox]; give both splits the same class folders");
        assertThat(run).doesNotExist();
    }

    /** JPEG photos of a few dozen pixels in {@code ROOT/{train,val}/<class>/<i>.jpg}, each class its own colour. */
    private static Path photos(Path root, List<String> classes, int train, int val) throws IOException {
        Random random = new Random(5);
        for (String split : List.of("train", "val")) {
            for (int c = 0; c < classes.size(); c++) {
                Path folder = Files.createDirectories(root.resolve(split).resolve(classes.get(c)));
                for (int i = 0; i < (split.equals("train") ? train : val); i++) {
                    Color colour = Color.getHSBColor(c / (float) classes.size(), 0.8f, 0.5f + 0.4f * random.nextFloat());
                    ImageIO.write(image(colour, random), "jpg", folder.resolve(i + ".jpg").toFile());
                }
            }
        }
        return root;
    }

    private static BufferedImage image(Color colour, Random random) {
        int w = 36 + random.nextInt(24);
        int h = 36 + random.nextInt(24);
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.WHITE);
        g.fillOval(random.nextInt(w / 2), random.nextInt(h / 2), w / 3, h / 3);
        g.dispose();
        return image;
    }
}
