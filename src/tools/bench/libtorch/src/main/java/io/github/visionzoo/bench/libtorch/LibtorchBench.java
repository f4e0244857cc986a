package io.github.visionzoo.bench.libtorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import com.google.gson.GsonBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The libtorch 2.7 peer of {@code visionzoo-examples bench --libtorch}: one TorchScript model (written by
 * {@code src/tools/bench/export_torchscript.py}) in one phase, trained or run through DJL's PyTorch engine, with the
 * protocol of {@code bench_pytorch.py} (random images in memory, warm-up steps, then the median of the timed steps,
 * peak resident memory at the end) and, like it, one JSON object on the last line of standard output.
 *
 * <ul>
 *   <li>{@code --phase train}: forward, cross-entropy and backward timed apart from DJL's AdamW step (learning rate
 *   1e-4, weight decay 0.01); DJL's AdamW makes full-size temporaries per parameter, so its step says more about DJL
 *   than about libtorch, and {@code bench} compares visionzoo's whole step with libtorch's forward and backward.</li>
 *   <li>{@code --phase inference}: eval mode, no gradients.</li>
 *   <li>{@code --peak}: float32 matrix-product GFLOP/s through libtorch, and its configuration: the oneDNN and MKL
 *   versions, read from their verbose logs in a child process of this program ({@code --versions}).</li>
 * </ul>
 * {@code --no-graph-optimizer} switches TorchScript's graph-executor optimization off (DJL's
 * {@code ai.djl.pytorch.graph_optimizer}); {@code THP_MEM_ALLOC_ENABLE=1} in the environment makes libtorch's
 * allocator ask for transparent huge pages. Nothing downloads at run time: libtorch comes from the
 * {@code pytorch-native-cpu} jar on the class path, and this program sets {@code DJL_OFFLINE}. A failure prints
 * {@code {"error": "..."}} and exits with 1; a crash inside libtorch ends the process with the signal.
 *
 * <pre>
 * java -jar src/tools/bench/libtorch/target/libtorch-bench.jar --torchscript runs/torchscript/resnet34-224-10.pt \
 *     --image-size 224 --model resnet34 --phase train [--batch 16] [--warmup 5] [--steps 5] [--classes 10] \
 *     [--threads N] [--no-graph-optimizer]
 * java -jar src/tools/bench/libtorch/target/libtorch-bench.jar --peak [--size 2048] [--threads N]
 * </pre>
 */
public final class LibtorchBench {
    private LibtorchBench() {
    }

    public static void main(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        Map<String, Object> result = new LinkedHashMap<>();
        int code = 0;
        try {
            parse(args, options);
            // before DJL's engine loads: it reads these once
            System.setProperty("DJL_OFFLINE", "true");
            System.setProperty("ai.djl.pytorch.num_threads", options.getOrDefault("threads",
                    String.valueOf(Runtime.getRuntime().availableProcessors())));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            boolean optimize = !options.containsKey("no-graph-optimizer");
            if (!optimize) {
                System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
            }
            if (options.containsKey("versions")) {
                probeVersions();
                return;
            }
            int batch = integer(options, "batch", 16);
            int warmup = integer(options, "warmup", 5);
            int steps = integer(options, "steps", 5);
            if (batch < 1 || steps < 1 || warmup < 0) {
                throw new IllegalArgumentException("--batch and --steps must be >= 1 and --warmup >= 0");
            }
            if (options.containsKey("peak")) {
                result.putAll(measurePeak(integer(options, "size", 2048), warmup, steps));
                result.putAll(versions());
            } else {
                String file = options.get("torchscript");
                String phase = options.get("phase");
                int size = integer(options, "image-size", 0);
                if (file == null || size < 1 || !List.of("train", "inference").contains(phase)) {
                    throw new IllegalArgumentException("give --torchscript FILE.pt, --image-size N (the size it was "
                            + "exported for) and --phase train|inference, or --peak");
                }
                result.put("model", options.getOrDefault("model", file));
                result.put("phase", phase);
                result.putAll(measureModel(Path.of(file), phase.equals("train"), batch, size, warmup, steps,
                        integer(options, "classes", 10)));
            }
            result.put("framework", "libtorch");
            result.put("libtorch", Engine.getEngine("PyTorch").getVersion());
            result.put("djl", Engine.getDjlVersion());
            result.put("threads", JniUtils.getNumThreads());
            result.put("features", new TreeSet<>(JniUtils.getFeatures()));
            result.put("graphExecutorOptimize", optimize);
            result.put("thpMemAllocEnable", System.getenv("THP_MEM_ALLOC_ENABLE"));
            result.put("allocator", allocator());
        } catch (Throwable t) { // OutOfMemoryError and DJL's EngineException included: the bench reports it
            result.put("error", t.toString());
            code = 1;
        }
        System.out.println(new GsonBuilder().serializeNulls().create().toJson(result));
        System.out.flush();
        System.exit(code);
    }

