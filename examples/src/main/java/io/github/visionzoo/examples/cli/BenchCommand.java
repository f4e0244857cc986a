package io.github.visionzoo.examples.cli;

import io.github.visionzoo.examples.bench.BenchReport;
import io.github.visionzoo.examples.bench.ChildProcess;
import io.github.visionzoo.examples.bench.MachineInfo;
import io.github.visionzoo.examples.bench.ModelBench;
import io.github.visionzoo.zoo.CpuThreads;
import io.github.visionzoo.zoo.ModelFlops;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import io.github.visionzoo.zoo.models.DavitSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: per model, training images/s (forward, loss, backward, AdamW step), inference images/s, peak resident
 * memory and achieved GFLOP/s, each model in a JVM of its own ({@link ModelBench}); optionally the same for PyTorch
 * ({@code src/tools/bench/bench_pytorch.py}) with the ratio visionzoo / PyTorch. A float32 matrix-product probe
 * (ND4J, and PyTorch when asked) gives the machine's peak, so every rate is also a share of what the machine can do.
 *
 * <p>Order: the PyTorch probe (when asked; it also checks that Python and torch work before anything long runs), the
 * ND4J probe, then per model visionzoo and PyTorch, one process at a time. With {@code --rounds N} each model gets
 * N rounds of (visionzoo, PyTorch), each child a fresh process, and its row the median of every figure, the median of
 * the per-round ratios with their range, and every round's figures ({@link BenchReport#combineRounds}): one run's
 * ratios move by 0.2-0.5 on a noisy machine. The JSON file and a Markdown table beside it ({@code .md}) are rewritten
 * after each round, so an interrupted run keeps what it measured; a model whose process fails (out of memory, say)
 * gets an {@code error} in its row (in its round's, with rounds) and the others go on.
 *
 * <p>With {@code --libtorch} the libtorch 2.7 peer ({@code src/tools/bench/libtorch}, through DJL) runs too: its probe
 * first, then per model and round, after visionzoo and PyTorch, each variant of {@code --libtorch-variants} in two
 * processes (training, then inference) on TorchScript files that {@code src/tools/bench/export_torchscript.py}
 * writes once into {@code --torchscript-dir}. A peer that dies of a signal (libtorch 2.7.1's oneDNN divides by zero
 * in ResNet-50's backward pass on some CPUs) leaves "crashed: SIGFPE ..." in its cells; that is a finding about the
 * peer, so it does not fail the command.
 *
 * <p>PyTorch's DaViT is timm's own {@code davit.py}, which the script reads from a clone of timm
 * ({@code --timm-repo}); without one a DaViT's row says that it has no PyTorch reference and why, which is not a
 * failure.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Training and inference images/s, peak memory and GFLOP/s per model, each in its own JVM; "
                + "with --pytorch also PyTorch's, with --libtorch also libtorch's, and the ratios. Results go to a "
                + "JSON file and a Markdown table.",
                "Each rate is the median of the timed steps after the warm-up steps; time at least 5 steps."})
public final class BenchCommand implements Callable<Integer> {
    /**
     * The models of issue #8, in its order, and issue #26's Swin-T and DaViT-T (PyTorch's DaViT needs
     * {@code --timm-repo}; without it the row says so).
     */
    public static final String DEFAULT_MODELS = "alexnet,vgg16,resnet34,vit_b_16,resnet18,vit_s_16,swin_t,davit_tiny";
    private static final int DEFAULT_PEAK_SIZE = 2048;
    private static final String LIBTORCH_JAR = "src/tools/bench/libtorch/target/libtorch-bench.jar";
    private static final List<String> LIBTORCH_VARIANTS = List.of("stock", "thp", "no-optimizer",
            "thp+no-optimizer");

