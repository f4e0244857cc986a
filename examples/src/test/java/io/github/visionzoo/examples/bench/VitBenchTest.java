package io.github.visionzoo.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The ViT benchmark on a one-block ViT: both layouts measured, attention timed on the separate one; not the speed. */
class VitBenchTest {

    @Test
    @Tag("slow")
    void measuresBothLayoutsAndTheAttentionShare(@TempDir Path dir) throws Exception {
        Path vit = Files.writeString(dir.resolve("tiny-vit.json"), "{\"family\":\"vit\",\"patchSize\":8,"
                + "\"hiddenDim\":8,\"numLayers\":1,\"numHeads\":2,\"mlpDim\":16,\"dropout\":0.0,"
                + "\"attentionDropout\":0.0,\"imageSize\":32}");
        Path out = dir.resolve("vit.json");
        int code = new CommandLine(new VitBench()).execute("--batch", "2", "--steps", "1", "--out", out.toString(),
                vit.toString());
        assertThat(code).isZero();
        JsonNode model = new ObjectMapper().readTree(out.toFile()).at("/results/0");
        assertThat(model.get("imageSize").asInt()).isEqualTo(32);
        for (String layout : new String[] {"fused", "separate"}) {
            assertThat(model.at("/" + layout + "/forward/imagesPerSecond").asDouble()).as(layout).isPositive();
            assertThat(model.at("/" + layout + "/train/imagesPerSecond").asDouble()).as(layout).isPositive();
        }
        assertThat(model.at("/separate/train/attentionSecondsPerStep").asDouble()).isPositive();
        assertThat(model.at("/separate/train/attentionShareOfStep").asDouble()).isBetween(0.0, 1.0);
        assertThat(model.at("/fused/train").has("attentionShareOfStep")).isFalse();
    }

    @Test
    void refusesAModelThatIsNotAViT(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new VitBench()).setErr(new PrintWriter(err)).execute("--out",
                dir.resolve("vit.json").toString(), "resnet18");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("resnet18 is not a ViT");
    }
}
