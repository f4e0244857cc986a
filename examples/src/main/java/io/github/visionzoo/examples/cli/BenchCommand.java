package io.github.visionzoo.examples.cli;

import io.github.visionzoo.examples.bench.Timing;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: training images/s (forward, loss, backward, optimizer step) and inference images/s per model on
 * random data already in memory, after warm-up steps, as the median of timed steps; written to a JSON file.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure training and inference images/s per model; results go to a JSON file.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--models", split = ",", defaultValue = "resnet18", paramLabel = "NAME[,NAME...]",
            description = "Models to measure (default: ${DEFAULT-VALUE}).")
    List<String> models;

    @Option(names = "--batch", defaultValue = "16", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--image-size", description = "Input size (default: each model's own).")
    Integer imageSize;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--steps", defaultValue = "5", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--out", defaultValue = "bench-results.json", paramLabel = "FILE",
            description = "Results file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("--batch and --steps must be >= 1 and --warmup >= 0");
        }
        List<ModelSpec> specs = new ArrayList<>();
        for (String name : models) {
            ModelSpec s = Zoo.resolve(name);
            specs.add(imageSize == null ? s : s.withImageSize(imageSize));
        }
        PrintWriter console = spec.commandLine().getOut();
        console.printf(Locale.ROOT, "%-20s %6s %16s %18s%n", "model", "input", "train images/s", "inference images/s");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            Map<String, Object> row = measure(models.get(i), specs.get(i));
            rows.add(row);
            console.printf(Locale.ROOT, "%-20s %6d %16.2f %18.2f%n", models.get(i), specs.get(i).imageSize(),
                    (double) row.get("trainImagesPerSecond"), (double) row.get("inferenceImagesPerSecond"));
        }
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("batch", batch);
        results.put("warmupSteps", warmup);
        results.put("timedSteps", steps);
        results.put("cores", Runtime.getRuntime().availableProcessors());
        results.put("results", rows);
        Timing.writeResults(out, results);
        console.println("results written to " + out.toAbsolutePath());
        return 0;
    }

    private Map<String, Object> measure(String name, ModelSpec modelSpec) {
        ComputationGraph net = Zoo.create(modelSpec, 10, ModelSpec.DEFAULT_SEED);
        int s = modelSpec.imageSize();
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, s, s);
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % 10, 1f);
        }
        DataSet data = new DataSet(x, y);
        double train = Timing.medianSeconds(warmup, steps, () -> net.fit(data));
        double infer = Timing.medianSeconds(warmup, steps, () -> net.output(false, x));
        net.close();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("model", name);
        row.put("imageSize", s);
        row.put("trainImagesPerSecond", batch / train);
        row.put("inferenceImagesPerSecond", batch / infer);
        row.put("trainStepSeconds", train);
        row.put("inferenceStepSeconds", infer);
        return row;
    }
}
