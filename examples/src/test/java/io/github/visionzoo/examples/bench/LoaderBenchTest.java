package io.github.visionzoo.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The loader benchmark runs and writes its JSON; the rates themselves are not checked. */
class LoaderBenchTest {

    @TempDir
    Path tmp;

    @Test
    void writesRatesAndRatiosToTheBaseline() throws Exception {
        Path out = tmp.resolve("out/bench.json");
        int code = new CommandLine(new LoaderBench()).execute("--synthetic", tmp.resolve("data").toString(),
                "--synthetic-size", "40", "--synthetic-train", "3", "--size", "32", "--batch", "8", "--batches", "3",
                "--warmup", "1", "--threads", "2", "--out", out.toString());
        assertThat(code).isZero();
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertThat(json.get("preset").asText()).isEqualTo("study");
        assertThat(json.get("image_size").asInt()).isEqualTo(32);
        assertThat(json.get("batch_size").asInt()).isEqualTo(8);
        assertThat(json.get("images_in_split").asInt()).isEqualTo(30);
        assertThat(json.get("synthetic").asBoolean()).isTrue();
        assertThat(json.at("/baseline/threads").asInt()).isEqualTo(1);
        assertThat(json.get("results")).hasSize(2);
        assertThat(json.at("/results/0/threads").asInt()).isEqualTo(1);
        assertThat(json.at("/results/0/ratio_to_baseline").asDouble()).isEqualTo(1.0);
        assertThat(json.at("/results/1/threads").asInt()).isEqualTo(2);
        assertThat(json.at("/results/1/images_per_s").asDouble()).isPositive();
        assertThat(Files.readString(out)).doesNotContain(tmp.toString());
        assertThat(LoaderBench.defaultThreads(6)).containsExactly(1, 2, 4, 6);
    }
}