    @Option(names = "--models", split = ",", defaultValue = DEFAULT_MODELS, paramLabel = "NAME",
            description = "Models (names or spec JSON files) to measure (default: ${DEFAULT-VALUE}).")
    List<String> models;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "N", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--image-size", paramLabel = "N", description = "Input size for every model (default: each model's own).")
    Integer imageSize;

    @Option(names = "--precision", defaultValue = TrainingRecipe.FLOAT32, paramLabel = "float32|bf16",
            description = "visionzoo's training precision: bf16 trains the convolutions in bf16 where faster (a"
                    + " recipe's \"precision\"); the peers stay float32 (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--warmup", defaultValue = "5", paramLabel = "N", description = "Untimed steps first (default: "
            + "${DEFAULT-VALUE}: DL4J's workspaces learn their sizes over the first four training steps).")
    int warmup;

    @Option(names = "--steps", defaultValue = "5", paramLabel = "N",
            description = "Timed steps, of which the median counts (default: ${DEFAULT-VALUE}; use at least 5).")
    int steps;

    @Option(names = "--rounds", defaultValue = "1", paramLabel = "N",
            description = {"Rounds per model, each a fresh visionzoo process and then (with --pytorch) a fresh "
                    + "PyTorch one; the results give the median over the rounds and the range of the per-round "
                    + "ratios (default: ${DEFAULT-VALUE}). Use 3 or more for verdicts on a noisy machine."})
    int rounds;

    @Option(names = "--out", defaultValue = "bench-results.json", paramLabel = "FILE",
            description = "Results file; the Markdown table goes beside it as .md (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--pytorch", description = "Also run the PyTorch reference and print visionzoo / PyTorch.")
    boolean pytorch;

    @Option(names = "--python", defaultValue = "python3", paramLabel = "PYTHON",
            description = "Python with torch and torchvision, for --pytorch (default: ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--pytorch-script", defaultValue = "src/tools/bench/bench_pytorch.py", paramLabel = "FILE",
            description = "The PyTorch reference script (default: ${DEFAULT-VALUE}, from the repository root).")
    Path pytorchScript;

    @Option(names = "--timm-repo", defaultValue = "${env:TIMM_REPO}", paramLabel = "DIR",
            description = {"A git clone of huggingface/pytorch-image-models (timm), for --pytorch's DaViT: the script "
                    + "runs timm's own davit.py from it at a pinned commit (default: the TIMM_REPO environment "
                    + "variable). Without it DaViT has no PyTorch reference."})
    Path timmRepo;

    @Option(names = "--libtorch", description = {"Also run the libtorch 2.7 peer through DJL and print visionzoo / "
            + "libtorch (training against libtorch's forward+backward). Build it once: mvn -f "
            + "src/tools/bench/libtorch/pom.xml package; its TorchScript files come from --python with torch."})
    boolean libtorch;

    @Option(names = "--libtorch-jar", defaultValue = LIBTORCH_JAR, paramLabel = "FILE",
            description = "The libtorch peer's jar (default: ${DEFAULT-VALUE}, from the repository root).")
    Path libtorchJar;

    @Option(names = "--libtorch-variants", split = ",", defaultValue = "stock", paramLabel = "VARIANT",
            description = {"libtorch configurations to measure, each ratio against the best of them: stock, thp "
                    + "(THP_MEM_ALLOC_ENABLE=1: its allocator asks for transparent huge pages), no-optimizer (the "
                    + "graph executor's optimizer off), thp+no-optimizer (default: ${DEFAULT-VALUE})."})
    List<String> libtorchVariants;

    @Option(names = "--torchscript-dir", defaultValue = "runs/torchscript", paramLabel = "DIR",
            description = {"Where the TorchScript files of the libtorch peer are kept, NAME-SIZE-CLASSES.pt; a "
                    + "missing one is exported with --python and export_torchscript.py beside --pytorch-script "
                    + "(default: ${DEFAULT-VALUE})."})
    Path torchscriptDir;

    @Option(names = "--peak-size", defaultValue = "" + DEFAULT_PEAK_SIZE, paramLabel = "N",
            description = "Side of the square matrices of the peak probe (default: ${DEFAULT-VALUE}).")
    int peakSize;

    @Option(names = "--malloc", paramLabel = "LIB",
            description = {"Also measure each model with this malloc library preloaded (LD_PRELOAD), beside the "
                    + "system's malloc, in a row of its own with the ratio of the two, e.g. "
                    + "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 (Debian: apt-get install "
                    + "libtcmalloc-minimal4). PyTorch runs on the malloc of this command's environment."})
    Path malloc;

    @Mixin
    CommonOptions common;

    /** What the preloaded runs of {@code --malloc} add to the environment: {@code LD_PRELOAD} with it first. */
    private Map<String, String> preloadEnvironment = Map.of();

    /**
     * What PyTorch's processes add to the environment: the {@code OPENBLAS_CORETYPE} that visionzoo's processes set
     * for themselves ({@link CpuThreads#preferOpenBlasKernels()}), unless this command's environment has one.
     * Debian's OpenBLAS 0.3.21 falls back to its generic Prescott kernels on CPUs it does not recognize, as ND4J's
     * does, and PyTorch's matrix products would then run far below the machine's peak.
     */
    private Map<String, String> pythonEnvironment = Map.of();

    @Spec
    CommandSpec spec;

    /** How a child process runs: {@link ChildProcess#run(List, Map)}; tests put a fake in its place. */
    @FunctionalInterface
    public interface Launcher {
        ChildProcess.Outcome run(List<String> command, Map<String, String> environment) throws IOException;
    }

    private final Launcher launcher;

    public BenchCommand() {
        this(ChildProcess::run);
    }

    public BenchCommand(Launcher launcher) {
        this.launcher = launcher;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter console = spec.commandLine().getOut();
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, was " + batch);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be >= 1 (at least 5 for a result), was " + steps);
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must be >= 0, was " + warmup);
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be >= 1 (1 measures each model once), was " + rounds);
        }
        if (peakSize < 1) {
            throw new IllegalArgumentException("--peak-size must be >= 1, was " + peakSize);
        }
        Limits.buffers("--peak-size " + peakSize + " (three float32 matrices of that side)", 12.0 * peakSize * peakSize,
                "give --peak-size " + DEFAULT_PEAK_SIZE + " or less");
        RecipeOptions.requirePrecision(precision);
        if (imageSize != null) {
            Limits.imageSize("--image-size", imageSize);
        }
        checkOut();
        if (models.isEmpty()) {
            throw new IllegalArgumentException("--models names no model");
        }
        // every model is checked (name, input size) before anything is measured
        List<ModelSpec> specs = new ArrayList<>();
        List<Long> flops = new ArrayList<>();
        for (String name : models) {
            ModelSpec s;
            try {
                s = ModelBench.spec(name, imageSize);
                Limits.trainingStep(ModelSummary.of(s, ModelBench.CLASSES), s.imageSize(), batch, 1, "--image-size",
                        "--batch");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--models " + name + ": " + e.getMessage(), e);
            }
            specs.add(s);
            flops.add(ModelFlops.of(s, ModelBench.CLASSES).total());
        }
        if (pytorch && !Files.isRegularFile(pytorchScript)) {
            throw new IllegalArgumentException("--pytorch-script " + pytorchScript + " is not a file; run from the "
                    + "repository root or give --pytorch-script PATH/bench_pytorch.py");
        }
        if (pytorch && timmRepo != null && !Files.isDirectory(timmRepo)) {
            throw new IllegalArgumentException("--timm-repo " + timmRepo + " is not a folder; give a clone of "
                    + "timm (git clone https://github.com/huggingface/pytorch-image-models) or leave it out");
        }
        if (libtorch) {
            checkLibtorch();
        }
        if (malloc != null) {
            if (!Files.isRegularFile(malloc)) {
                throw new IllegalArgumentException("--malloc " + malloc + " is not a file; give the path of a malloc "
                        + "library such as libtcmalloc_minimal.so.4 (Debian: apt-get install libtcmalloc-minimal4, "
                        + "then /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4), or leave --malloc out");
            }
            String preload = System.getenv("LD_PRELOAD");
            preloadEnvironment = Map.of("LD_PRELOAD", malloc.toAbsolutePath()
                    + (preload == null || preload.isBlank() ? "" : ":" + preload));
        }
        String coreType = System.getenv(CpuThreads.OPENBLAS_CORETYPE);
        if (coreType == null) {
            coreType = CpuThreads.openBlasCoreType();
            pythonEnvironment = coreType == null ? Map.of() : Map.of(CpuThreads.OPENBLAS_CORETYPE, coreType);
        }
        if (steps < 5) {
            console.println("note: --steps " + steps + " gives a rough figure; time at least 5 steps for a result");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("benchmark", "visionzoo bench");
        results.put("timestamp", Instant.now().toString());
        results.put("batch", batch);
        results.put("warmupSteps", warmup);
        results.put("timedSteps", steps);
        results.put("rounds", rounds);
        results.put("imageSizeOverride", imageSize);
        results.put("precision", precision);
        results.put("classes", ModelBench.CLASSES);
        results.put("malloc", malloc == null ? "system" : malloc.toAbsolutePath().toString());
        results.put("openblasCoretype", coreType);
        Map<String, Object> machine = MachineInfo.describe();
        results.put("machine", machine);
        Map<String, Object> peak = new LinkedHashMap<>();
        results.put("peak", peak);
        List<Map<String, Object>> rows = new ArrayList<>();
        results.put("results", rows);

        if (pytorch) {
            ChildProcess.Outcome torch = runPython(List.of("--peak", "--threads", String.valueOf(cores)));
            if (!torch.ok()) {
                throw new IllegalArgumentException("--python " + python + " " + pytorchScript + " --peak failed: "
                        + torch.error() + " (PyTorch setup on Debian: apt-get install python3-torch "
                        + "python3-torchvision libopenblas0)");
            }
            peak.put("pytorch", torch.result());
            machine.put("torch", torch.result().get("torch"));
            machine.put("torchThreads", torch.result().get("threads"));
            machine.put("blas", torch.result().get("blas"));
        }
        if (libtorch) {
            ChildProcess.Outcome probe = runLibtorch(List.of("--peak", "--size", String.valueOf(peakSize), "--threads",
                    String.valueOf(cores), "--warmup", String.valueOf(Math.max(1, warmup)), "--steps",
                    String.valueOf(Math.max(5, steps))), Map.of());
            if (!probe.ok()) {
                throw new IllegalArgumentException("--libtorch-jar " + libtorchJar + " --peak failed: " + probe.error()
                        + " (rebuild it: mvn -f src/tools/bench/libtorch/pom.xml package)");
            }
            peak.put("libtorch", probe.result());
            for (String key : List.of("libtorch", "djl", "onednn", "mkl")) {
                machine.put(key, probe.result().get(key));
            }
            machine.put("libtorchThreads", probe.result().get("threads"));
        }
        console.printf(Locale.ROOT, "peak probe: float32 %dx%d matrix product ...%n", peakSize, peakSize);
        ChildProcess.Outcome nd4j = runJava(List.of("--peak", "--size", String.valueOf(peakSize), "--warmup",
                String.valueOf(Math.max(1, warmup)), "--steps", String.valueOf(Math.max(5, steps))));
        peak.put("nd4j", nd4j.ok() ? nd4j.result() : Map.of("error", nd4j.error()));
        if (nd4j.ok()) {
            machine.put("natives", nd4j.result().get("natives"));
            machine.put("directConvolutions", nd4j.result().get("directConvolutions"));
        }
        Double machinePeak = BenchReport.machinePeak(peak);
        peak.put("machineGflops", machinePeak);
        console.println(BenchReport.peakLine(peak));
        BenchReport.write(out, results);

        int failures = nd4j.ok() ? 0 : 1;
        for (int i = 0; i < models.size(); i++) {
            String name = models.get(i);
            ModelSpec s = specs.get(i);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", name);
            row.put("imageSize", s.imageSize());
            row.put("forwardGflopPerImage", flops.get(i) / 1e9);
            console.printf(Locale.ROOT, "%s at %d px (%.2f GFLOP per image forward)%s ...%n", name, s.imageSize(),
                    flops.get(i) / 1e9, rounds > 1 ? ", " + rounds + " rounds" : "");
            List<String> args = new ArrayList<>(List.of("--model", name, "--batch", String.valueOf(batch),
                    "--warmup", String.valueOf(warmup), "--steps", String.valueOf(steps)));
            if (imageSize != null) {
                args.addAll(List.of("--image-size", String.valueOf(imageSize)));
            }
            List<String> torchArgs = new ArrayList<>(args);
            args.addAll(List.of("--precision", precision)); // visionzoo's alone
            torchArgs.addAll(List.of("--threads", String.valueOf(cores)));
            boolean timm = s instanceof DavitSpec;
            if (timm && timmRepo != null) {
                torchArgs.addAll(List.of("--timm-repo", timmRepo.toAbsolutePath().toString()));
            }
            rows.add(row);
            ChildProcess.Outcome exported = libtorch ? exportTorchScript(name, s.imageSize(), console) : null;
            List<Map<String, Object>> measured = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                Map<String, Object> m = new LinkedHashMap<>();
                ChildProcess.Outcome vz = runJava(args);
                m.put("visionzoo", BenchReport.measurement(vz, flops.get(i), machinePeak));
                failures += vz.ok() ? 0 : 1;
                if (malloc != null) {
                    ChildProcess.Outcome preloaded = launcher.run(ChildProcess.javaCommand(ModelBench.class, args),
                            preloadEnvironment);
                    m.put("visionzooPreloaded", BenchReport.measurement(preloaded, flops.get(i), machinePeak));
                    failures += preloaded.ok() ? 0 : 1;
                    m.put("mallocRatio", BenchReport.mallocRatios(m));
                }
                if (pytorch && timm && timmRepo == null) {
                    m.put("pytorch", BenchReport.noReference("no PyTorch reference: give --timm-repo PATH (a clone "
                            + "of huggingface/pytorch-image-models) or set TIMM_REPO"));
                    m.put("ratio", BenchReport.ratios(m));
                } else if (pytorch) {
                    ChildProcess.Outcome pt = runPythonForRow(torchArgs);
                    m.put("pytorch", BenchReport.measurement(pt, flops.get(i), machinePeak));
                    failures += pt.ok() ? 0 : 1;
                    m.put("ratio", BenchReport.ratios(m));
                }
                if (libtorch) {
                    Map<String, Object> variants = new LinkedHashMap<>();
                    for (String variant : libtorchVariants) {
                        ChildProcess.Outcome train = runLibtorchForRow(exported, name, s.imageSize(), variant,
                                "train");
                        ChildProcess.Outcome infer = runLibtorchForRow(exported, name, s.imageSize(), variant,
                                "inference");
                        variants.put(variant, BenchReport.peerMeasurement(train, infer, flops.get(i), machinePeak));
                        // a crash is the peer's finding, reported in the row; any other failure is the bench's
                        boolean failed = !train.ok() && !train.crashed() || !infer.ok() && !infer.crashed();
                        failures += failed ? 1 : 0;
                    }
                    m.put("libtorch", variants);
                    m.put("libtorchBest", BenchReport.libtorchBest(variants));
                    m.put("libtorchRatio", BenchReport.libtorchRatios(m));
                }
                measured.add(m);
                row.putAll(BenchReport.combineRounds(measured));
                BenchReport.write(out, results);
                if (rounds > 1) {
                    console.println("  round " + round + " of " + rounds + ":");
                    console.println(BenchReport.consoleLines(m).indent(2).stripTrailing());
                }
            }
            if (malloc != null && row.get("visionzooPreloaded") instanceof Map<?, ?> summary
                    && "system".equals(summary.get("allocator"))) {
                console.println("warning: --malloc " + malloc + " did not load into visionzoo's process (it runs on "
                        + "the system's malloc); is it a shared library for this machine? See the dynamic loader's "
                        + "message by running: LD_PRELOAD=" + malloc.toAbsolutePath() + " true");
            }
            console.println(BenchReport.consoleLines(row));
        }
        console.println("results written to " + out.toAbsolutePath() + " and " + BenchReport.markdownFile(out)
                .toAbsolutePath());
        if (failures > 0) {
            spec.commandLine().getErr().println("visionzoo bench: " + failures + " measurement(s) failed; see the "
                    + "error fields of " + out);
            return 1;
        }
        return 0;
    }

    /** The results are written after the peak probe: a folder or a file in the way must be found before it. */
    private void checkOut() {
        for (Path file : List.of(out, BenchReport.markdownFile(out))) {
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException("--out " + out + ": " + file + " is a folder; give a file name such"
                        + " as " + file.resolve("bench-results.json"));
            }
        }
        Path folder = out.toAbsolutePath().getParent();
        while (!Files.exists(folder)) {
            folder = folder.getParent();
        }
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("--out " + out + ": " + folder + " is a file, not a folder");
        }
        if (!Files.isWritable(folder)) {
            throw new IllegalArgumentException("--out " + out + ": cannot write in " + folder);
        }
    }

    /** The libtorch peer's options and files are checked before anything runs. */
    private void checkLibtorch() {
        if (!Files.isRegularFile(libtorchJar)) {
            throw new IllegalArgumentException("--libtorch-jar " + libtorchJar + " is not a file; build the libtorch "
                    + "peer first (mvn -f src/tools/bench/libtorch/pom.xml package, from the repository root) or "
                    + "give --libtorch-jar PATH/libtorch-bench.jar");
        }
        if (libtorchVariants.isEmpty() || !LIBTORCH_VARIANTS.containsAll(libtorchVariants)
                || Set.copyOf(libtorchVariants).size() < libtorchVariants.size()) {
            throw new IllegalArgumentException("--libtorch-variants " + String.join(",", libtorchVariants)
                    + ": give distinct names among " + String.join(", ", LIBTORCH_VARIANTS));
        }
        if (!Files.isRegularFile(exporter())) {
            throw new IllegalArgumentException("--pytorch-script " + pytorchScript + ": no export_torchscript.py "
                    + "beside it, which --libtorch needs; run from the repository root or give --pytorch-script "
                    + "PATH/bench_pytorch.py");
        }
        if (Files.exists(torchscriptDir) && !Files.isDirectory(torchscriptDir)) {
            throw new IllegalArgumentException("--torchscript-dir " + torchscriptDir + " is a file; give a folder");
        }
    }

    private Path exporter() {
        return pytorchScript.resolveSibling("export_torchscript.py");
    }

    /** The TorchScript file of a model at a size: {@code NAME-SIZE-CLASSES.pt}, a spec file by its name's stem. */
    private Path torchScriptFile(String model, int size) {
        String stem = Path.of(model).getFileName().toString().replaceFirst("\\.json$", "");
        return torchscriptDir.resolve(stem + "-" + size + "-" + ModelBench.CLASSES + ".pt");
    }

    /** Exports the model's TorchScript file unless it is there; a failure is the outcome's, for the model's row. */
    private ChildProcess.Outcome exportTorchScript(String model, int size, PrintWriter console) {
        Path file = torchScriptFile(model, size);
        if (Files.isRegularFile(file)) {
            return new ChildProcess.Outcome(0, Map.of(), null);
        }
        console.println("  exporting " + file + " for libtorch with " + python + " ...");
        try {
            return launcher.run(List.of(python, exporter().toString(), "--model", model, "--out", file.toString(),
                    "--classes", String.valueOf(ModelBench.CLASSES), "--image-size", String.valueOf(size)),
                    pythonEnvironment);
        } catch (IOException e) {
            return new ChildProcess.Outcome(-1, null, "--python " + python + ": cannot run it to export " + file + " ("
                    + e.getMessage() + ")");
        }
    }

    /** One phase of one libtorch variant on a model, or the export's failure. */
    private ChildProcess.Outcome runLibtorchForRow(ChildProcess.Outcome exported, String model, int size,
                                                   String variant, String phase) {
        if (!exported.ok()) {
            return new ChildProcess.Outcome(-1, null, "no TorchScript file: " + exported.error());
        }
        List<String> args = new ArrayList<>(List.of("--torchscript", torchScriptFile(model, size).toString(),
                "--image-size", String.valueOf(size), "--model", model, "--phase", phase, "--batch", String.valueOf(batch), "--warmup", String.valueOf(warmup),
                "--steps", String.valueOf(steps), "--classes", String.valueOf(ModelBench.CLASSES), "--threads",
                String.valueOf(Runtime.getRuntime().availableProcessors())));
        if (variant.contains("no-optimizer")) {
            args.add("--no-graph-optimizer");
        }
        try {
            return runLibtorch(args, variant.contains("thp") ? Map.of("THP_MEM_ALLOC_ENABLE", "1") : Map.of());
        } catch (IllegalArgumentException e) {
            return new ChildProcess.Outcome(-1, null, e.getMessage());
        }
    }

    private ChildProcess.Outcome runLibtorch(List<String> args, Map<String, String> environment) {
        try {
            return launcher.run(ChildProcess.jarCommand(libtorchJar, args), environment);
        } catch (IOException e) {
            throw new IllegalArgumentException("--libtorch-jar " + libtorchJar + ": cannot run it (" + e.getMessage()
                    + ")", e);
        }
    }

    private ChildProcess.Outcome runJava(List<String> args) throws IOException {
        return launcher.run(ChildProcess.javaCommand(ModelBench.class, args), Map.of());
    }

    private ChildProcess.Outcome runPython(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(python, pytorchScript.toString()));
        cmd.addAll(args);
        try {
            return launcher.run(cmd, pythonEnvironment);
        } catch (IOException e) {
            throw new IllegalArgumentException("--python " + python + ": cannot run it (" + e.getMessage() + "); give "
                    + "--python PATH to a Python 3 with torch and torchvision", e);
        }
    }

    /** A model's PyTorch run: a failure (an unknown model for the script, out of memory) stays in the row. */
    private ChildProcess.Outcome runPythonForRow(List<String> args) {
        try {
            return runPython(args);
        } catch (IllegalArgumentException e) {
            return new ChildProcess.Outcome(-1, null, e.getMessage());
        }
    }
}
