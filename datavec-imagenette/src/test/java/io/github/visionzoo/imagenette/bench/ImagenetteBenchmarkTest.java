package io.github.visionzoo.imagenette.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.imagenette.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The entry point runs and writes its JSON; the rates themselves are not checked. */
class ImagenetteBenchmarkTest {

    @TempDir
    Path tmp;

    @Test
    void writesRatesAndRatiosToTheBaseline() throws Exception {
        Path data = TestData.synthetic(tmp, 3, 1, 40);
        Path out = tmp.resolve("out/bench.json");
        ImagenetteBenchmark.main(new String[] {"--data", data.toString(), "--size", "32", "--batch", "8",
            "--batches", "3", "--warmup", "1", "--threads", "2", "--out", out.toString()});
        String json = Files.readString(out);
        assertThat(json).contains("\"preset\": \"study\"", "\"image_size\": 32", "\"batch_size\": 8",
                "\"images_in_split\": 30", "\"baseline\": {\"threads\": 1", "{\"threads\": 1,",
                "\"ratio_to_baseline\": 1.000", "{\"threads\": 2,");
        assertThat(json).doesNotContain(tmp.toString());
        assertThat(json.trim()).startsWith("{").endsWith("}");
        assertThat(ImagenetteBenchmark.defaultThreads(6)).containsExactly(1, 2, 4, 6);
    }
}
