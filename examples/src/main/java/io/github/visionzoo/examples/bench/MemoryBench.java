package io.github.visionzoo.examples.bench;

import io.github.visionzoo.examples.cli.ImagenetteData;
import io.github.visionzoo.imagenette.EpochAware;
import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.SyntheticImagenette;
import io.github.visionzoo.zoo.CpuThreads;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.train.ForwardingIterator;
import io.github.visionzoo.zoo.train.Recipes;
import io.github.visionzoo.zoo.train.Trainer;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Memory stability of a long run: a small model trained for many epochs on a tiny synthetic Imagenette through the
 * real {@link Trainer} (validation, checkpoints, metrics and charts at every epoch end, as the {@code train} command
 * runs it), sampling the process's resident memory ({@code VmRSS}) after every epoch. Passes when the resident
 * memory after the last epoch is within {@code --tolerance} percent of that after {@code --reference-epoch} (the
 * issue: epoch 50 within 10 % of epoch 5). A benchmark-style check, not a test: it takes a few minutes.
 *
 * <p>Each sample also holds the JVM heap (used and committed), to tell a growing heap from growing native memory
 * (ND4J's arrays and workspaces live off the heap, and 1.0.0-M2.1 keeps no count of them on the CPU), the highest
 * resident memory since the previous sample (Linux's {@code VmHWM}, reset after each sample), and glibc malloc's own
 * counts ({@link ProcessMemory#malloc()}: its arenas' heaps, the free part of them, and the blocks it mapped one by
 * one). With the JVM's default heap sizing G1 may grow or shrink the committed heap during such a run (the trainer's
 * full collection at epoch ends makes it rarer), which moves the resident memory as much as everything else;
 * {@code heapCommittedChangeBytes} in the results says whether the heap changed, and equal {@code -Xms} and
 * {@code -Xmx} with {@code -XX:+AlwaysPreTouch} take the heap out. The sample for epoch {@code e} is taken when the
 * trainer starts epoch {@code e + 1} (after epoch {@code e}'s validation, checkpoint and charts, and the trainer's
 * collection and {@code malloc_trim}), the last one when training returns.
 *
 * <pre>
 * java [-Xms320m -Xmx320m -XX:+AlwaysPreTouch] -cp examples/target/visionzoo-examples.jar \
 *      io.github.visionzoo.examples.bench.MemoryBench \
 *      [--model resnet18] [--image-size 32] [--epochs 50] [--images 64] [--batch 16] [--out memory-bench.json]
 * </pre>
 */
@Command(name = "MemoryBench", mixinStandardHelpOptions = true,
        description = "Resident memory after every epoch of a long training run on tiny synthetic data.")
public final class MemoryBench implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "resnet18", paramLabel = "NAME|FILE",
            description = "A model name or spec JSON file (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--image-size", defaultValue = "32", description = "Input size (default: ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--epochs", defaultValue = "50", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--reference-epoch", defaultValue = "5",
            description = "The epoch the last one is compared with (default: ${DEFAULT-VALUE}).")
    int referenceEpoch;

    @Option(names = "--tolerance", defaultValue = "10",
            description = "Largest change in percent that passes (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--images", defaultValue = "64",
            description = "Training images of the synthetic set, 10 classes (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--batch", defaultValue = "16", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--recipe", defaultValue = "cpu-small", paramLabel = "NAME|FILE",
            description = "Training recipe; epochs, batch and image size are overridden (default: ${DEFAULT-VALUE}).")
    String recipe;

    @Option(names = "--work", defaultValue = "runs/bench-data", paramLabel = "DIR",
            description = "Where the synthetic set and the run directory go (default: ${DEFAULT-VALUE}).")
    Path work;

    @Option(names = "--keep-run", description = "Keep the run directory (checkpoints) instead of deleting it.")
    boolean keepRun;

    @Option(names = "--out", defaultValue = "memory-bench.json", paramLabel = "FILE",
            description = "Results file (default: ${DEFAULT-VALUE}).")
    Path out;

    public static void main(String[] args) {
        CpuThreads.configure();
        System.exit(new CommandLine(new MemoryBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (epochs < 1 || referenceEpoch < 1 || referenceEpoch > epochs || images < 10 || batch < 1
                || imageSize < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--epochs, --batch and --image-size must"
                    + " be >= 1, --reference-epoch in [1, --epochs] and --images >= 10");
        }
        ModelSpec spec = ModelBench.spec(model, imageSize);
        TrainingRecipe r = Recipes.resolve(recipe).withEpochs(epochs).withBatchSize(batch).withImageSize(imageSize);
        int syntheticSize = Math.max(imageSize + imageSize / 4, 40);
        Path root = SyntheticImagenette.builder().imageSize(syntheticSize).trainPerClass(Math.max(1, images / 10))
                .valPerClass(2).build().ensure(work.resolve("synthetic-" + syntheticSize + "-" + images));
        Path runDir = work.resolve("memory-run-" + LocalDateTime.now()
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS", Locale.ROOT)));
        String name = Path.of(model).getFileName().toString().replaceFirst("\\.json$", "");
        List<Map<String, Object>> samples = new ArrayList<>();
        long start = System.nanoTime();
        System.out.printf(Locale.ROOT, "training %s at %d px for %d epochs on %s (recipe %s); run directory %s%n",
                name, imageSize, epochs, root, r.name(), runDir);
        try (ImagenetteIterator train = ImagenetteData.train(root, r.augmentation(), imageSize, batch, r.seed(),
                null);
             ImagenetteIterator val = ImagenetteData.val(root, r.augmentation(), imageSize, batch, null)) {
            Sampling sampling = new Sampling(train, samples, start);
            Trainer trainer = new Trainer(runDir).withModelName(name).withCheckpointEvery(200)
                    .withConsole(Trainer.Console.QUIET);
            trainer.fit(Zoo.create(spec, train.totalOutcomes(), r.seed()), r, sampling, val);
            samples.add(sample(epochs, start));
            print(samples.get(samples.size() - 1));
        } finally {
            if (!keepRun) {
                deleteTree(runDir);
            }
        }
        long reference = rss(samples, referenceEpoch);
        long last = rss(samples, epochs);
        double ratio = (double) last / reference;
        boolean pass = Math.abs(ratio - 1) * 100 <= tolerance;
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("benchmark", "resident memory over a long training run (Trainer, tiny synthetic data)");
        results.put("timestamp", Instant.now().toString());
        results.put("model", name);
        results.put("imageSize", imageSize);
        results.put("batch", batch);
        results.put("trainImages", images);
        results.put("recipe", r.name());
        results.put("epochs", epochs);
        results.put("machine", MachineInfo.describe());
        results.put("jvmMaxHeapBytes", Runtime.getRuntime().maxMemory());
        results.put("referenceEpoch", referenceEpoch);
        results.put("referenceRssBytes", reference);
        results.put("lastRssBytes", last);
        results.put("ratio", ratio);
        results.put("tolerancePercent", tolerance);
        results.put("pass", pass);
        if (value(samples, referenceEpoch, "epochPeakRssBytes") instanceof Long p0
                && value(samples, epochs, "epochPeakRssBytes") instanceof Long p1) {
            results.put("referenceEpochPeakRssBytes", p0);
            results.put("lastEpochPeakRssBytes", p1);
            results.put("epochPeakRatio", (double) p1 / p0);
        }
        long heapChange = (long) value(samples, epochs, "heapCommittedBytes")
                - (long) value(samples, referenceEpoch, "heapCommittedBytes");
        results.put("heapCommittedChangeBytes", heapChange);
        results.put("rssSlopeBytesPerEpoch", slope(samples, referenceEpoch));
        Long peakNow = ProcessMemory.peakResidentBytes();
        results.put("peakRssBytes", peakNow == null ? null : Math.max(runPeak, peakNow));
        results.put("seconds", (System.nanoTime() - start) / 1e9);
        results.put("samples", samples);
        Timing.writeResults(out, results);
        System.out.printf(Locale.ROOT, "resident memory after epoch %d: %.0f MiB, after epoch %d: %.0f MiB, ratio %.3f"
                        + " (%s, tolerance %.0f %%); %.0f s%nresults written to %s%n", referenceEpoch, reference / MIB,
                epochs, last / MIB, ratio, pass ? "pass" : "FAIL", tolerance, (System.nanoTime() - start) / 1e9,
                out.toAbsolutePath());
        if (heapChange != 0) {
            System.out.printf(Locale.ROOT, "note: the JVM resized its heap by %+.0f MiB between epochs %d and %d, which"
                    + " counts in the resident memory; equal -Xms and -Xmx with -XX:+AlwaysPreTouch leave it out%n",
                    heapChange / MIB, referenceEpoch, epochs);
        }
        return pass ? 0 : 1;
    }

    private static final double MIB = 1024.0 * 1024.0;

    /** Whether the previous sample reset the peak resident memory ({@link ProcessMemory#resetPeak()}). */
    private static boolean peaksReset;
    /** The highest resident memory of the run (over all samples, as the peaks are reset). */
    private static long runPeak;

    static Map<String, Object> sample(int epoch, long startNanos) {
        Runtime rt = Runtime.getRuntime();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", epoch);
        m.put("seconds", (System.nanoTime() - startNanos) / 1e9);
        m.put("rssBytes", ProcessMemory.residentBytes());
        Long peak = ProcessMemory.peakResidentBytes();
        if (peak != null) {
            runPeak = Math.max(runPeak, peak);
        }
        if (peaksReset) { // the peak since the previous sample; otherwise since start-up
            m.put("epochPeakRssBytes", peak);
        }
        peaksReset = ProcessMemory.resetPeak();
        m.put("heapUsedBytes", rt.totalMemory() - rt.freeMemory());
        m.put("heapCommittedBytes", rt.totalMemory());
        java.util.Map<String, Long> malloc = ProcessMemory.malloc();
        if (malloc != null) {
            m.putAll(malloc);
        }
        return m;
    }

    private static void print(Map<String, Object> s) {
        System.out.printf(Locale.ROOT, "epoch %3d: RSS %6.0f MiB (epoch peak %6.0f), heap used %5.0f / committed %5.0f"
                        + " MiB, malloc heaps %5.0f (free %5.0f) + mapped %5.0f MiB%n",
                s.get("epoch"), mib(s.get("rssBytes")), mib(s.get("epochPeakRssBytes")), mib(s.get("heapUsedBytes")),
                mib(s.get("heapCommittedBytes")), mib(s.get("mallocHeapBytes")),
                mib(s.get("mallocFreeBytes")), mib(s.get("mallocMmapBytes")));
    }

    private static double mib(Object bytes) {
        return bytes instanceof Number n ? n.doubleValue() / MIB : Double.NaN;
    }

    private static long rss(List<Map<String, Object>> samples, int epoch) {
        if (!(value(samples, epoch, "rssBytes") instanceof Long rss)) {
            throw new IllegalStateException("resident memory is not readable here (/proc/self/status)");
        }
        return rss;
    }

    /** A field of the sample for {@code epoch} (null when the sample lacks it). */
    static Object value(List<Map<String, Object>> samples, int epoch, String key) {
        for (Map<String, Object> s : samples) {
            if ((int) s.get("epoch") == epoch) {
                return s.get(key);
            }
        }
        throw new IllegalStateException("no sample for epoch " + epoch);
    }

    /** Least-squares slope of the resident memory over the epochs from {@code from} on, in bytes per epoch. */
    static Double slope(List<Map<String, Object>> samples, int from) {
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (Map<String, Object> s : samples) {
            int e = (int) s.get("epoch");
            if (e >= from && s.get("rssBytes") instanceof Long y) {
                n++;
                sx += e;
                sy += y;
                sxx += (double) e * e;
                sxy += (double) e * y;
            }
        }
        double d = n * sxx - sx * sx;
        return n < 2 || d == 0 ? null : (n * sxy - sx * sy) / d;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The training iterator, sampling memory when the trainer starts an epoch after the first. */
    private static final class Sampling extends ForwardingIterator implements EpochAware {
        private static final long serialVersionUID = 1L;
        private final ImagenetteIterator delegate;
        private final transient List<Map<String, Object>> samples;
        private final long startNanos;

        Sampling(ImagenetteIterator delegate, List<Map<String, Object>> samples, long startNanos) {
            super(delegate);
            this.delegate = delegate;
            this.samples = samples;
            this.startNanos = startNanos;
        }

        @Override
        public void setEpoch(int epoch) {
            if (epoch > 0) {
                samples.add(sample(epoch, startNanos)); // epoch (1-based) 'epoch' has ended
                print(samples.get(samples.size() - 1));
            }
            delegate.setEpoch(epoch);
        }

        @Override
        public int batchesPerEpoch() {
            return delegate.batchesPerEpoch();
        }
    }
}
