package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.AtomicFiles;
import static io.github.visionzoo.zoo.train.TrainTestSupport.recipe;
import static io.github.visionzoo.zoo.train.TrainTestSupport.tinyNet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
                recipe(1, 1e-3), 0, iteration, iteration, 5, null, null, 1.5, null);
    }

    @Test
    void roundTripKeepsParametersUpdaterStateAndInfo() {
        ComputationGraph net = trained(2);
        Path file = dir.resolve(Checkpoints.fileName(0, 2));
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
        Path older = dir.resolve(Checkpoints.fileName(0, 1));
        Checkpoint.write(older, net, info(1));
        Path newer = dir.resolve(Checkpoints.fileName(0, 2));
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
        assertThat(Checkpoints.list(dir)).containsExactly(newer, older);

        Checkpoint chosen = Checkpoints.newestGood(dir);
        assertThat(chosen.file()).isEqualTo(older);
        assertThat(chosen.info().iteration()).isEqualTo(1);
        assertThat(Checkpoints.list(dir)).containsExactly(older);
        assertThat(dir.resolve(newer.getFileName() + Checkpoints.CORRUPT_SUFFIX)).exists();
    }

    @Test
    void aChangedByteFailsTheChecksum() throws IOException {
        Path file = dir.resolve(Checkpoints.fileName(0, 1));
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
        for (int i = 1; i <= 4; i++) {
            Checkpoint.write(dir.resolve(Checkpoints.fileName(i / 2, i)), net, info(i));
        }
        Checkpoints.retain(dir, 2);
        assertThat(Checkpoints.list(dir)).containsExactly(dir.resolve(Checkpoints.fileName(2, 4)),
                dir.resolve(Checkpoints.fileName(1, 3)));
    }
}
