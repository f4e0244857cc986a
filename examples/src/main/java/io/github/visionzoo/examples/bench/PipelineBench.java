package io.github.visionzoo.examples.bench;

import io.github.visionzoo.examples.cli.ImagenetteData;
import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.SyntheticImagenette;
import io.github.visionzoo.imagenette.transform.Presets;
import io.github.visionzoo.zoo.train.AugmentationSpec;
import io.github.visionzoo.zoo.CpuThreads;
import io.github.visionzoo.zoo.ModelFlops;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Does the data pipeline keep the fastest model fed? Trains one model from the real {@code ImagenetteIterator} and
 * from the same batches already in memory, and compares the median step times: the gap, in percent, is what the
 * pipeline costs (the limit is 5 %).
 *
 * <ul>
 *   <li>(a) <b>iterator</b>: a step is {@code next()} (decode, {@code study} augmentation, normalization, on the
 *   iterator's loader threads, prefetched) plus {@code fit}, from {@link ImagenetteData#train}, the iterator the
 *   {@code train} command builds (one loader thread per core, 3 batches prefetched; {@code --loader-threads} and
 *   {@code --prefetch} try others); the time blocked in
 *   {@code hasNext()/next()} is reported as the wait;</li>
 *   <li>(b) <b>in memory</b>: a step is {@code fit} of a batch loaded beforehand, the same batches the iterator
 *   yields first.</li>
 * </ul>
 * Rounds alternate a-b, b-a, a-b, ... so that a drift of the machine's speed cancels; each round's first
 * {@code --settle} steps per mode are not timed (the iterator's queue was filled while the other mode ran, and its
 * in-flight loads finish during the other mode's first steps). The model trains with its family's AdamW recipe
 * ({@link ModelBench#recipeFor}). Without {@code --data}, a synthetic Imagenette of realistic JPEG size (320 px
 * short side) is written once under {@code --work} and reused.
 *
 * <pre>
 * java -cp examples/target/visionzoo-examples.jar io.github.visionzoo.examples.bench.PipelineBench \
 *      [--model resnet18] [--image-size 224] [--batch 16] [--rounds 3] [--steps 5] [--settle 3] \
 *      [--data DIR | --work runs/bench-data --images 640 --synthetic-size 320] [--out pipeline-bench.json]
 * </pre>
 */
@Command(name = "PipelineBench", mixinStandardHelpOptions = true,
        description = "Training step time from the real Imagenette iterator against the same batches in memory.")
public final class PipelineBench implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "resnet18", paramLabel = "NAME|FILE",
            description = "The model, the fastest of the benchmark's (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--image-size", description = "Input size (default: the model's own).")
    Integer imageSize;

    @Option(names = "--batch", defaultValue = "16", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds of (a) and (b) (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--steps", defaultValue = "5",
            description = "Timed steps per mode and round (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--settle", defaultValue = "3",
            description = "Untimed steps at the start of each mode's round (default: ${DEFAULT-VALUE}).")
    int settle;

    @Option(names = "--warmup", defaultValue = "2",
            description = "Untimed steps in memory before the first round (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--data", paramLabel = "DIR", description = "An Imagenette folder (default: a synthetic one).")
    Path data;

    @Option(names = "--work", defaultValue = "runs/bench-data", paramLabel = "DIR",
            description = "Where the synthetic set is written once (default: ${DEFAULT-VALUE}).")
    Path work;

    @Option(names = "--images", defaultValue = "640",
            description = "Training images of the synthetic set (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--synthetic-size", defaultValue = "320",
            description = "Short side of the synthetic JPEGs (default: ${DEFAULT-VALUE}, as imagenette2-320).")
    int syntheticSize;

    @Option(names = "--loader-threads", paramLabel = "N",
            description = "Loader threads of the iterator (default: one per core, as the train command).")
    Integer loaderThreads;

    @Option(names = "--prefetch", paramLabel = "N",
            description = "Batches the iterator loads ahead (default: the iterator's, 3, as the train command).")
    Integer prefetch;

    @Option(names = "--max-gap", defaultValue = "5",
            description = "The largest gap in percent that passes (default: ${DEFAULT-VALUE}).")
    double maxGap;

    @Option(names = "--out", defaultValue = "pipeline-bench.json", paramLabel = "FILE",
            description = "Results file (default: ${DEFAULT-VALUE}).")
    Path out;

    public static void main(String[] args) {
        CpuThreads.configure();
        System.exit(new CommandLine(new PipelineBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || rounds < 1 || steps < 1 || settle < 0 || warmup < 0 || images < 10 || syntheticSize < 8) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--batch, --rounds and --steps must be"
                    + " >= 1, --settle and --warmup >= 0, --images >= 10 and --synthetic-size >= 8");
        }
        ModelSpec spec = ModelBench.spec(model, imageSize);
        int size = spec.imageSize();
        Path root = data != null ? data : SyntheticImagenette.builder().imageSize(syntheticSize)
                .trainPerClass(Math.max(1, images / 10)).valPerClass(1).build()
                .ensure(work.resolve("synthetic-" + syntheticSize + "-" + images));
        // the in-memory batches: the first ones the iterator yields, loaded by an identical iterator
        List<DataSet> inMemory = new ArrayList<>();
        try (ImagenetteIterator first = iterator(root, size)) {
            while (inMemory.size() < settle + steps && first.hasNext()) {
                inMemory.add(first.next());
            }
        }
        ComputationGraph net = ModelBench.trainingGraph(spec, TrainingRecipe.FLOAT32, 1000);
        List<double[]> stepsA = new ArrayList<>();
        List<double[]> stepsB = new ArrayList<>();
        List<Map<String, Object>> perRound = new ArrayList<>();
        int[] memoryIndex = {0};
        System.out.printf(Locale.ROOT, "%s at %d px, batch %d, data %s%n", model, size, batch, root);
        try (ImagenetteIterator it = iterator(root, size)) {
            for (int i = 0; i < warmup; i++) {
                net.fit(inMemory.get(i % inMemory.size()));
            }
            for (int r = 0; r < rounds; r++) {
                boolean iteratorFirst = r % 2 == 0;
                List<double[]> a = null;
                List<double[]> b = null;
                for (int half = 0; half < 2; half++) {
                    if ((half == 0) == iteratorFirst) {
                        a = run(net, () -> nextBatch(it), settle, steps);
                    } else {
                        b = run(net, () -> new Timed(inMemory.get(memoryIndex[0]++ % inMemory.size()), 0), settle,
                                steps);
                    }
                }
                stepsA.addAll(a);
                stepsB.addAll(b);
                Map<String, Object> round = new LinkedHashMap<>();
                round.put("round", r + 1);
                round.put("order", iteratorFirst ? "iterator, memory" : "memory, iterator");
                round.put("iteratorMedianStepSeconds", median(a, 0));
                round.put("memoryMedianStepSeconds", median(b, 0));
                round.put("iteratorMedianWaitSeconds", median(a, 1));
                perRound.add(round);
                System.out.printf(Locale.ROOT, "round %d: iterator %.3f s/step (wait %.4f s), memory %.3f s/step%n",
                        r + 1, median(a, 0), median(a, 1), median(b, 0));
            }
        } finally {
            net.close();
        }
        double medA = median(stepsA, 0);
        double medB = median(stepsB, 0);
        double gap = 100 * (medA / medB - 1);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("benchmark", "data pipeline: training steps from the Imagenette iterator vs from memory");
        results.put("timestamp", Instant.now().toString());
        results.put("model", model);
        results.put("imageSize", size);
        results.put("batch", batch);
        results.put("forwardGflopPerImage", ModelFlops.of(spec, ModelBench.CLASSES).gflops());
        results.put("recipe", ModelBench.recipeFor(spec, TrainingRecipe.FLOAT32).name());
        results.put("data", data != null ? root.toString() : "synthetic Imagenette, " + images
                + " training images, short side " + syntheticSize + " px");
        results.put("preset", Presets.STUDY);
        results.put("loaderThreads", loaderThreads != null ? loaderThreads
                : Runtime.getRuntime().availableProcessors());
        results.put("prefetchBatches", prefetch != null ? prefetch : "default (3)");
        results.put("rounds", rounds);
        results.put("timedStepsPerModeAndRound", steps);
        results.put("settleSteps", settle);
        results.put("machine", MachineInfo.describe());
        results.put("iterator", stats(stepsA, batch));
        results.put("memory", stats(stepsB, batch));
        results.put("gapPercent", gap);
        results.put("maxGapPercent", maxGap);
        results.put("pass", gap <= maxGap);
        results.put("perRound", perRound);
        Timing.writeResults(out, results);
        System.out.printf(Locale.ROOT, "median step: iterator %.3f s (of which waiting for data %.4f s), memory %.3f s:"
                        + " gap %.1f %% (%s, limit %.0f %%)%nresults written to %s%n", medA, median(stepsA, 1), medB,
                gap, gap <= maxGap ? "pass" : "FAIL", maxGap, out.toAbsolutePath());
        return 0;
    }

    /** A batch and the seconds spent waiting for it. */
    private record Timed(DataSet batch, double waitSeconds) {
    }

    /**
     * The training iterator: {@link ImagenetteData#train}'s (the train command's) unless the loader threads or the
     * prefetch depth are set.
     */
    private ImagenetteIterator iterator(Path root, int size) {
        if (loaderThreads == null && prefetch == null) {
            return ImagenetteData.train(root, AugmentationSpec.of(AugmentationSpec.STUDY), size, batch, 42, null);
        }
        ImagenetteIterator.Builder b = ImagenetteIterator.builder(root).split("train").preset(Presets.STUDY)
                .imageSize(size).batchSize(batch).seed(42)
                .threads(loaderThreads != null ? loaderThreads : Runtime.getRuntime().availableProcessors());
        return (prefetch != null ? b.prefetchBatches(prefetch) : b).build();
    }

    private static Timed nextBatch(ImagenetteIterator it) {
        long t0 = System.nanoTime();
        if (!it.hasNext()) {
            it.reset();
        }
        DataSet ds = it.next();
        return new Timed(ds, (System.nanoTime() - t0) / 1e9);
    }

    /** {@code settle} untimed steps, then {@code steps} timed ones: {step seconds, wait seconds} each. */
    private static List<double[]> run(ComputationGraph net, java.util.function.Supplier<Timed> source, int settle,
                                      int steps) {
        for (int i = 0; i < settle; i++) {
            net.fit(source.get().batch());
        }
        List<double[]> timed = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            Timed t = source.get();
            net.fit(t.batch());
            timed.add(new double[] {(System.nanoTime() - t0) / 1e9, t.waitSeconds()});
        }
        return timed;
    }

    private static Map<String, Object> stats(List<double[]> steps, int batch) {
        Map<String, Object> m = new LinkedHashMap<>();
        double median = median(steps, 0);
        m.put("medianStepSeconds", median);
        m.put("meanStepSeconds", steps.stream().mapToDouble(s -> s[0]).average().orElse(Double.NaN));
        m.put("imagesPerSecond", batch / median);
        m.put("medianWaitSeconds", median(steps, 1));
        m.put("meanWaitSeconds", steps.stream().mapToDouble(s -> s[1]).average().orElse(Double.NaN));
        m.put("timedSteps", steps.size());
        return m;
    }

    static double median(List<double[]> steps, int column) {
        return Timing.median(steps.stream().mapToDouble(s -> s[column]).toArray());
    }
}
