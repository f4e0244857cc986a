package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.visionzoo.examples.CliTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench}: the child JVMs, the PyTorch merge (through a stand-in for Python that prints what
 * {@code bench_pytorch.py} prints) and the option errors. No timing is asserted.
 */
class BenchCommandTest {
    private static final String TINY_RESNET = "{\"family\":\"resnet\",\"block\":\"basic\",\"layers\":[1,1],"
            + "\"width\":8,\"convBias\":false,\"imageSize\":32}";

    /** A stand-in for {@code python3 bench_pytorch.py}: a fixed peak, fixed rates, and a failure for "broken". */
    private static Path fakePython(Path dir) throws Exception {
        Path script = dir.resolve("fake-python");
        Files.writeString(script, """
                #!/bin/sh
                case "$*" in
                  *--peak*) echo 'torch says hello'
                            echo '{"matmulSize": 2048, "matmulGflops": 0.5, "framework": "pytorch", \
                "torch": "1.13.0-fake", "threads": 2, "blas": "libfakeblas.so"}' ;;
                  *broken*) echo 'Traceback (most recent call last):' >&2
                            echo 'RuntimeError: fake out of memory' >&2; exit 1 ;;
                  *) echo '{"model": "tiny", "imageSize": 32, "parameters": 1, "trainImagesPerSecond": 10.0, \
                "inferenceImagesPerSecond": 40.0, "trainStepSeconds": 0.2, "inferenceStepSeconds": 0.05, \
                "peakRssBytes": 104857600, "framework": "pytorch", "preload": "'"$LD_PRELOAD"'", "coretype": "'"$OPENBLAS_CORETYPE"'"}' ;;
                esac
                """);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @Test
    void measuresEachModelInItsOwnJvmAndMergesPyTorch(@TempDir Path dir) throws Exception {
        Path tiny = dir.resolve("tiny.json");
        Path broken = dir.resolve("broken.json"); // the same model; the fake PyTorch fails on it
        Files.writeString(tiny, TINY_RESNET);
        Files.writeString(broken, TINY_RESNET);
        Path reference = dir.resolve("bench_pytorch.py");
        Files.writeString(reference, "# not run: the fake python ignores it\n");
        Path out = dir.resolve("results/bench.json");
        // not a library: the dynamic loader says so on the children's stderr and goes on without it
        Path malloc = Files.writeString(dir.resolve("libfakemalloc.so"), "");

        Result r = CliTest.run("bench", "--models", tiny + "," + broken, "--batch", "2", "--warmup", "0", "--steps",
                "1", "--peak-size", "64", "--pytorch", "--python", fakePython(dir).toString(), "--pytorch-script",
                reference.toString(), "--malloc", malloc.toString(), "--out", out.toString());

        assertThat(r.code()).as(r.err()).isEqualTo(1); // one PyTorch measurement failed, the rest is written
        assertThat(r.err()).contains("1 measurement(s) failed");
        assertThat(r.out()).contains("machine peak", "visionzoo / PyTorch: train", "results written to",
                "warning: --malloc " + malloc + " did not load");
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertThat(json.get("batch").asInt()).isEqualTo(2);
        assertThat(json.at("/machine/cores").asInt()).isPositive();
        assertThat(json.at("/machine/torch").asText()).isEqualTo("1.13.0-fake");
        assertThat(json.at("/machine/natives").asText()).isNotBlank();
        assertThat(json.at("/peak/pytorch/matmulGflops").asDouble()).isEqualTo(0.5);
        assertThat(json.at("/peak/nd4j/matmulGflops").asDouble()).isPositive();
        assertThat(json.at("/peak/nd4j/blasMmulGflops").asDouble()).isPositive();
        double peak = json.at("/peak/machineGflops").asDouble();

        JsonNode first = json.at("/results/0");
        JsonNode vz = first.get("visionzoo");
        assertThat(first.get("imageSize").asInt()).isEqualTo(32);
        assertThat(first.get("forwardGflopPerImage").asDouble()).isPositive();
        assertThat(vz.has("error")).as(vz.toString()).isFalse();
        assertThat(vz.get("recipe").asText()).isEqualTo("study-resnet");
        assertThat(vz.get("optimizer").asText()).isEqualTo("adamw");
        assertThat(vz.get("parameters").asLong()).isPositive();
        double trainIps = vz.get("trainImagesPerSecond").asDouble();
        assertThat(trainIps).isPositive();
        assertThat(vz.get("inferenceImagesPerSecond").asDouble()).isPositive();
        if (Files.exists(Path.of("/proc/self/status"))) {
            assertThat(vz.get("peakRssBytes").asLong()).isGreaterThan(50L << 20);
        }
        double fwd = first.get("forwardGflopPerImage").asDouble();
        assertThat(vz.get("trainGflopPerSecond").asDouble()).isCloseTo(3 * fwd * trainIps, within(1e-9));
        assertThat(vz.get("trainShareOfPeak").asDouble()).isCloseTo(3 * fwd * trainIps / peak, within(1e-9));
        assertThat(first.at("/pytorch/trainImagesPerSecond").asDouble()).isEqualTo(10.0);
        assertThat(json.get("malloc").asText()).isEqualTo(malloc.toAbsolutePath().toString());
        assertThat(first.at("/pytorch/preload").asText()).doesNotContain(malloc.toString()); // PyTorch: as it is
        // PyTorch's OpenBLAS gets the core type that visionzoo's processes set for themselves (none on some CPUs)
        assertThat(first.at("/pytorch/coretype").asText()).isEqualTo(json.get("openblasCoretype").asText(""));
        assertThat(vz.get("allocator").asText()).isEqualTo("system"); // the loader refused the fake
        assertThat(vz.get("preloaded").asText()).isEqualTo(malloc.toAbsolutePath().toString());
        assertThat(first.at("/ratio/train").asDouble()).isCloseTo(trainIps / 10.0, within(1e-9));
        assertThat(first.at("/ratio/peakRss").asDouble()).isPositive();

        JsonNode second = json.at("/results/1");
        assertThat(second.at("/visionzoo/trainImagesPerSecond").asDouble()).isPositive();
        assertThat(second.at("/pytorch/error").asText()).contains("exit code 1", "RuntimeError: fake out of memory");
        assertThat(second.at("/ratio/train").isNull()).isTrue();

        Path md = dir.resolve("results/bench.md");
        assertThat(md).content().contains("# visionzoo bench", "| model | input | GFLOP/image | train img/s",
                "PyTorch train img/s", "tiny.json | 32 |", "error: exit code 1", "PyTorch 1.13.0-fake",
                "visionzoo's processes preloaded " + malloc.toAbsolutePath());
    }

    @Test
    void unknownModelIsBadInputBeforeAnythingRuns(@TempDir Path dir) {
        Result r = CliTest.run("bench", "--models", "resnet18,resnet35", "--out", dir.resolve("b.json").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--models resnet35", "unknown model 'resnet35'");
        assertThat(dir.resolve("b.json")).doesNotExist();
    }

    @Test
    void badNumbersNameTheirOption() {
        assertThat(CliTest.run("bench", "--batch", "0").err()).contains("--batch must be >= 1");
        assertThat(CliTest.run("bench", "--steps", "0").err()).contains("--steps must be >= 1");
        assertThat(CliTest.run("bench", "--warmup", "-1").code()).isEqualTo(2);
        Result size = CliTest.run("bench", "--models", "alexnet", "--image-size", "64");
        assertThat(size.code()).isEqualTo(2);
        assertThat(size.err()).contains("--models alexnet", "227");
    }

    @Test
    void missingMallocLibraryNamesTheOption(@TempDir Path dir) {
        Result r = CliTest.run("bench", "--models", "resnet18", "--malloc", dir.resolve("libnope.so").toString(),
                "--out", dir.resolve("b.json").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--malloc", "libnope.so", "is not a file", "libtcmalloc-minimal4");
        assertThat(dir.resolve("b.json")).doesNotExist();
    }

    @Test
    void missingPyTorchScriptNamesTheOption(@TempDir Path dir) {
        Result r = CliTest.run("bench", "--models", "resnet18", "--pytorch", "--pytorch-script",
                dir.resolve("nope.py").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--pytorch-script", "nope.py", "is not a file");
    }

    @Test
    void pythonThatCannotRunNamesTheOption(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("bench_pytorch.py"), "");
        Result r = CliTest.run("bench", "--models", "resnet18", "--pytorch", "--pytorch-script", script.toString(),
                "--python", dir.resolve("no-such-python").toString(), "--out", dir.resolve("b.json").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--python", "no-such-python", "cannot run it");
    }

    @Test
    void pythonWithoutTorchIsBadInputWithTheSetupLine(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("bench_pytorch.py"), "");
        Path python = dir.resolve("python-without-torch");
        Files.writeString(python, "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
        Files.setPosixFilePermissions(python, PosixFilePermissions.fromString("rwx------"));
        Result r = CliTest.run("bench", "--models", "resnet18", "--pytorch", "--pytorch-script", script.toString(),
                "--python", python.toString(), "--out", dir.resolve("b.json").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--python", "--peak failed", "No module named 'torch'",
                "apt-get install python3-torch python3-torchvision libopenblas0");
        assertThat(dir.resolve("b.json")).doesNotExist();
    }
}
