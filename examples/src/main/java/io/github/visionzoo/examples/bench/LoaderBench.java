package io.github.visionzoo.examples.bench;

import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.Split;
import io.github.visionzoo.imagenette.SyntheticImagenette;
import io.github.visionzoo.imagenette.transform.Presets;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.nd4j.linalg.dataset.DataSet;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Loader throughput: images per second through {@link ImagenetteIterator} (decode + augmentation + normalize +
 * NCHW batch as an ND4J array), for one thread (the baseline) and more, written as JSON with each rate as a ratio to
 * the baseline measured in the same run. {@code src/tools/bench/bench_pytorch_dataloader.py --java FILE} measures
 * PyTorch's {@code DataLoader} on the same folder and adds these rates beside its own.
 *
 * <pre>
 * java -cp examples/target/visionzoo-examples.jar io.github.visionzoo.examples.bench.LoaderBench \
 *      (--data DIR | --synthetic DIR [--synthetic-size 320] [--synthetic-train 100]) [--split train] \
 *      [--preset study] [--size 224] [--batch 64] [--batches 30] [--warmup 3] [--threads 1,2,4] \
 *      [--out loader-benchmark.json]
 * </pre>
 * {@code --synthetic DIR} writes (once) a synthetic Imagenette with short side {@code --synthetic-size} and uses it.
 * Each rate is measured on a fresh iterator after {@code --warmup} batches, over {@code --batches} batches
 * (continuing into the next epoch if needed).
 */
@Command(name = "LoaderBench", mixinStandardHelpOptions = true,
        description = "Images/s of the Imagenette iterator for 1, 2, 4, ... loader threads, as ratios to one thread.")
public final class LoaderBench implements Callable<Integer> {
    static final class Source {
        @Option(names = "--data", paramLabel = "DIR", description = "An Imagenette folder.")
        Path data;

        @Option(names = "--synthetic", paramLabel = "DIR",
                description = "Where a synthetic Imagenette is written once and read from.")
        Path synthetic;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--synthetic-size", defaultValue = "320",
            description = "Short side of the synthetic JPEGs (default: ${DEFAULT-VALUE}).")
    int syntheticSize;

    @Option(names = "--synthetic-train", defaultValue = "100",
            description = "Synthetic training images per class (default: ${DEFAULT-VALUE}).")
    int syntheticTrain;

    @Option(names = "--split", defaultValue = "train", description = "train or val (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--preset", defaultValue = Presets.STUDY,
            description = "Augmentation preset (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--size", defaultValue = "224", description = "Output image size (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--batches", defaultValue = "30", description = "Timed batches (default: ${DEFAULT-VALUE}).")
    int batches;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed batches first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--threads", split = ",", paramLabel = "N",
            description = "Loader thread counts; 1 is always measured first (default: 1, 2, 4, ... up to the cores).")
    List<Integer> threads;

    @Option(names = "--out", defaultValue = "loader-benchmark.json", paramLabel = "FILE",
            description = "Results file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Spec
    CommandSpec spec;

    /**
     * One measured configuration.
     *
     * @param cpuMsPerImage process CPU time per image (all threads: loaders, JIT, GC), or -1 where the JVM does not
     *                      report it; unlike the rate, it does not depend on what else the machine is running
     */
    public record Rate(int threads, double imagesPerSecond, long images, double seconds, double cpuMsPerImage) {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoaderBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || batches < 1 || warmup < 0 || size < 8 || syntheticSize < 8 || syntheticTrain < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--batch, --batches and "
                    + "--synthetic-train must be >= 1, --warmup >= 0, --size and --synthetic-size >= 8");
        }
        Split which = Split.parse(split);
        Path data = source.data != null ? source.data : SyntheticImagenette.builder().imageSize(syntheticSize)
                .trainPerClass(syntheticTrain).valPerClass(Math.max(1, syntheticTrain / 4)).build()
                .ensure(source.synthetic);
        List<Integer> counts = new ArrayList<>(threads != null ? threads
                : defaultThreads(Runtime.getRuntime().availableProcessors()));
        if (counts.isEmpty() || counts.get(0) != 1) {
            counts.add(0, 1);
        }
        List<Rate> rates = new ArrayList<>();
        int images = 0;
        for (int t : counts) {
            try (ImagenetteIterator it = ImagenetteIterator.builder(data).split(which).preset(preset).imageSize(size)
                    .batchSize(batch).threads(t).seed(1).shuffle(true).build()) {
                images = it.dataset().size();
                Rate r = measure(it, t, warmup, batches);
                rates.add(r);
                System.out.printf(Locale.ROOT, "threads %2d: %8.1f images/s (%d images in %.2f s, %.2f ms CPU per "
                        + "image)%n", t, r.imagesPerSecond(), r.images(), r.seconds(), r.cpuMsPerImage());
            }
        }
        Timing.writeResults(out, results(data, which, images, rates));
        System.out.println("Wrote " + out);
        return 0;
    }

    /** Thread counts 1, 2, 4, ... up to and including {@code cpus}. */
    static List<Integer> defaultThreads(int cpus) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int t = 1; t <= cpus; t *= 2) {
            s.add(t);
        }
        s.add(cpus);
        return new ArrayList<>(s);
    }

    /** Times {@code batches} batches after {@code warmup} untimed ones. */
    static Rate measure(ImagenetteIterator it, int threads, int warmup, int batches) {
        for (int i = 0; i < warmup; i++) {
            nextBatch(it);
        }
        long images = 0;
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        for (int i = 0; i < batches; i++) {
            images += nextBatch(it).numExamples();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        long cpu1 = processCpuNanos();
        double cpuMs = cpu0 < 0 || cpu1 < 0 ? -1 : (cpu1 - cpu0) / 1e6 / images;
        return new Rate(threads, images / s, images, s, cpuMs);
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    private static DataSet nextBatch(ImagenetteIterator it) {
        if (!it.hasNext()) {
            it.reset();
        }
        return it.next();
    }

    /** The field names are those of {@code bench_pytorch_dataloader.py}, which reads this file with {@code --java}. */
    private Map<String, Object> results(Path data, Split which, int images, List<Rate> rates) {
        Rate base = rates.get(0);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("benchmark", "datavec-imagenette ImagenetteIterator: decode + augmentation + normalize + batch");
        m.put("timestamp", Instant.now().toString());
        m.put("data", data.getFileName() == null ? data.toString() : data.getFileName().toString());
        m.put("synthetic", source.synthetic != null);
        m.put("split", which.folder());
        m.put("images_in_split", images);
        m.put("preset", preset);
        m.put("image_size", size);
        m.put("batch_size", batch);
        m.put("batches_timed", batches);
        m.put("warmup_batches", warmup);
        m.put("machine", MachineInfo.describe());
        Map<String, Object> baseline = new LinkedHashMap<>();
        baseline.put("threads", 1);
        baseline.put("images_per_s", base.imagesPerSecond());
        m.put("baseline", baseline);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Rate r : rates) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("threads", r.threads());
            row.put("images_per_s", r.imagesPerSecond());
            row.put("ratio_to_baseline", r.imagesPerSecond() / base.imagesPerSecond());
            row.put("images", r.images());
            row.put("seconds", r.seconds());
            row.put("cpu_ms_per_image", r.cpuMsPerImage());
            rows.add(row);
        }
        m.put("results", rows);
        return m;
    }
}
