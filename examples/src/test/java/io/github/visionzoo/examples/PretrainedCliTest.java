package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.github.visionzoo.examples.testing.Cli;
import io.github.visionzoo.examples.testing.Cli.Result;
import io.github.visionzoo.imagenette.Downloader;
import io.github.visionzoo.imagenette.Imagenette;
import io.github.visionzoo.imagenette.transform.Interpolation;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.zoo.weights.WeightExporter;
import io.github.visionzoo.zoo.weights.WeightsCache;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code list --weights} and {@code predict}, {@code evaluate} and {@code finetune} with {@code --weights}, on a tiny
 * ResNet whose weights a local HTTP server serves through the mirror setting; its classes are Imagenette's ten and
 * two more, so that evaluating on Imagenette's folders reads a subset of the outputs, as ImageNet weights do.
 */
class PretrainedCliTest {
    private static final String MODEL = "cli_tiny_resnet";

    @TempDir
    static Path dir;
    static Path data;
    static HttpServer server;

    @BeforeAll
    static void publishTinyWeights() throws IOException {
        ModelSpec spec = Json.read(Cli.tinyResNetJson(8), ModelSpec.class, "tiny spec");
        Zoo.register(MODEL, spec, "a tiny ResNet with published weights");
        List<String> ids = new ArrayList<>(List.of("n00000001", "n00000002"));
        ids.addAll(Imagenette.WNIDS);
        List<String> names = new ArrayList<>(List.of("extra one", "extra two"));
        Imagenette.WNIDS.forEach(w -> names.add(Imagenette.className(w)));
        PretrainedWeights.ClassList classes = new PretrainedWeights.ClassList("test", ids, names);

        Path file = dir.resolve("tiny.safetensors");
        ComputationGraph graph = Zoo.create(spec, classes.size(), 3);
        WeightExporter.toSafeTensors(graph, spec, file);
        graph.close();
        String sha = Downloader.digest(file, "SHA-256");
        String name = MODEL + "-" + sha.substring(0, 8) + ".safetensors";
        byte[] bytes = Files.readAllBytes(file);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/models/" + name, ex -> {
            ex.sendResponseHeaders(200, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        server.start();
        for (String tag : List.of("TEST_V1", "NEVER_DOWNLOADED")) {
            Zoo.register(new PretrainedWeights(MODEL, tag, List.of(URI.create("https://download.invalid/models/"
                    + name)), tag + "-" + name, Downloader.Checksum.sha256Prefix(sha.substring(0, 8)), classes,
                    PretrainedWeights.EvalTransform.torchvision(32, 36, Interpolation.BICUBIC), 0, 50, 80,
                    "a test", "a test's", "https://example.invalid/recipe"));
        }
        System.setProperty(WeightsCache.HOME_PROPERTY, dir.resolve("home").toString());
        System.setProperty(WeightsCache.MIRROR_PROPERTY, "http://127.0.0.1:" + server.getAddress().getPort());
        data = Cli.synth(dir.resolve("data"), 2, 2, 40);
    }

    @AfterAll
    static void stop() {
        System.clearProperty(WeightsCache.HOME_PROPERTY);
        System.clearProperty(WeightsCache.MIRROR_PROPERTY);
        server.stop(0);
    }

    @Test
    void listShowsTheCatalogueAndTheModelsWithoutWeights() {
        Result r = Cli.run("list", "--weights");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("resnet50 +IMAGENET1K_V2 +1000 +80\\.86 +224x224 +102 MB")
                .containsPattern("vit_s_16 +augreg_in21k_ft_in1k +1000 +81\\.40")
                .contains("models without published weights:", "resnet34_convbias: ", "alexnet: ");
    }

    @Test
    void predictPrintsTheTopFiveClassNamesOfTheWeights() throws IOException {
        Path image;
        try (Stream<Path> s = Files.walk(data.resolve("val"))) {
            image = s.filter(p -> p.toString().endsWith(".JPEG")).findFirst().orElseThrow();
        }
        Result r = Cli.run("predict", "--weights", MODEL + ":TEST_V1", image.toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo(image + ":");
        assertThat(lines.subList(1, 6)).allMatch(l -> l.matches(" +\\d+\\.\\d\\d %  .+ \\(n\\d{8}\\)"));
        try (Stream<Path> s = Files.list(dir.resolve("home/weights"))) {
            assertThat(s.map(p -> p.getFileName().toString()).toList())
                    .anyMatch(n -> n.startsWith("TEST_V1-" + MODEL) && n.endsWith(".safetensors"));
        }
    }

    @Test
    void evaluateReadsTheFoldersClassesAmongTheWeightsOutputs() {
        Result r = Cli.run("evaluate", "--weights", MODEL + ":TEST_V1", "--data", data.toString(), "--batch", "8");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains(MODEL + ":TEST_V1 (resize 36, crop 32, bicubic", "on the 10 classes of",
                "on 20 images: top-1", "tench (n01440764)");
    }

    @Test
    void finetuneStartsFromTheWeightsWithANewHead() {
        Path recipe = Cli.quickRecipe(dir.resolve("quick.json"), 1, "");
        Path run = dir.resolve("ft");
        Result r = Cli.run("finetune", "--weights", MODEL, "--data", data.toString(), "--classes", "2", "--recipe",
                recipe.toString(), "--run-dir", run.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("fine-tuning " + MODEL + " to 2 classes");
        assertThat(run.resolve("best.zip")).isRegularFile();
    }

    @Test
    void badWeightsAreOneLineNamingTheOption() {
        Result r = Cli.run("predict", "--weights", "resnet50:IMAGENET1K_V3", "x.jpg");
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err().strip()).doesNotContain("\n").contains("--weights resnet50:IMAGENET1K_V3",
                "IMAGENET1K_V2");
        r = Cli.run("predict", "--weights", "resnet50", "--checkpoint", "a.zip", "x.jpg");
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err()).contains("not both");
        r = Cli.run("evaluate", "--weights", "resnet34_convbias", "--data", data.toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err()).contains("no published weights");
    }

    @Test
    void offlineIsOneLineNamingTheUrlAndWhereToPlaceTheFile() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        String mirror = System.getProperty(WeightsCache.MIRROR_PROPERTY);
        System.setProperty(WeightsCache.MIRROR_PROPERTY, "http://127.0.0.1:" + closedPort);
        try {
            Result r = Cli.run("predict", "--weights", MODEL + ":NEVER_DOWNLOADED", "x.jpg");
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err().strip()).doesNotContain("\n").contains("cannot connect to 127.0.0.1:" + closedPort,
                    "SHA-256 starting with", "place it at " + dir.resolve("home/weights/NEVER_DOWNLOADED-"));
        } finally {
            System.setProperty(WeightsCache.MIRROR_PROPERTY, mirror);
        }
    }
}
