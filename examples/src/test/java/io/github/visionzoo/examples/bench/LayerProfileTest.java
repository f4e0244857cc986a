package io.github.visionzoo.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The per-layer profile on a tiny Swin: every layer kind of the model gets its forward and backward time. */
class LayerProfileTest {

    @Test
    void timesEachLayerKindOfATrainingStepAndAnInferenceBatch(@TempDir Path dir) throws Exception {
        Path swin = Files.writeString(dir.resolve("tiny-swin.json"), "{\"family\":\"swin\",\"patchSize\":4,"
                + "\"embedDim\":8,\"depths\":[2,1],\"numHeads\":[2,2],\"windowSize\":2,\"mlpRatio\":2.0,"
                + "\"dropout\":0.0,\"attentionDropout\":0.0,\"stochasticDepthProb\":0.1,\"imageSize\":16}");
        Path out = dir.resolve("profile.json");
        StringWriter text = new StringWriter();
        int code = new CommandLine(new LayerProfile()).setOut(new PrintWriter(text)).execute("--batch", "2",
                "--warmup", "1", "--steps", "1", "--out", out.toString(), swin.toString());
        assertThat(code).isZero();
        JsonNode model = new ObjectMapper().readTree(out.toFile()).at("/results/0");
        JsonNode train = model.at("/train/kinds");
        assertThat(train.fieldNames()).toIterable().contains("ShiftedWindowAttention", "MlpBlock", "LayerNorm",
                "PatchMerging");
        assertThat(train.at("/ShiftedWindowAttention/backwardSeconds").asDouble()).isPositive();
        double shares = 0;
        for (JsonNode kind : train) {
            shares += kind.get("share").asDouble();
        }
        assertThat(shares).isBetween(0.0, 1.0);
        JsonNode inference = model.at("/inference/kinds");
        assertThat(inference.at("/ShiftedWindowAttention/forwardSeconds").asDouble()).isPositive();
        assertThat(inference.at("/ShiftedWindowAttention/backwardSeconds").asDouble()).isZero();
        assertThat(text.toString()).contains("training step", "inference batch", "ShiftedWindowAttention");
    }

    @Test
    void refusesAStepCountBelowOne(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new LayerProfile()).setErr(new PrintWriter(err)).execute("--steps", "0",
                "--out", dir.resolve("p.json").toString(), "resnet18");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--steps");
    }

    @Test
    void namesAnUnknownModelInOneLine(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new LayerProfile()).setErr(new PrintWriter(err)).execute("--out",
                dir.resolve("p.json").toString(), "nosuchmodel");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("unknown model 'nosuchmodel'").doesNotContain("\tat ");
        assertThat(dir.resolve("p.json")).doesNotExist();
    }
}
