package io.github.visionzoo.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.visionzoo.examples.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Smoke runs of the pipeline and memory benchmarks on a tiny model and data set: their JSON, not their timing. */
@Tag("slow")
class LongBenchmarksTest {
    private static Path tinyModel(Path dir) {
        return Cli.tinyResNet(dir.resolve("tiny.json"), 8);
    }

    @Test
    void pipelineBenchComparesIteratorAndMemory(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("pipeline.json");
        int code = new CommandLine(new PipelineBench()).execute("--model", tinyModel(dir).toString(), "--batch", "4",
                "--rounds", "2", "--steps", "2", "--settle", "1", "--warmup", "1", "--images", "20",
                "--synthetic-size", "40", "--work", dir.toString(), "--out", out.toString());
        assertThat(code).isZero();
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertThat(json.at("/iterator/medianStepSeconds").asDouble()).isPositive();
        assertThat(json.at("/iterator/medianWaitSeconds").asDouble()).isNotNegative();
        assertThat(json.at("/memory/medianStepSeconds").asDouble()).isPositive();
        assertThat(json.at("/memory/timedSteps").asInt()).isEqualTo(4);
        assertThat(json.get("gapPercent").isNumber()).isTrue();
        assertThat(json.get("pass").isBoolean()).isTrue();
        assertThat(json.at("/perRound/1/order").asText()).isEqualTo("memory, iterator");
        assertThat(dir.resolve("synthetic-40-20/train")).isDirectory();
    }

    @Test
    void memoryBenchSamplesEveryEpoch(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("memory.json");
        int code = new CommandLine(new MemoryBench()).execute("--model", tinyModel(dir).toString(), "--epochs", "3",
                "--reference-epoch", "1", "--tolerance", "1000", "--images", "20", "--batch", "10", "--work",
                dir.toString(), "--out", out.toString());
        assertThat(code).isZero();
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertThat(json.get("samples")).hasSize(3);
        assertThat(json.at("/samples/2/epoch").asInt()).isEqualTo(3);
        assertThat(json.at("/samples/0/heapUsedBytes").asLong()).isPositive();
        assertThat(json.get("pass").asBoolean()).isTrue();
        if (Files.exists(Path.of("/proc/self/status"))) {
            assertThat(json.at("/samples/0/rssBytes").asLong()).isPositive();
            assertThat(json.get("ratio").asDouble()).isPositive();
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("memory-run-"));
        }
    }
}
