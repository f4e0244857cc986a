package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.visionzoo.examples.bench.BenchReport;
import io.github.visionzoo.examples.testing.Cli;
import io.github.visionzoo.examples.testing.Cli.Result;
import io.github.visionzoo.examples.bench.ChildProcess;
import io.github.visionzoo.examples.cli.BenchCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code bench}: the child JVMs, the PyTorch merge (through a stand-in for Python that prints what
 * {@code bench_pytorch.py} prints), the rounds (through {@link FakeChildren}, which answers for both) and the option
 * errors. No timing is asserted.
 */
class BenchCommandTest {

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
    @Tag("slow")
    void measuresEachModelInItsOwnJvmAndMergesPyTorch(@TempDir Path dir) throws Exception {
        Path tiny = dir.resolve("tiny.json");
        Path broken = dir.resolve("broken.json"); // the same model; the fake PyTorch fails on it
        Cli.tinyResNet(tiny, 8);
        Cli.tinyResNet(broken, 8);
        Path reference = dir.resolve("bench_pytorch.py");
        Files.writeString(reference, "# not run: the fake python ignores it\n");
        Path out = dir.resolve("results/bench.json");
        // not a library: the dynamic loader says so on the children's stderr and goes on without it
        Path malloc = Files.writeString(dir.resolve("libfakemalloc.so"), "");

        Result r = Cli.run("bench", "--models", tiny + "," + broken, "--batch", "2", "--warmup", "0", "--steps",
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
        // linux-x86_64 has the oneDNN presets' natives
        assertThat(json.at("/machine/directConvolutions").asBoolean()).isTrue();
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
        assertThat(vz.get("allocator").asText()).isEqualTo("system");
        assertThat(vz.get("preloaded").isNull()).as(vz.toString()).isTrue(); // the headline runs on the system's
        // minor faults and kernel CPU of the timed steps (Linux)
        if (Files.exists(Path.of("/proc/self/stat"))) {
            assertThat(vz.get("trainMinorFaultsPerStep").asDouble()).isGreaterThanOrEqualTo(0);
            assertThat(vz.get("trainSystemCpuShare").asDouble()).isBetween(0.0, 1.0);
            assertThat(vz.get("inferenceSystemCpuShare").asDouble()).isBetween(0.0, 1.0);
        }
        JsonNode preloaded = first.get("visionzooPreloaded"); // the same model beside it, with --malloc preloaded
        assertThat(preloaded.get("allocator").asText()).isEqualTo("system"); // the loader refused the fake
        assertThat(preloaded.get("preloaded").asText()).isEqualTo(malloc.toAbsolutePath().toString());
        assertThat(first.at("/mallocRatio/trainStepTime").asDouble()).isCloseTo(
                vz.get("trainStepSeconds").asDouble() / preloaded.get("trainStepSeconds").asDouble(), within(1e-9));
        assertThat(first.at("/mallocRatio/peakRss").asDouble()).isPositive();
        assertThat(first.at("/ratio/train").asDouble()).isCloseTo(trainIps / 10.0, within(1e-9));
        assertThat(first.at("/ratio/peakRss").asDouble()).isPositive();

        JsonNode second = json.at("/results/1");
        assertThat(second.at("/visionzoo/trainImagesPerSecond").asDouble()).isPositive();
        assertThat(second.at("/pytorch/error").asText()).contains("exit code 1", "RuntimeError: fake out of memory");
        assertThat(second.at("/ratio/train").isNull()).isTrue();

        Path md = dir.resolve("results/bench.md");
        assertThat(md).content().contains("# visionzoo bench", "| model | input | GFLOP/image | train img/s",
                "PyTorch train img/s", "tiny.json | 32 |", "error: exit code 1", "PyTorch 1.13.0-fake",
                "with " + malloc.toAbsolutePath() + " preloaded", "tiny.json, preloaded malloc | 32 |",
                "| model | train step | inference step | peak RSS |", "page faults/step | kernel CPU |",
                "convolutions trained on oneDNN directly");
    }

    /**
     * Stands in for every child process: records each launch ({@code "visionzoo resnet18"}, {@code "pytorch --peak"})
     * and answers a model's launch with the next result queued for its framework.
     */
    private static final class FakeChildren implements BenchCommand.Launcher {
        static final String PYTHON = "fake-python";
        final List<String> launches = new ArrayList<>();
        /** Every command line, in launch order. */
        final List<List<String>> commands = new ArrayList<>();
        final Deque<Map<String, Object>> visionzoo = new ArrayDeque<>();
        final Deque<Map<String, Object>> pytorch = new ArrayDeque<>();
        /** The libtorch peer's outcomes, in launch order (training, then inference, per variant). */
        final Deque<ChildProcess.Outcome> libtorch = new ArrayDeque<>();
        /** What the exporter of TorchScript files answers: a failure for these models. */
        final List<String> exportFailures = new ArrayList<>();

        @Override
        public ChildProcess.Outcome run(List<String> command, Map<String, String> environment) {
            commands.add(command);
            String model = command.contains("--model") ? command.get(command.indexOf("--model") + 1) : null;
            if (command.size() > 1 && command.get(1).endsWith("export_torchscript.py")) {
                launches.add("export " + model);
                return exportFailures.contains(model) ? new ChildProcess.Outcome(1, null, "fake: no such model")
                        : new ChildProcess.Outcome(0, Map.of(), null);
            }
            if (command.contains("-jar")) {
                if (command.contains("--peak")) {
                    launches.add("libtorch --peak");
                    return new ChildProcess.Outcome(0, Map.of("matmulSize", 64, "matmulGflops", 100.0,
                            "libtorch", "2.7.1-fake", "djl", "0.36.0", "onednn", "v3.7.1", "mkl", "oneMKL fake",
                            "threads", 2), null);
                }
                launches.add("libtorch " + model + " " + command.get(command.indexOf("--phase") + 1)
                        + ("1".equals(environment.get("THP_MEM_ALLOC_ENABLE")) ? " thp" : "")
                        + (command.contains("--no-graph-optimizer") ? " no-optimizer" : ""));
                return libtorch.removeFirst();
            }
            String framework = command.get(0).equals(PYTHON) ? "pytorch" : "visionzoo";
            if (command.contains("--peak")) {
                launches.add(framework + " --peak");
                return new ChildProcess.Outcome(0, Map.of("matmulSize", 64, "matmulGflops", 100.0), null);
            }
            launches.add(framework + " " + command.get(command.indexOf("--model") + 1));
            Map<String, Object> result = (framework.equals("pytorch") ? pytorch : visionzoo).removeFirst();
            return new ChildProcess.Outcome(0, result, (String) result.get("error"));
        }

        /** Queues one round's result: images/s for training and inference, and peak memory in MiB. */
        static Map<String, Object> figures(double train, double inference, long rssMib) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("imageSize", 224);
            m.put("trainImagesPerSecond", train);
            m.put("inferenceImagesPerSecond", inference);
            m.put("peakRssBytes", rssMib << 20);
            return m;
        }
    }

