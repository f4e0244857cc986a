package io.github.visionzoo.examples;

import static io.github.visionzoo.examples.testing.Cli.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.examples.testing.Cli.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @Test
    void listPrintsEveryModelWithItsParameterCount() {
        Result r = run("list");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("alexnet", "58,322,314", "227x227", "vgg16", "134,301,514", "resnet34_convbias",
                "21,298,314");
    }

    @Test
    void summaryPrintsTheTableAndTotals() {
        Result r = run("summary", "resnet18");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("layer4.1.conv2", "[-1, 512, 7, 7]", "Total params: 11,181,642",
                "Params size (MB): 42.65", "Forward GFLOP per image: 3.627");
    }

    @Test
    void summaryAtAnotherImageSize() {
        Result r = run("summary", "resnet18", "--image-size", "64", "--classes", "5");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("[-1, 512, 2, 2]", "[-1, 5]");
    }

    @Test
    void summaryOfASpecFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("small-resnet.json");
        Files.writeString(file, io.github.visionzoo.zoo.Json.write(new io.github.visionzoo.zoo.models.ResNetSpec(
                io.github.visionzoo.zoo.models.ResNetSpec.Block.BASIC, java.util.List.of(1, 1, 1, 1), 16, false, 32)));
        Result r = run("summary", file.toString(), "--classes", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("layer4.0.conv2", "[-1, 128, 1, 1]", "[-1, 3]");
        assertThat(run("summary", dir.resolve("missing.json").toString()).err())
                .contains("missing.json", "does not exist", "resnet34");
    }

    @Test
    void unknownModelIsBadInputWithTheKnownNames() {
        Result r = run("summary", "resnet35");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown model 'resnet35'", "resnet34").doesNotContain("\tat ");
    }

    @Test
    void wrongAlexNetSizeIsBadInput() {
        Result r = run("summary", "alexnet", "--image-size", "224");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("227");
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertThat(run("list", "--bogus").code()).isEqualTo(2);
    }

    @Test
    void synthWritesTheOfficialLayout(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("synthetic");
        Result r = run("synth", "--to", root.toString(), "--train-per-class", "2", "--val-per-class", "1",
                "--size", "32");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("20 train + 10 val images");
        assertThat(root.resolve("train/n01440764")).isDirectory();
        assertThat(root.resolve("val/n03888257")).isDirectory();
        assertThat(root.resolve("noisy_imagenette.csv")).isRegularFile();
        try (var files = Files.list(root.resolve("train/n02102040"))) {
            assertThat(files.filter(p -> p.toString().endsWith(".JPEG")).count()).isEqualTo(2);
        }
    }

    @Test
    void synthRefusesANonEmptyFolder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("keep.txt"), "mine");
        Result r = run("synth", "--to", dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--to", "not a new or empty folder");
        assertThat(dir.resolve("keep.txt")).hasContent("mine");
    }

    @Test
    void downloadOfAnUnknownVariantIsBadInput(@TempDir Path dir) {
        Result r = run("download", "imagenette3", "--to", dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("imagenette3", "imagenette2-160");
    }
}
