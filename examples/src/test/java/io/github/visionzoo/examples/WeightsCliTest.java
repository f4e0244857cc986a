package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.examples.cli.ImportCommand;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.weights.StateDict;
import io.github.visionzoo.zoo.weights.WeightExporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code import} and {@code export} through {@link VisionZooCli#run}, on a small registered ResNet. */
class WeightsCliTest {
    private static final String MODEL = "test_tiny_resnet";
    private static final ModelSpec SPEC = new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1, 1, 1), 4, false, 32);

    @TempDir
    static Path dir;
    static Path weights;

    @BeforeAll
    static void aWeightFile() throws IOException {
        Zoo.register(MODEL, SPEC, "a tiny ResNet for the import/export tests");
        ComputationGraph source = Zoo.create(SPEC, 7, 123);
        weights = dir.resolve("tiny.safetensors");
        WeightExporter.toSafeTensors(source, SPEC, weights);
        source.close();
    }

    @Test
    void importThenExportGivesTheSameTensors() throws IOException {
        Path ckpt = dir.resolve("ckpt/tiny.zip");
        CliTest.Result r = CliTest.run("import", "--from", weights.toString(), "--model", MODEL, "--to",
                ckpt.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains(MODEL + " (7 classes): loaded 62 tensors", "saved " + ckpt);
        assertThat(ImportCommand.readSpec(ckpt)).isEqualTo(SPEC);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(ckpt.toFile(), false);
        assertThat(restored.getLayer("fc").getParam("W").shape()).containsExactly(32, 7);
        restored.close();

        Path out = dir.resolve("back.safetensors");
        r = CliTest.run("export", "--checkpoint", ckpt.toString(), "--to", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote 62 tensors");
        StateDict a = StateDict.read(weights);
        StateDict b = StateDict.read(out);
        assertThat(b.names()).containsExactlyElementsOf(a.names());
        assertThat(b.metadata()).containsKey("visionzoo.spec");
        for (String name : a.names()) {
            float[] x = a.get(name).toFloats();
            float[] y = b.get(name).toFloats();
            for (int i = 0; i < x.length; i++) {
                assertThat(y[i]).as(name).isCloseTo(x[i], org.assertj.core.data.Offset.offset(Math.abs(x[i]) * 2e-6f));
            }
        }
    }

    @Test
    void aPlainDl4jZipExportsWithTorchvisionNames() throws IOException {
        ComputationGraph g = Zoo.create(SPEC, 3, 5);
        Path zip = dir.resolve("plain.zip");
        ModelSerializer.writeModel(g, zip.toFile(), false);
        g.close();
        Path out = dir.resolve("plain.safetensors");
        CliTest.Result r = CliTest.run("export", "--checkpoint", zip.toString(), "--to", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(StateDict.read(out).names()).contains("conv1.weight", "bn1.running_var",
                "layer4.0.downsample.1.num_batches_tracked", "fc.weight");
    }

    @Test
    void anotherClassCountNeedsAllowHeadMismatch() {
        Path ckpt = dir.resolve("ten.zip");
        CliTest.Result strict = CliTest.run("import", "--from", weights.toString(), "--model", MODEL, "--to",
                ckpt.toString(), "--classes", "10");
        assertThat(strict.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(strict.err()).contains("0 missing, 0 unexpected, 2 wrongly shaped tensors",
                "fc.weight: the file has [7, 32], the model expects [10, 32]").doesNotContain("\tat ");
        assertThat(ckpt).doesNotExist();

        CliTest.Result ok = CliTest.run("import", "--from", weights.toString(), "--model", MODEL, "--to",
                ckpt.toString(), "--classes", "10", "--allow-head-mismatch");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("(10 classes)", "kept the model's own classifier instead of [fc.weight, fc.bias]");
    }

    @Test
    void badFilesAreBadInput() throws IOException {
        Path evil = dir.resolve("evil.pth");
        Files.write(evil, "\u0080\u0002cos\nsystem\nX\u0002\u0000\u0000\u0000ls\u0085R.".getBytes(
                StandardCharsets.ISO_8859_1));
        CliTest.Result r = CliTest.run("import", "--from", evil.toString(), "--model", MODEL, "--to",
                dir.resolve("x.zip").toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err()).contains("refusing to unpickle", "'os.system'");

        r = CliTest.run("import", "--from", dir.resolve("absent.pth").toString(), "--model", MODEL, "--to",
                dir.resolve("x.zip").toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        r = CliTest.run("export", "--checkpoint", dir.resolve("absent.zip").toString(), "--to",
                dir.resolve("x.safetensors").toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
    }
}