    /** A libtorch phase's result: forward+backward and whole-step images/s for training, or inference images/s. */
    private static ChildProcess.Outcome peer(String phase, double imagesPerSecond, double wholeStep, long rssMib) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("phase", phase);
        m.put("imageSize", 224);
        if (phase.equals("train")) {
            m.put("forwardBackwardImagesPerSecond", imagesPerSecond);
            m.put("trainImagesPerSecond", wholeStep);
            m.put("optimizerStepSeconds", 16 / wholeStep - 16 / imagesPerSecond);
        } else {
            m.put("inferenceImagesPerSecond", imagesPerSecond);
        }
        m.put("peakRssBytes", rssMib << 20);
        return new ChildProcess.Outcome(0, m, null);
    }

    /** The files --libtorch checks for: a jar (never run: the fake answers) and the exporter beside the script. */
    private static List<String> libtorchOptions(Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("bench_pytorch.py"), "# not run\n");
        Files.writeString(dir.resolve("export_torchscript.py"), "# not run\n");
        Path jar = Files.writeString(dir.resolve("libtorch-bench.jar"), "");
        return List.of("--libtorch", "--libtorch-jar", jar.toString(), "--python", FakeChildren.PYTHON,
                "--pytorch-script", script.toString(), "--torchscript-dir", dir.resolve("ts").toString());
    }

    @Test
    void libtorchTrainingIsComparedWithItsForwardBackwardAndEachRatioWithTheBestVariant(@TempDir Path dir)
            throws Exception {
        FakeChildren children = new FakeChildren();
        children.visionzoo.add(FakeChildren.figures(10, 40, 100));
        children.libtorch.add(peer("train", 8, 4, 300)); // stock
        children.libtorch.add(peer("inference", 50, 0, 200));
        children.libtorch.add(peer("train", 12.5, 5, 400)); // thp+no-optimizer: the faster forward and backward
        children.libtorch.add(peer("inference", 20, 0, 150));
        Path out = dir.resolve("bench.json");
        List<String> args = new ArrayList<>(List.of("--models", "resnet18", "--libtorch-variants",
                "stock,thp+no-optimizer", "--out", out.toString()));
        args.addAll(libtorchOptions(dir));

        Result r = runWith(children, args.toArray(String[]::new));

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(children.launches).containsExactly("libtorch --peak", "visionzoo --peak", "export resnet18",
                "visionzoo resnet18", "libtorch resnet18 train", "libtorch resnet18 inference",
                "libtorch resnet18 train thp no-optimizer", "libtorch resnet18 inference thp no-optimizer");
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertThat(json.at("/machine/libtorch").asText()).isEqualTo("2.7.1-fake");
        assertThat(json.at("/machine/onednn").asText()).isEqualTo("v3.7.1");
        assertThat(json.at("/peak/libtorch/matmulGflops").asDouble()).isEqualTo(100.0);
        JsonNode row = json.at("/results/0");
        JsonNode stock = row.at("/libtorch/stock");
        // each phase's process: inference from the second, peak memory the larger of the two
        assertThat(stock.get("forwardBackwardImagesPerSecond").asDouble()).isEqualTo(8.0);
        assertThat(stock.get("inferenceImagesPerSecond").asDouble()).isEqualTo(50.0);
        assertThat(stock.get("peakRssBytes").asDouble()).isEqualTo(300.0 * (1 << 20));
        assertThat(stock.get("inferencePeakRssBytes").asDouble()).isEqualTo(200.0 * (1 << 20));
        double fwd = row.get("forwardGflopPerImage").asDouble();
        assertThat(stock.get("forwardBackwardGflopPerSecond").asDouble()).isCloseTo(3 * fwd * 8, within(1e-9));
        assertThat(row.at("/libtorch/thp+no-optimizer/forwardBackwardImagesPerSecond").asDouble()).isEqualTo(12.5);
        // train: visionzoo's whole step (10) against the best forward+backward (12.5), not libtorch's whole step
        assertThat(row.at("/libtorchRatio/train").asDouble()).isCloseTo(0.8, within(1e-12));
        assertThat(row.at("/libtorchRatio/inference").asDouble()).isCloseTo(0.8, within(1e-12)); // 40 / stock's 50
        assertThat(row.at("/libtorchRatio/peakRss").asDouble()).isCloseTo(100.0 / 300, within(1e-12));
        assertThat(row.at("/libtorchBest/train").asText()).isEqualTo("thp+no-optimizer");
        assertThat(row.at("/libtorchBest/inference").asText()).isEqualTo("stock");
        assertThat(r.out()).contains("libtorch stock: forward+backward 8.00 img/s",
                "visionzoo / libtorch's best (train against its forward+backward): train 0.80, inference 0.80, "
                        + "peak memory 0.33");
        assertThat(dir.resolve("bench.md")).content().contains("Against libtorch 2.7.1-fake through DJL 0.36.0 "
                        + "(oneDNN v3.7.1, oneMKL fake; 2 threads)", "Machine peak (float32 matrix product): libtorch",
                "| resnet18 | stock | 8.00 (", "| 0.80 | 0.80 | 0.33 | thp+no-optimizer / stock |",
                "|  | thp+no-optimizer | 12.5 (");
    }

    @Test
    void aPeerThatCrashesShowsInItsRowAndDoesNotFailTheBench(@TempDir Path dir) throws Exception {
        FakeChildren children = new FakeChildren();
        // a real child dying of SIGFPE, as libtorch 2.7.1's oneDNN does in ResNet-50's backward pass on some CPUs
        ChildProcess.Outcome crash = ChildProcess.run(List.of("sh", "-c", "kill -FPE $$"));
        for (int round = 0; round < 2; round++) {
            children.visionzoo.add(FakeChildren.figures(10, 40, 100));
            children.libtorch.add(crash);
            children.libtorch.add(peer("inference", 20 + 20 * round, 0, 150));
        }
        children.visionzoo.add(FakeChildren.figures(10, 40, 100));
        children.visionzoo.add(FakeChildren.figures(10, 40, 100));
        children.exportFailures.add("vgg16");
        Path out = dir.resolve("bench.json");
        List<String> args = new ArrayList<>(List.of("--models", "resnet50,vgg16", "--rounds", "2", "--out",
                out.toString()));
        args.addAll(libtorchOptions(dir));

        Result r = runWith(children, args.toArray(String[]::new));

        // the crash is the peer's finding; vgg16's missing TorchScript file is a failure of the bench, once a round
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("2 measurement(s) failed");
        assertThat(crash.crashed()).isTrue();
        JsonNode row = new ObjectMapper().readTree(out.toFile()).at("/results/0");
        JsonNode stock = row.at("/libtorch/stock");
        assertThat(stock.has("error")).isFalse();
        assertThat(stock.get("trainError").asText()).contains("killed by signal 8 (SIGFPE)");
        assertThat(stock.get("inferenceImagesPerSecond").asDouble()).isEqualTo(30.0); // the median of 20 and 40
        assertThat(stock.get("medianOfRounds").asInt()).isEqualTo(2);
        assertThat(row.at("/libtorchRatio/train").isNull()).isTrue();
        assertThat(row.at("/libtorchRatio/inference").asDouble()).isCloseTo(1.5, within(1e-12)); // of 2 and 1
        assertThat(row.at("/perRound/0/libtorch/stock/trainError").asText()).contains("SIGFPE");
        assertThat(new ObjectMapper().readTree(out.toFile()).at("/results/1/libtorch/stock/error").asText())
                .contains("no TorchScript file", "fake: no such model");
        assertThat(r.out()).contains("train failed: killed by signal 8 (SIGFPE)");
        assertThat(dir.resolve("bench.md")).content().contains("| resnet50 | stock | train error: killed by signal 8 "
                + "(SIGFPE) | | | 30.0 (", "| vgg16 | stock | error: every round failed; round 1: no TorchScript file",
                "each a fresh visionzoo process and then fresh libtorch ones");
    }

    @Test
    void libtorchOptionsAreCheckedBeforeAnythingRuns(@TempDir Path dir) throws Exception {
        Result jar = Cli.run("bench", "--models", "resnet18", "--libtorch", "--libtorch-jar",
                dir.resolve("nope.jar").toString(), "--out", dir.resolve("b.json").toString());
        assertThat(jar.code()).isEqualTo(2);
        assertThat(jar.err()).contains("--libtorch-jar", "nope.jar", "mvn -f src/tools/bench/libtorch/pom.xml package");
        List<String> args = new ArrayList<>(List.of("bench", "--models", "resnet18", "--libtorch-variants",
                "stock,fast", "--out", dir.resolve("b.json").toString()));
        args.addAll(libtorchOptions(dir));
        Result variants = Cli.run(args.toArray(String[]::new));
        assertThat(variants.code()).isEqualTo(2);
        assertThat(variants.err()).contains("--libtorch-variants stock,fast", "thp+no-optimizer");
        assertThat(dir.resolve("b.json")).doesNotExist();
    }

    @Test
    void defaultLibtorchFilesAreTheRepositorys() {
        // the exporter sits beside the default --pytorch-script, and the peer's project where --libtorch-jar builds
        assertThat(Path.of("../src/tools/bench/export_torchscript.py")).isRegularFile();
        assertThat(Path.of("../src/tools/bench/libtorch/pom.xml")).isRegularFile();
        String jar = new CommandLine(new BenchCommand()).getCommandSpec().findOption("--libtorch-jar").defaultValue();
        assertThat(jar).isEqualTo("src/tools/bench/libtorch/target/libtorch-bench.jar");
    }

    private static Result runWith(FakeChildren children, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new BenchCommand(children));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void roundsAlternateAndGiveMediansWithTheRangeOfTheRoundsRatios(@TempDir Path dir) throws Exception {
        FakeChildren children = new FakeChildren();
        // resnet18: training ratios 0.5, 1.5, 2.0 (median 1.5, while the medians' ratio is 20 / 20 = 1.0),
        // inference 1.0, 1.1, 1.05, memory 1.0, 1.2, 1.1
        children.visionzoo.add(FakeChildren.figures(10, 40, 100));
        children.visionzoo.add(FakeChildren.figures(30, 44, 120));
        children.visionzoo.add(FakeChildren.figures(20, 42, 110));
        for (double train : new double[] {20, 20, 10}) {
            children.pytorch.add(FakeChildren.figures(train, 40, 100));
        }
        // resnet34: visionzoo fails in round 2, so rounds 1 and 3 count
        children.visionzoo.add(FakeChildren.figures(10, 40, 100));
        children.visionzoo.add(Map.of("error", "fake out of memory"));
        children.visionzoo.add(FakeChildren.figures(20, 40, 100));
        for (double train : new double[] {20, 20, 10}) {
            children.pytorch.add(FakeChildren.figures(train, 40, 100));
        }
        Path script = Files.writeString(dir.resolve("bench_pytorch.py"), "# not run\n");
        Path out = dir.resolve("bench.json");

        Result r = runWith(children, "--models", "resnet18,resnet34", "--rounds", "3", "--pytorch", "--python",
                FakeChildren.PYTHON, "--pytorch-script", script.toString(), "--out", out.toString());

        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("1 measurement(s) failed");
        assertThat(children.launches).containsExactly("pytorch --peak", "visionzoo --peak",
                "visionzoo resnet18", "pytorch resnet18", "visionzoo resnet18", "pytorch resnet18",
                "visionzoo resnet18", "pytorch resnet18",
                "visionzoo resnet34", "pytorch resnet34", "visionzoo resnet34", "pytorch resnet34",
                "visionzoo resnet34", "pytorch resnet34");
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertThat(json.get("rounds").asInt()).isEqualTo(3);

        JsonNode first = json.at("/results/0");
        assertThat(first.at("/visionzoo/trainImagesPerSecond").asDouble()).isEqualTo(20.0);
        assertThat(first.at("/visionzoo/inferenceImagesPerSecond").asDouble()).isEqualTo(42.0);
        assertThat(first.at("/visionzoo/peakRssBytes").asDouble()).isEqualTo(110.0 * (1 << 20));
        assertThat(first.at("/visionzoo/medianOfRounds").asInt()).isEqualTo(3);
        assertThat(first.at("/visionzoo/imageSize").isInt()).isTrue(); // the same in every round: kept as it was
        double fwd = first.get("forwardGflopPerImage").asDouble();
        assertThat(first.at("/visionzoo/trainGflopPerSecond").asDouble()).isCloseTo(3 * fwd * 20, within(1e-9));
        assertThat(first.at("/pytorch/trainImagesPerSecond").asDouble()).isEqualTo(20.0);
        assertThat(first.at("/ratio/train").asDouble()).isCloseTo(1.5, within(1e-12));
        assertThat(first.at("/ratioSpread/train/min").asDouble()).isCloseTo(0.5, within(1e-12));
        assertThat(first.at("/ratioSpread/train/max").asDouble()).isCloseTo(2.0, within(1e-12));
        assertThat(first.at("/ratioSpread/train/rounds").asInt()).isEqualTo(3);
        assertThat(first.at("/ratio/inference").asDouble()).isCloseTo(1.05, within(1e-12));
        assertThat(first.at("/ratioSpread/inference/min").asDouble()).isCloseTo(1.0, within(1e-12));
        assertThat(first.at("/ratioSpread/inference/max").asDouble()).isCloseTo(1.1, within(1e-12));
        assertThat(first.at("/ratio/peakRss").asDouble()).isCloseTo(1.1, within(1e-12));
        assertThat(first.at("/ratioSpread/peakRss/max").asDouble()).isCloseTo(1.2, within(1e-12));
        // every round's own figures, both sides
        assertThat(first.get("perRound")).hasSize(3);
        assertThat(first.at("/perRound/1/visionzoo/trainImagesPerSecond").asDouble()).isEqualTo(30.0);
        assertThat(first.at("/perRound/2/pytorch/trainImagesPerSecond").asDouble()).isEqualTo(10.0);
        assertThat(first.at("/perRound/2/ratio/train").asDouble()).isCloseTo(2.0, within(1e-12));

        JsonNode second = json.at("/results/1");
        assertThat(second.at("/perRound/1/visionzoo/error").asText()).contains("fake out of memory");
        assertThat(second.at("/visionzoo").has("error")).isFalse();
        assertThat(second.at("/visionzoo/medianOfRounds").asInt()).isEqualTo(2);
        assertThat(second.at("/visionzoo/trainImagesPerSecond").asDouble()).isEqualTo(15.0);
        assertThat(second.at("/ratio/train").asDouble()).isCloseTo(1.25, within(1e-12)); // of 0.5 and 2.0
        assertThat(second.at("/ratioSpread/train/rounds").asInt()).isEqualTo(2);

        assertThat(r.out()).contains("resnet18 at 224 px", ", 3 rounds ...", "round 2 of 3:",
                "medians of 3 rounds", "train 1.50 (0.50-2.00, 3 rounds), inference 1.05 (1.00-1.10, 3 rounds)",
                "train 1.25 (0.50-2.00, 2 rounds)");
        assertThat(dir.resolve("bench.md")).content().contains("3 rounds per model",
                "| 1.50 (0.50-2.00, 3 rounds) | 1.05 (1.00-1.10, 3 rounds) | 1.10 (1.00-1.20, 3 rounds) |",
                "| 1.25 (0.50-2.00, 2 rounds) |");
    }

    @Test
    void roundsWithoutPyTorchRunOnlyVisionzoo(@TempDir Path dir) throws Exception {
        FakeChildren children = new FakeChildren();
        children.visionzoo.add(FakeChildren.figures(10, 40, 100));
        children.visionzoo.add(FakeChildren.figures(30, 60, 200));
        Path out = dir.resolve("bench.json");

        Result r = runWith(children, "--models", "resnet18", "--rounds", "2", "--out", out.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(children.launches).containsExactly("visionzoo --peak", "visionzoo resnet18", "visionzoo resnet18");
        JsonNode row = new ObjectMapper().readTree(out.toFile()).at("/results/0");
        assertThat(row.at("/visionzoo/trainImagesPerSecond").asDouble()).isEqualTo(20.0); // even: the middle two's mean
        assertThat(row.at("/visionzoo/peakRssBytes").asDouble()).isEqualTo(150.0 * (1 << 20));
        assertThat(row.at("/visionzoo/medianOfRounds").asInt()).isEqualTo(2);
        assertThat(row.get("perRound")).hasSize(2);
        assertThat(row.has("pytorch")).isFalse();
        assertThat(row.has("ratioSpread")).isFalse();
        assertThat(r.out()).contains("medians of 2 rounds");
    }

    @Test
    void oneRoundKeepsTheSingleRunRow(@TempDir Path dir) throws Exception {
        FakeChildren children = new FakeChildren();
        children.visionzoo.add(FakeChildren.figures(10, 40, 100));
        children.pytorch.add(FakeChildren.figures(20, 40, 100));
        Path script = Files.writeString(dir.resolve("bench_pytorch.py"), "# not run\n");
        Path out = dir.resolve("bench.json");

        Result r = runWith(children, "--models", "resnet18", "--pytorch", "--python", FakeChildren.PYTHON,
                "--pytorch-script", script.toString(), "--out", out.toString());

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertThat(json.get("rounds").asInt()).isEqualTo(1);
        JsonNode row = json.at("/results/0");
        assertThat(row.at("/ratio/train").asDouble()).isEqualTo(0.5);
        assertThat(row.has("perRound")).isFalse();
        assertThat(row.has("ratioSpread")).isFalse();
        assertThat(row.get("visionzoo").has("medianOfRounds")).isFalse();
        assertThat(r.out()).contains("visionzoo / PyTorch: train 0.50, inference 1.00, peak memory 1.00")
                .doesNotContain("round");
        assertThat(dir.resolve("bench.md")).content().contains("| 0.50 | 1.00 | 1.00 |").doesNotContain("rounds");
    }

    @Test
    void davitWithoutTimmRepoHasNoPyTorchReferenceAndIsNoFailure(@TempDir Path dir) throws Exception {
        assumeTrue(System.getenv("TIMM_REPO") == null, "TIMM_REPO is set: it is --timm-repo's default");
        FakeChildren children = new FakeChildren();
        children.visionzoo.add(FakeChildren.figures(10, 40, 100));
        children.visionzoo.add(FakeChildren.figures(5, 20, 300));
        children.pytorch.add(FakeChildren.figures(20, 40, 100));
        Path script = Files.writeString(dir.resolve("bench_pytorch.py"), "# not run\n");
        Path out = dir.resolve("bench.json");

        Result r = runWith(children, "--models", "resnet18,davit_tiny", "--pytorch", "--python",
                FakeChildren.PYTHON, "--pytorch-script", script.toString(), "--out", out.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(children.launches).containsExactly("pytorch --peak", "visionzoo --peak", "visionzoo resnet18",
                "pytorch resnet18", "visionzoo davit_tiny");
        JsonNode row = new ObjectMapper().readTree(out.toFile()).at("/results/1");
        assertThat(row.at("/visionzoo/trainImagesPerSecond").asDouble()).isEqualTo(5.0);
        assertThat(row.at("/pytorch/noReference").asText()).isEqualTo("no PyTorch reference: give --timm-repo "
                + "PATH (a clone of huggingface/pytorch-image-models) or set TIMM_REPO");
        assertThat(row.at("/pytorch").has("error")).isFalse();
        assertThat(row.at("/ratio/train").isNull()).isTrue();
        assertThat(r.out()).contains("PyTorch   no PyTorch reference: give --timm-repo PATH");
        assertThat(dir.resolve("bench.md")).content()
                .contains("| no PyTorch reference: give --timm-repo PATH (a clone of huggingface/pytorch-image-models)"
                        + " or set TIMM_REPO | | | - | - | - |")
                .doesNotContain("error");
    }

    @Test
    void timmRepoGoesToPyTorchsDavitOnly(@TempDir Path dir) throws Exception {
        FakeChildren children = new FakeChildren();
        children.visionzoo.add(FakeChildren.figures(10, 40, 100));
        children.visionzoo.add(FakeChildren.figures(5, 20, 300));
        children.pytorch.add(FakeChildren.figures(20, 40, 100));
        children.pytorch.add(FakeChildren.figures(10, 20, 200));
        Path script = Files.writeString(dir.resolve("bench_pytorch.py"), "# not run\n");
        Path timm = Files.createDirectory(dir.resolve("pytorch-image-models"));

        Result r = runWith(children, "--models", "resnet18,davit_tiny", "--pytorch", "--python",
                FakeChildren.PYTHON, "--pytorch-script", script.toString(), "--timm-repo", timm.toString(), "--out",
                dir.resolve("bench.json").toString());

        assertThat(r.code()).as(r.err()).isZero();
        List<List<String>> torch = children.commands.stream()
                .filter(c -> c.get(0).equals(FakeChildren.PYTHON) && c.contains("--model")).toList();
        assertThat(torch).hasSize(2);
        assertThat(torch.get(0)).contains("resnet18").doesNotContain("--timm-repo");
        assertThat(torch.get(1)).contains("davit_tiny").containsSubsequence("--timm-repo",
                timm.toAbsolutePath().toString());
        assertThat(r.out()).contains("visionzoo / PyTorch: train 0.50, inference 1.00, peak memory 1.50");
    }

    /** {@code --precision bf16} reaches visionzoo's child and the report, not the PyTorch peer's. */
    @Test
    void precisionGoesToVisionzooOnly(@TempDir Path dir) throws Exception {
        FakeChildren children = new FakeChildren();
        children.visionzoo.add(FakeChildren.figures(10, 40, 100));
        children.pytorch.add(FakeChildren.figures(20, 40, 100));
        Path script = Files.writeString(dir.resolve("bench_pytorch.py"), "# not run\n");
        Path json = dir.resolve("bench.json");

        Result r = runWith(children, "--models", "resnet18", "--precision", "bf16", "--pytorch", "--python",
                FakeChildren.PYTHON, "--pytorch-script", script.toString(), "--out", json.toString());

        assertThat(r.code()).as(r.err()).isZero();
        List<String> vz = children.commands.stream().filter(c -> !c.get(0).equals(FakeChildren.PYTHON)
                && c.contains("--model")).findFirst().orElseThrow();
        assertThat(vz).containsSubsequence("--precision", "bf16");
        assertThat(children.commands.stream().filter(c -> c.get(0).equals(FakeChildren.PYTHON)))
                .allMatch(c -> !c.contains("--precision"));
        assertThat(json).content().contains("\"precision\" : \"bf16\"");
        assertThat(BenchReport.markdownFile(json)).content().contains("trains its convolutions in bf16");
        Result bad = Cli.run("bench", "--precision", "fp16");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--precision must be float32 or bf16, was 'fp16'");
    }

    @Test
    void timmRepoThatIsNotAFolderNamesTheOption(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("bench_pytorch.py"), "# not run\n");
        Result r = Cli.run("bench", "--models", "davit_tiny", "--pytorch", "--pytorch-script", script.toString(),
                "--timm-repo", dir.resolve("nope").toString(), "--out", dir.resolve("b.json").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--timm-repo", "nope", "is not a folder", "pytorch-image-models");
        assertThat(dir.resolve("b.json")).doesNotExist();
    }

    @Test
    void unknownModelIsBadInputBeforeAnythingRuns(@TempDir Path dir) {
        Result r = Cli.run("bench", "--models", "resnet18,resnet35", "--out", dir.resolve("b.json").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--models resnet35", "unknown model 'resnet35'");
        assertThat(dir.resolve("b.json")).doesNotExist();
    }

    @Test
    void badNumbersNameTheirOption() {
        assertThat(Cli.run("bench", "--batch", "0").err()).contains("--batch must be >= 1");
        assertThat(Cli.run("bench", "--steps", "0").err()).contains("--steps must be >= 1");
        assertThat(Cli.run("bench", "--warmup", "-1").code()).isEqualTo(2);
        Result rounds = Cli.run("bench", "--rounds", "0");
        assertThat(rounds.code()).isEqualTo(2);
        assertThat(rounds.err()).contains("--rounds must be >= 1");
        Result size = Cli.run("bench", "--models", "alexnet", "--image-size", "64");
        assertThat(size.code()).isEqualTo(2);
        assertThat(size.err()).contains("--models alexnet", "227");
    }

    @Test
    void missingMallocLibraryNamesTheOption(@TempDir Path dir) {
        Result r = Cli.run("bench", "--models", "resnet18", "--malloc", dir.resolve("libnope.so").toString(),
                "--out", dir.resolve("b.json").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--malloc", "libnope.so", "is not a file", "libtcmalloc-minimal4");
        assertThat(dir.resolve("b.json")).doesNotExist();
    }

    @Test
    void missingPyTorchScriptNamesTheOption(@TempDir Path dir) {
        Result r = Cli.run("bench", "--models", "resnet18", "--pytorch", "--pytorch-script",
                dir.resolve("nope.py").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--pytorch-script", "nope.py", "is not a file");
    }

    @Test
    void defaultPyTorchScriptIsTheRepositorysBenchmarkScript() {
        String script = new CommandLine(new BenchCommand()).getCommandSpec().findOption("--pytorch-script")
                .defaultValue();
        // the default is relative to the repository root; Maven runs the tests in the module's folder
        assertThat(Path.of("..").resolve(script)).isRegularFile();
        assertThat(script).isEqualTo("src/tools/bench/bench_pytorch.py");
    }

    @Test
    void pythonThatCannotRunNamesTheOption(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("bench_pytorch.py"), "");
        Result r = Cli.run("bench", "--models", "resnet18", "--pytorch", "--pytorch-script", script.toString(),
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
        Result r = Cli.run("bench", "--models", "resnet18", "--pytorch", "--pytorch-script", script.toString(),
                "--python", python.toString(), "--out", dir.resolve("b.json").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--python", "--peak failed", "No module named 'torch'",
                "apt-get install python3-torch python3-torchvision libopenblas0");
        assertThat(dir.resolve("b.json")).doesNotExist();
    }
}
