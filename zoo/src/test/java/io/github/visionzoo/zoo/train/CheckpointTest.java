package io.github.visionzoo.zoo.train;

import static io.github.visionzoo.zoo.testing.TrainTestSupport.recipe;
import static io.github.visionzoo.zoo.testing.TrainTestSupport.tinyNet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.AtomicFiles;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.testing.SyntheticImages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    /** A tiny network after {@code steps} AdamW steps, so that it has updater state. */
    static ComputationGraph trained(int steps) {
        ComputationGraph net = recipe(1, 1e-3).applyTo(tinyNet(4, 16, 3), 6);
        SyntheticImages data = SyntheticImages.create(16 * steps, 4, 16, 0.5, 16, 1, 2);
        while (data.hasNext()) {
            net.fit(data.next());
        }
        return net;
    }

    static Checkpoint.Info info(int iteration) {
        return new Checkpoint.Info(Checkpoint.FORMAT, "tiny", "fc", 4, List.of("a", "b", "c", "d"),
                recipe(1, 1e-3), 0, iteration, iteration, 5, null, null, 1.5, null, null, null);
    }

    @Test
    void roundTripKeepsParametersUpdaterStateAndInfo() {
        ComputationGraph net = trained(2);
        Path file = new RunDirectory(dir).checkpointFile(0, 2);
        Checkpoint.Info written = Checkpoint.write(file, net, info(2));
        assertThat(written.modelSha256()).hasSize(64);

        Checkpoint back = Checkpoint.load(file);
        assertThat(back.info()).isEqualTo(written);
        assertThat(Checkpoint.readInfo(file)).isEqualTo(written);
        assertThat(back.graph().params()).isEqualTo(net.params());
        assertThat(back.graph().getUpdater().getStateViewArray()).isEqualTo(net.getUpdater().getStateViewArray());
        assertThat(back.graph().getConfiguration().getIterationCount()).isEqualTo(2);
        try (var files = java.util.stream.Stream.of(dir.toFile().list())) {
            assertThat(files.toList()).as("no temporary file left").containsExactly(file.getFileName().toString());
        }
    }

    @Test
    void aTruncatedCheckpointIsRejectedByNameAndThePreviousOneUsed() throws IOException {
        ComputationGraph net = trained(1);
        Path older = new RunDirectory(dir).checkpointFile(0, 1);
        Checkpoint.write(older, net, info(1));
        Path newer = new RunDirectory(dir).checkpointFile(0, 2);
        Checkpoint.write(newer, net, info(2));
        // a kill during a non-atomic write would leave this; a temporary file of ours is ignored
        Files.write(dir.resolve(AtomicFiles.TEMP_PREFIX + "ckpt-e000-i00000003.zip-123"), new byte[100]);
        try (FileChannel ch = FileChannel.open(newer, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 200);
        }

        assertThatThrownBy(() -> Checkpoint.load(newer))
                .isInstanceOf(CorruptCheckpointException.class)
                .hasMessageContaining(newer.toString())
                .hasMessageContaining("damaged or incomplete");
        assertThat(new RunDirectory(dir).checkpoints()).containsExactly(newer, older);

        Checkpoint chosen = new RunDirectory(dir).latest();
        assertThat(chosen.file()).isEqualTo(older);
        assertThat(chosen.info().iteration()).isEqualTo(1);
        assertThat(new RunDirectory(dir).checkpoints()).containsExactly(older);
        assertThat(dir.resolve(newer.getFileName() + RunDirectory.CORRUPT_SUFFIX)).exists();
    }

    @Test
    void aChangedByteFailsTheChecksum() throws IOException {
        Path file = new RunDirectory(dir).checkpointFile(0, 1);
        Checkpoint.write(file, trained(1), info(1));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long at = ch.size() / 2; // inside the stored model entry
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
            ch.write(b, at);
        }
        assertThatThrownBy(() -> Checkpoint.load(file))
                .isInstanceOf(CorruptCheckpointException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("SHA-256");
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryOne() throws IOException {
        Path target = dir.resolve("summary.json");
        AtomicFiles.writeString(target, "old");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write("half".getBytes());
            throw new IOException("disk full");
        })).hasMessageContaining("disk full");
        assertThat(Files.readString(target)).isEqualTo("old");
        assertThat(dir.toFile().list()).containsExactly("summary.json");
    }

    @Test
    void retentionKeepsTheNewest() {
        ComputationGraph net = trained(1);
        RunDirectory run = new RunDirectory(dir);
        for (int i = 1; i <= 4; i++) {
            Checkpoint.write(run.checkpointFile(i / 2, i), net, info(i));
        }
        run.prune(2);
        assertThat(run.checkpoints()).containsExactly(run.checkpointFile(2, 4), run.checkpointFile(1, 3));
    }

    /** A checkpoint as an earlier version wrote it, without today's checks; {@code fields} are its info's JSON. */
    static void writeUnchecked(Path file, ComputationGraph graph, Map<String, Object> fields) throws Exception {
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        ModelSerializer.writeModel(graph, model, true);
        byte[] bytes = model.toByteArray();
        Map<String, Object> info = new LinkedHashMap<>(fields);
        info.put("modelSha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            zip.putNextEntry(new ZipEntry(Checkpoint.MODEL_ENTRY));
            zip.write(bytes);
            zip.putNextEntry(new ZipEntry(Checkpoint.INFO_ENTRY));
            zip.write(Json.write(info).getBytes(StandardCharsets.UTF_8));
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> fields(Checkpoint.Info info) {
        return Json.mapper().convertValue(info, Map.class);
    }

    @Test
    void aCheckpointOfTheFirstFormatLoadsWithoutASpec() throws Exception {
        ComputationGraph net = trained(1);
        Map<String, Object> first = fields(info(1));
        first.put("format", 1);
        first.remove("spec");
        Path file = new RunDirectory(dir).checkpointFile(0, 1);
        writeUnchecked(file, net, first);

        Checkpoint back = Checkpoint.load(file);
        assertThat(back.info().format()).isEqualTo(1);
        assertThat(back.info().spec()).isNull();
        assertThat(back.info().inputSize()).isEqualTo(16);
        assertThat(back.graph().params()).isEqualTo(net.params());
    }

    /** As versions before the optimizer had its own fields wrote a recipe: momentum and nesterov beside it. */
    @Test
    @SuppressWarnings("unchecked")
    void aCheckpointWhoseRecipeGivesMomentumBesideTheOptimizerLoads() throws Exception {
        ComputationGraph net = trained(1);
        Map<String, Object> earlier = fields(info(1));
        Map<String, Object> recipe = new LinkedHashMap<>((Map<String, Object>) earlier.get("recipe"));
        recipe.put("optimizer", "sgd");
        recipe.put("momentum", 0.9);
        recipe.put("nesterov", true);
        earlier.put("recipe", recipe);
        Path file = new RunDirectory(dir).checkpointFile(0, 1);
        writeUnchecked(file, net, earlier);

        TrainingRecipe back = Checkpoint.load(file).info().recipe();
        assertThat(back.optimizer()).isEqualTo(new TrainingRecipe.Sgd(0.9, true));
        assertThat(back.learningRate()).isEqualTo(info(1).recipe().learningRate());
        assertThat(Checkpoint.readInfo(file).recipe()).isEqualTo(back);
    }

    @Test
    void nonFiniteValuesAreNeverWrittenAndDoNotLoad() throws Exception {
        ComputationGraph net = trained(1);
        Path good = new RunDirectory(dir).checkpointFile(0, 1);
        Checkpoint.write(good, net, info(1));

        ComputationGraph diverged = trained(1);
        diverged.getLayer("fc").getParam("W").putScalar(3, Float.POSITIVE_INFINITY);
        Path bad = new RunDirectory(dir).checkpointFile(0, 2);
        assertThatThrownBy(() -> Checkpoint.write(bad, diverged, info(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(bad.toString())
                .hasMessageContaining("parameter fc_W holds NaN or infinite values");
        assertThat(dir.toFile().list()).containsExactly(good.getFileName().toString());

        ComputationGraph badUpdater = trained(1);
        badUpdater.getUpdater().getStateViewArray().putScalar(0, Double.NaN);
        assertThatThrownBy(() -> Checkpoint.write(bad, badUpdater, info(2)))
                .hasMessageContaining("updater state holds NaN or infinite values");

        // as versions before the guard wrote them
        writeUnchecked(bad, diverged, fields(info(2)));
        assertThatThrownBy(() -> Checkpoint.load(bad))
                .isInstanceOf(CorruptCheckpointException.class)
                .hasMessageContaining(bad.toString())
                .hasMessageContaining("parameter fc_W holds NaN or infinite values")
                .hasMessageContaining("lower learning rate");
        Checkpoint resumable = new RunDirectory(dir).latest();
        assertThat(resumable.file()).isEqualTo(good);
        assertThat(dir.resolve(bad.getFileName() + RunDirectory.CORRUPT_SUFFIX)).exists();
    }

    @Test
    void aPlainDl4jZipLoadsWithTheInfoItHolds() throws Exception {
        ComputationGraph net = tinyNet(4, 16, 3);
        Path plain = dir.resolve("plain.zip");
        ModelSerializer.writeModel(net, plain.toFile(), false);
        Checkpoint c = Checkpoint.load(plain);
        assertThat(c.graph().params()).isEqualTo(net.params());
        assertThat(c.info().model()).isEqualTo("plain");
        assertThat(c.info().headName()).isEqualTo("fc");
        assertThat(c.info().numClasses()).isEqualTo(4);
        assertThat(c.info().recipe()).isNull();
        assertThat(c.info().spec()).isNull();
        assertThat(c.info().inputSize()).isNull();
        assertThat(FineTune.from(plain).withNumClasses(2).build().getLayer("fc").getParam("W").shape())
                .containsExactly(16, 2);

        // what earlier versions of the command line's import wrote: the spec in an entry of its own
        ModelSpec spec = new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 8, false, 32);
        Path imported = dir.resolve("imported.zip");
        ModelSerializer.writeModel(Zoo.create(spec, 3, 1), imported.toFile(), false);
        try (FileSystem zip = FileSystems.newFileSystem(imported)) {
            Files.writeString(zip.getPath("visionzoo-spec.json"), Json.write(spec));
        }
        assertThat(Checkpoint.load(imported).info().spec()).isEqualTo(spec);
        assertThat(Checkpoint.load(imported).info().inputSize()).isEqualTo(32);

        // a run directory's checkpoints are the trainer's own: a model without a recipe is not resumed
        Path runDir = Files.createDirectories(dir.resolve("run"));
        Files.copy(plain, new RunDirectory(runDir).checkpointFile(1, 4));
        assertThatThrownBy(() -> new RunDirectory(runDir).latest()).hasMessageContaining("every checkpoint");
    }

    @Test
    void anImportedModelRecordsItsSpecAndClasses() {
        ModelSpec spec = new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 8, false, 32);
        Path file = dir.resolve("import.zip");
        Checkpoint.write(file, Zoo.create(spec, 3, 1), Checkpoint.Info.forModel("tiny", spec, 3,
                List.of("a", "b", "c")));
        Checkpoint.Info info = Checkpoint.load(file).info();
        assertThat(info.spec()).isEqualTo(spec);
        assertThat(info.format()).isEqualTo(Checkpoint.FORMAT);
        assertThat(info.headName()).isEqualTo("fc");
        assertThat(info.classNames()).containsExactly("a", "b", "c");
        assertThat(info.recipe()).isNull();
        assertThat(info.inputSize()).isEqualTo(32);
        assertThat(Checkpoint.readInfo(file)).isEqualTo(info);
    }
}
