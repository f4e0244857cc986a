package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.examples.testing.Cli;
import io.github.visionzoo.examples.testing.Cli.Result;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.train.Checkpoint;
import io.github.visionzoo.zoo.weights.SafeTensors;
import io.github.visionzoo.zoo.weights.StateDict;
import io.github.visionzoo.zoo.weights.StoredTensor;
import io.github.visionzoo.zoo.weights.WeightExporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        Result r = Cli.run("import", "--from", weights.toString(), "--model", MODEL, "--to",
                ckpt.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains(MODEL + " (7 classes): loaded 62 tensors", "saved " + ckpt);
        Checkpoint imported = Checkpoint.load(ckpt);
        assertThat(imported.info().spec()).isEqualTo(SPEC);
        assertThat(imported.info().model()).isEqualTo(MODEL);
        assertThat(imported.info().recipe()).isNull();
        assertThat(imported.graph().getLayer("fc").getParam("W").shape()).containsExactly(32, 7);
        imported.graph().close();

        Path out = dir.resolve("back.safetensors");
        r = Cli.run("export", "--checkpoint", ckpt.toString(), "--to", out.toString());
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
        Result r = Cli.run("export", "--checkpoint", zip.toString(), "--to", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(StateDict.read(out).names()).contains("conv1.weight", "bn1.running_var",
                "layer4.0.downsample.1.num_batches_tracked", "fc.weight");

        // it records no input size: the commands that need one say how to make it a checkpoint
        r = Cli.run("predict", "--checkpoint", zip.toString(), dir.resolve("photo.JPEG").toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err()).contains("--checkpoint " + zip, "plain DL4J model zip", "export", "import")
                .doesNotContain("\tat ");
    }

    @Test
    void importRefusesToOverwriteAFileUnlessForced() throws IOException {
        Path best = dir.resolve("run/best.zip");
        Files.createDirectories(best.getParent());
        Files.writeString(best, "a run's best checkpoint");
        Result r = Cli.run("import", "--from", weights.toString(), "--model", MODEL, "--to",
                best.toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err()).contains("--to " + best, "already exists", "--force").doesNotContain("\tat ");
        assertThat(best).hasContent("a run's best checkpoint");

        r = Cli.run("import", "--from", weights.toString(), "--model", MODEL, "--to", best.toString(),
                "--force");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Checkpoint.load(best).info().spec()).isEqualTo(SPEC);
    }

    @Test
    void anExportImportsBackWithItsSpecAndClasses() throws IOException {
        Path named = dir.resolve("named.zip");
        ComputationGraph g = Zoo.create(SPEC, 3, 9);
        Checkpoint.write(named, g, Checkpoint.Info.forModel(MODEL, SPEC, 3, List.of("cat", "dog", "fox")));
        Path out = dir.resolve("named.safetensors");
        assertThat(Cli.run("export", "--checkpoint", named.toString(), "--to", out.toString()).code()).isZero();

        Path back = dir.resolve("back.zip");
        Result r = Cli.run("import", "--from", out.toString(), "--to", back.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Checkpoint imported = Checkpoint.load(back);
        assertThat(imported.info().spec()).isEqualTo(SPEC);
        assertThat(imported.info().classNames()).containsExactly("cat", "dog", "fox");
        assertThat(imported.graph().params()).isEqualTo(g.params());

        Path bare = dir.resolve("bare.safetensors");
        SafeTensors.write(bare, StateDict.read(out).tensors(), Map.of());
        r = Cli.run("import", "--from", bare.toString(), "--to", dir.resolve("bare.zip").toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err()).contains(bare.toString(), "--model");
    }

    @Test
    void nanWeightsAreRefusedNamingTheFileAndTensor() throws IOException {
        Map<String, StoredTensor> tensors = new LinkedHashMap<>(StateDict.read(weights).tensors());
        float[] bias = tensors.get("fc.bias").toFloats();
        bias[2] = Float.NaN;
        tensors.put("fc.bias", StoredTensor.ofFloats(bias, bias.length));
        Path nan = dir.resolve("nan.safetensors");
        SafeTensors.write(nan, tensors, Map.of());
        Path to = dir.resolve("nan.zip");
        Result r = Cli.run("import", "--from", nan.toString(), "--model", MODEL, "--to", to.toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err()).contains(nan.toString(), "tensor fc.bias holds NaN").doesNotContain("\tat ");
        assertThat(to).doesNotExist();
    }

    @Test
    void anotherClassCountNeedsAllowHeadMismatch() {
        Path ckpt = dir.resolve("ten.zip");
        Result strict = Cli.run("import", "--from", weights.toString(), "--model", MODEL, "--to",
                ckpt.toString(), "--classes", "10");
        assertThat(strict.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(strict.err()).contains("0 missing, 0 unexpected, 2 wrongly shaped tensors",
                "fc.weight: the file has [7, 32], the model expects [10, 32]").doesNotContain("\tat ");
        assertThat(ckpt).doesNotExist();

        Result ok = Cli.run("import", "--from", weights.toString(), "--model", MODEL, "--to",
                ckpt.toString(), "--classes", "10", "--allow-head-mismatch");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("(10 classes)", "kept the model's own classifier instead of [fc.weight, fc.bias]");
    }

    @Test
    void badFilesAreBadInput() throws IOException {
        Path evil = dir.resolve("evil.pth");
        Files.write(evil, "\u0080\u0002cos\nsystem\nX\u0002\u0000\u0000\u0000ls\u0085R.".getBytes(
                StandardCharsets.ISO_8859_1));
        Result r = Cli.run("import", "--from", evil.toString(), "--model", MODEL, "--to",
                dir.resolve("x.zip").toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.err()).contains("refusing to unpickle", "'os.system'");

        r = Cli.run("import", "--from", dir.resolve("absent.pth").toString(), "--model", MODEL, "--to",
                dir.resolve("x.zip").toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
        r = Cli.run("export", "--checkpoint", dir.resolve("absent.zip").toString(), "--to",
                dir.resolve("x.safetensors").toString());
        assertThat(r.code()).isEqualTo(VisionZooCli.BAD_INPUT);
    }
}