    private static void parse(String[] args, Map<String, String> options) {
        List<String> flags = List.of("peak", "versions", "no-graph-optimizer");
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String name = args[i].substring(2);
            if (flags.contains(name)) {
                options.put(name, "true");
            } else if (i + 1 < args.length) {
                options.put(name, args[++i]);
            } else {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
        }
    }

    private static int integer(Map<String, String> options, String name, int defaultValue) {
        String v = options.get(name);
        try {
            return v == null ? defaultValue : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, was " + v, e);
        }
    }

    /** One phase of one model; see the class comment. */
    static Map<String, Object> measureModel(Path file, boolean train, int batch, int size, int warmup, int steps,
                                            int classes) throws Exception {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--torchscript " + file + " is not a file");
        }
        Map<String, Object> r = new LinkedHashMap<>();
        try (Model model = Model.newInstance("peer", Device.cpu(), "PyTorch")) {
            model.load(file, null, Map.of("trainParam", "true"));
            Block block = model.getBlock();
            long parameters = 0;
            for (Pair<String, Parameter> p : block.getParameters()) {
                parameters += p.getValue().getArray().size();
            }
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomUniform(0f, 1f, new Shape(batch, 3, size, size));
            long[] labels = new long[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = i % classes;
            }
            NDArray y = manager.create(labels);
            r.put("imageSize", size);
            r.put("batch", batch);
            r.put("parameters", parameters);
            if (train) {
                Optimizer adamW = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-4f))
                        .optWeightDecays(0.01f).build();
                try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(adamW))) {
                    Steps whole = new Steps();
                    Steps forwardBackward = new Steps();
                    Steps optimizer = new Steps();
                    for (int i = 0; i < warmup + steps; i++) {
                        boolean timed = i >= warmup;
                        long faults = Steps.minorFaults();
                        long t0 = System.nanoTime();
                        // the step's temporaries go with its manager; x and y return to theirs
                        try (NDManager step = manager.newSubManager();
                             GradientCollector collector = trainer.newGradientCollector()) {
                            x.tempAttach(step);
                            y.tempAttach(step);
                            NDList logits = trainer.forward(new NDList(x));
                            collector.backward(trainer.getLoss().evaluate(new NDList(y), logits));
                        }
                        long t1 = System.nanoTime();
                        trainer.step();
                        long t2 = System.nanoTime();
                        if (timed) {
                            forwardBackward.add(t1 - t0, 0);
                            optimizer.add(t2 - t1, 0);
                            whole.add(t2 - t0, Steps.minorFaults() - faults);
                        }
                    }
                    r.put("trainImagesPerSecond", batch / whole.medianSeconds());
                    r.put("forwardBackwardImagesPerSecond", batch / forwardBackward.medianSeconds());
                    r.put("trainStepSeconds", whole.medianSeconds());
                    r.put("forwardBackwardSeconds", forwardBackward.medianSeconds());
                    r.put("optimizerStepSeconds", optimizer.medianSeconds());
                    r.put("trainMinorFaultsPerStep", whole.medianFaults());
                    r.put("optimizer", "adamw (DJL)");
                    r.put("learningRate", 1e-4);
                    r.put("weightDecay", 0.01);
                }
            } else {
                ParameterStore store = new ParameterStore(manager, false);
                Steps infer = new Steps();
                for (int i = 0; i < warmup + steps; i++) {
                    long faults = Steps.minorFaults();
                    long t0 = System.nanoTime();
                    try (NDManager step = manager.newSubManager()) {
                        x.tempAttach(step);
                        block.forward(store, new NDList(x), false);
                    }
                    if (i >= warmup) {
                        infer.add(System.nanoTime() - t0, Steps.minorFaults() - faults);
                    }
                }
                r.put("inferenceImagesPerSecond", batch / infer.medianSeconds());
                r.put("inferenceStepSeconds", infer.medianSeconds());
                r.put("inferenceMinorFaultsPerStep", infer.medianFaults());
            }
        }
        r.put("peakRssBytes", peakResidentBytes());
        return r;
    }

    /** GFLOP/s of a float32 {@code n x n} matrix product through libtorch (MKL's sgemm in its CPU build). */
    static Map<String, Object> measurePeak(int n, int warmup, int steps) {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray a = manager.randomUniform(0f, 1f, new Shape(n, n));
            NDArray b = manager.randomUniform(0f, 1f, new Shape(n, n));
            Steps times = new Steps();
            for (int i = 0; i < warmup + steps; i++) {
                long t0 = System.nanoTime();
                try (NDManager step = manager.newSubManager()) {
                    a.tempAttach(step);
                    b.tempAttach(step);
                    a.matMul(b);
                }
                if (i >= warmup) {
                    times.add(System.nanoTime() - t0, 0);
                }
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("matmulSize", n);
            r.put("matmulGflops", 2.0 * n * n * (double) n / times.medianSeconds() / 1e9);
            return r;
        }
    }

    /**
     * One convolution (a batch above 1, so that libtorch picks oneDNN for it) and one matrix product, for
     * {@link #versions}: run with {@code ONEDNN_VERBOSE=1} and
     * {@code MKL_VERBOSE=1}, each library prints its version on its first call.
     */
    private static void probeVersions() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray image = manager.randomUniform(0f, 1f, new Shape(4, 16, 32, 32));
            NDArray kernel = manager.randomUniform(0f, 1f, new Shape(16, 16, 3, 3));
            Conv2d.conv2d(image, kernel).singletonOrThrow().close();
            NDArray a = manager.randomUniform(0f, 1f, new Shape(256, 256));
            a.matMul(a).close();
        }
    }

    /**
     * libtorch's oneDNN and MKL versions, as {@code torch.__config__.show()} gives them: DJL's JNI has only
     * {@code torch::hasMKL()}-like flags, so this program runs itself with {@code --versions} and the two libraries'
     * verbose logs on, and reads the lines that name them ("oneDNN v3.7.1 (commit ...)", "oneMKL 2024.0 Update 2 Product
     * build 20240605").
     */
    static Map<String, Object> versions() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LibtorchBench.class.getName(), "--versions"));
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
        builder.environment().putAll(Map.of("ONEDNN_VERBOSE", "1", "DNNL_VERBOSE", "1", "MKL_VERBOSE", "1"));
        Process p = builder.start();
        String onednn = null;
        String mkl = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                int at = line.indexOf("oneDNN v");
                if (onednn == null && at >= 0) {
                    onednn = line.substring(at + "oneDNN ".length()).strip();
                }
                // the first line names the library, the others its calls: "MKL_VERBOSE SGEMM(N,N,..."
                if (mkl == null && line.startsWith("MKL_VERBOSE ") && !line.matches("MKL_VERBOSE \\w+\\(.*")) {
                    mkl = line.substring("MKL_VERBOSE ".length()).replaceFirst(" for Intel.*", "").strip();
                }
            }
        }
        p.waitFor();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("onednn", onednn);
        r.put("mkl", mkl);
        return r;
    }

    /** The peak resident memory of this process ({@code VmHWM}), or {@code null} off Linux. */
    static Long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** The malloc this process runs on: a preloaded tcmalloc, jemalloc or mimalloc by file name, else "system". */
    static String allocator() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                String name = line.substring(line.lastIndexOf('/') + 1);
                if (name.startsWith("libtcmalloc") || name.startsWith("libjemalloc")
                        || name.startsWith("libmimalloc")) {
                    return name;
                }
            }
            return "system";
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Timed steps: nanoseconds and minor page faults of each. */
    static final class Steps {
        private final List<Long> nanos = new ArrayList<>();
        private final List<Long> faults = new ArrayList<>();

        void add(long stepNanos, long stepFaults) {
            nanos.add(stepNanos);
            faults.add(stepFaults);
        }

        double medianSeconds() {
            return median(nanos) / 1e9;
        }

        double medianFaults() {
            return median(faults);
        }

        private static double median(List<Long> values) {
            long[] v = values.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(v);
            int n = v.length;
            return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
        }

        /** Minor page faults of this process so far (field 10 of {@code /proc/self/stat}), 0 off Linux. */
        static long minorFaults() {
            try {
                String stat = Files.readString(Path.of("/proc/self/stat"));
                // the command name in brackets may hold spaces: count fields after it
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(fields[7]);
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }
    }
}
