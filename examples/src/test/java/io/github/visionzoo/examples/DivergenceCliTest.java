package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.examples.testing.Cli;
import io.github.visionzoo.examples.testing.Cli.Result;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.train.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/** A training that diverges leaves only finite checkpoints, and a checkpoint with NaN is refused by name. */
class DivergenceCliTest {
    @TempDir
    static Path dir;
    static Path data;
    static Path model;

    @BeforeAll
    static void data() throws Exception {
        data = Cli.synth(dir.resolve("synthetic"), 4, 1, 36);
        model = Cli.tinyResNet(dir.resolve("tiny-resnet.json"), 8);
    }

    @Test
    void aRunThatDivergesKeepsOnlyFiniteCheckpointsAndSaysWhichIsNewest() throws Exception {
        // at this learning rate the loss stays finite for a few steps while the batch norms' variances overflow
        Path recipe = dir.resolve("diverging.json");
        Files.writeString(recipe, "{\"name\":\"diverging\",\"optimizer\":\"adamw\",\"learningRate\":1e9,"
                + "\"weightDecay\":0.05,\"batchSize\":8,\"epochs\":2,\"schedule\":{\"type\":\"cosine\","
                + "\"warmupEpochs\":1},\"labelSmoothing\":0.1,\"imageSize\":32,\"augmentation\":\"eval\",\"seed\":1}");
        Path run = dir.resolve("diverged");
        Result r = Cli.run("train", "--model", model.toString(), "--data", data.toString(), "--recipe",
                recipe.toString(), "--run-dir", run.toString(), "--checkpoint-every", "1");
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
        List<Path> zips;
        try (Stream<Path> files = Files.list(run)) {
            zips = files.filter(f -> f.toString().endsWith(".zip")).sorted().toList();
        }
        assertThat(zips).isNotEmpty();
        Path newest = zips.get(zips.size() - 1);
        assertThat(newest.getFileName().toString()).startsWith("ckpt-");
        assertThat(r.err()).contains("NaN or infinite", "training stopped and the last good checkpoint, " + newest
                + ", was kept").doesNotContain("\tat ");
        for (Path zip : zips) {
            try (ZipFile file = new ZipFile(zip.toFile());
                 InputStream in = file.getInputStream(file.getEntry(Checkpoint.MODEL_ENTRY))) {
                ComputationGraph g = ModelSerializer.restoreComputationGraph(in, true);
                assertThat(BooleanIndexing.or(g.params(), Conditions.notFinite())).as(zip.toString()).isFalse();
            }
        }

        Path nan = withNaN(newest, dir.resolve("nan.zip"));
        Path image;
        try (Stream<Path> files = Files.walk(data.resolve("val"))) {
            image = files.filter(f -> f.toString().endsWith(".JPEG")).findFirst().orElseThrow();
        }
        String[][] commands = {
                {"evaluate", "--checkpoint", nan.toString(), "--data", data.toString()},
                {"predict", "--checkpoint", nan.toString(), image.toString()},
                {"finetune", "--checkpoint", nan.toString(), "--data", data.toString(), "--classes", "3",
                        "--run-dir", dir.resolve("ft").toString()},
                {"export", "--checkpoint", nan.toString(), "--to", dir.resolve("nan.safetensors").toString()},
        };
        for (String[] command : commands) {
            Result refused = Cli.run(command);
            assertThat(refused.code()).as(String.join(" ", command) + "\n" + refused.out() + refused.err())
                    .isEqualTo(VisionZooCli.BAD_INPUT);
            assertThat(refused.err()).as(command[0]).contains(nan.toString(), "NaN or infinite",
                    "had diverged").doesNotContain("\tat ");
            assertThat(refused.err().lines()).as(command[0]).hasSize(1);
        }
        assertThat(dir.resolve("ft")).doesNotExist();
    }

    /** A copy of a checkpoint with a NaN parameter, as versions before the guard wrote them. */
    @SuppressWarnings("unchecked")
    private static Path withNaN(Path checkpoint, Path copy) throws Exception {
        Files.copy(checkpoint, copy);
        try (FileSystem zip = FileSystems.newFileSystem(copy)) {
            Path entry = zip.getPath(Checkpoint.MODEL_ENTRY);
            ComputationGraph g;
            try (InputStream in = Files.newInputStream(entry)) {
                g = ModelSerializer.restoreComputationGraph(in, true);
            }
            g.params().putScalar(0, Double.NaN);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ModelSerializer.writeModel(g, bytes, true);
            Files.write(entry, bytes.toByteArray());
            Path info = zip.getPath(Checkpoint.INFO_ENTRY);
            Map<String, Object> fields = Json.mapper().readValue(Files.readString(info), Map.class);
            fields.put("modelSha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(bytes.toByteArray())));
            Files.writeString(info, Json.write(fields));
        }
        return copy;
    }
}
