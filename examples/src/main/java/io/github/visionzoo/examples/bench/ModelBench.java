package io.github.visionzoo.examples.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.visionzoo.zoo.CpuThreads;
import io.github.visionzoo.zoo.ModelFlops;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.OneDnn;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.layers.BatchNormFolding;
import io.github.visionzoo.zoo.layers.Conv2d;
import io.github.visionzoo.zoo.train.Recipes;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One model's measurements in this JVM, or the machine's matrix-product peak: the Java twin of
 * {@code src/tools/bench/bench_pytorch.py}, with the same options and, like it, one JSON object on the last line of
 * standard output. {@code visionzoo-examples bench} runs it in a fresh JVM per model, so that each peak resident
 * memory is the model's own.
 *
 * <ul>
 *   <li>{@code --model NAME|FILE.json}: training images/s (forward, cross-entropy loss, backward, AdamW step) and
 *   inference images/s ({@code output(false, x)}), each the median of {@code --steps} timed steps after
 *   {@code --warmup} untimed ones, on random images already in memory; the optimizer is the model family's
 *   {@code study-*} recipe (AdamW, learning rate 1e-4, weight decay 0.01) applied with
 *   {@link TrainingRecipe#applyTo}; the peak resident memory ({@code VmHWM}) read at the end; the forward FLOPs per
 *   image ({@link ModelFlops}) and the parameter count.</li>
 *   <li>{@code --peak}: GFLOP/s of a float32 {@code N x N} matrix product through ND4J ({@code 2 N^3} FLOPs), the
 *   median of the timed products, by BLAS and by libnd4j's {@code matmul} op ({@link #measurePeak}).</li>
 * </ul>
 * A failure prints {@code {"error": "..."}} as the last line and exits with 1.
 *
 * <pre>
 * java -cp examples/target/visionzoo-examples.jar io.github.visionzoo.examples.bench.ModelBench --model resnet18 \
 *      [--batch 16] [--warmup 5] [--steps 5] [--image-size N]
 * java -cp examples/target/visionzoo-examples.jar io.github.visionzoo.examples.bench.ModelBench --peak [--size 2048]
 * </pre>
 */
@Command(name = "ModelBench", mixinStandardHelpOptions = true,
        description = "Train and inference images/s of one model, or the float32 matrix-product peak; one JSON line.")
public final class ModelBench implements Callable<Integer> {
    /** The classes of the benchmark's head, Imagenette's. */
    public static final int CLASSES = 10;

    static final class What {
        @Option(names = "--model", paramLabel = "NAME|FILE", description = "A registered model or a spec JSON file.")
        String model;

        @Option(names = "--peak", description = "Measure the float32 matrix-product GFLOP/s instead.")
        boolean peak;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    What what;

    @Option(names = "--batch", defaultValue = "16")
    int batch;

    @Option(names = "--warmup", defaultValue = "5")
    int warmup;

    @Option(names = "--steps", defaultValue = "5")
    int steps;

    @Option(names = "--image-size", description = "Input size (default: the model's own).")
    Integer imageSize;

    @Option(names = "--precision", defaultValue = TrainingRecipe.FLOAT32,
            description = "The recipe's precision, float32 or bf16 (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--size", defaultValue = "2048",
            description = "Matrix side for --peak (default: ${DEFAULT-VALUE}).")
    int size;

    public static void main(String[] args) {
        CpuThreads.configure(); // before ND4J's natives load, as the command line does
        System.exit(new CommandLine(new ModelBench()).execute(args));
    }

    @Override
    public Integer call() {
        Map<String, Object> result;
        int code = 0;
        try {
            if (batch < 1 || steps < 1 || warmup < 0 || size < 1) {
                throw new IllegalArgumentException("--batch, --steps and --size must be >= 1 and --warmup >= 0");
            }
            result = what.peak ? measurePeak(size, warmup, steps)
                    : measureModel(what.model, spec(what.model, imageSize), precision, batch, warmup, steps);
        } catch (Throwable t) { // OutOfMemoryError included: the parent reports it in the model's row
            result = new LinkedHashMap<>();
            if (what.model != null) {
                result.put("model", what.model);
            }
            result.put("error", t.toString());
            code = 1;
        }
        System.out.println(oneLine(result));
        System.out.flush();
        return code;
    }

    /** A registered model or spec file, at {@code imageSize} when given. */
    public static ModelSpec spec(String nameOrFile, Integer imageSize) {
        ModelSpec s = Zoo.resolve(nameOrFile);
        return imageSize == null || imageSize == s.imageSize() ? s : s.withImageSize(imageSize);
    }

    /**
     * The reference study's AdamW recipe of the spec's family (all four: learning rate 1e-4, weight decay 0.01) in
     * {@code precision} ({@link TrainingRecipe#precision}).
     */
    public static TrainingRecipe recipeFor(ModelSpec spec, String precision) {
        return Recipes.get("study-" + spec.family().tag()).withPrecision(precision);
    }

    /**
     * An initialized graph of {@code spec} with {@link #CLASSES} outputs and the family's AdamW recipe
     * ({@link #recipeFor}), oneDNN helpers on: what every visionzoo benchmark trains.
     */
    public static ComputationGraph trainingGraph(ModelSpec spec, String precision, int stepsPerEpoch) {
        OneDnn.enable();
        ComputationGraph net = new ComputationGraph(recipeFor(spec, precision).applyTo(spec.configuration(CLASSES),
                stepsPerEpoch));
        net.init();
        return net;
    }

    /** Training and inference speed, peak memory, FLOPs and parameters of one model; see the class comment. */
    public static Map<String, Object> measureModel(String name, ModelSpec spec, String precision, int batch,
                                                   int warmup, int steps) {
        TrainingRecipe recipe = recipeFor(spec, precision);
        ComputationGraph net = trainingGraph(spec, precision, Math.max(1, warmup + steps));
        int s = spec.imageSize();
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, s, s);
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, CLASSES);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % CLASSES, 1f);
        }
        DataSet data = new DataSet(x, y);
        Timing.Measured train = Timing.measure(warmup, steps, () -> net.fit(data));
        ComputationGraph inference = BatchNormFolding.fold(net); // as evaluate and predict infer
        Timing.Measured infer = Timing.measure(warmup, steps, () -> inference.output(false, x));
        if (inference != net) {
            inference.close();
        }
        net.close();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", name);
        r.put("imageSize", s);
        r.put("batch", batch);
        r.put("parameters", ModelSummary.of(spec, CLASSES).totalParams());
        r.put("forwardFlopsPerImage", ModelFlops.of(spec, CLASSES).total());
        r.put("recipe", recipe.name());
        r.put("optimizer", recipe.optimizer());
        r.put("learningRate", recipe.learningRate());
        r.put("weightDecay", recipe.weightDecay());
        r.put("precision", recipe.precision());
        r.put("trainsInBf16", recipe.precision().equals(TrainingRecipe.BF16) && Conv2d.trainsInBf16Here());
        r.put("trainImagesPerSecond", batch / train.medianSeconds());
        r.put("inferenceImagesPerSecond", batch / infer.medianSeconds());
        r.put("trainStepSeconds", train.medianSeconds());
        r.put("inferenceStepSeconds", infer.medianSeconds());
        r.put("trainMinorFaultsPerStep", train.minorFaultsPerStep());
        r.put("inferenceMinorFaultsPerStep", infer.minorFaultsPerStep());
        r.put("trainSystemCpuShare", train.systemCpuShare());
        r.put("inferenceSystemCpuShare", infer.systemCpuShare());
        r.put("peakRssBytes", ProcessMemory.peakResidentBytes());
        r.put("framework", "visionzoo");
        r.put("natives", MachineInfo.loadedNatives());
        r.put("allocator", MachineInfo.allocator());
        r.put("preloaded", System.getenv("LD_PRELOAD"));
        return r;
    }

    /**
     * GFLOP/s of a float32 {@code n x n} matrix product through ND4J, median of {@code steps} after {@code warmup}, by
     * its two routes: {@code INDArray.mmul} (BLAS {@code sgemm}: the OpenBLAS bundled with the natives; DL4J's dense
     * layers take this route) and libnd4j's {@code matmul} op (oneDNN where the natives have it; SameDiff's
     * {@code mmul} takes this route). {@code matmulGflops} is the faster: the machine's peak as far as ND4J can reach
     * it.
     */
    public static Map<String, Object> measurePeak(int n, int warmup, int steps) {
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, new long[] {n, n}, 'f');
        double flops = 2.0 * n * n * (double) n;
        double blas = flops / Timing.medianSeconds(warmup, steps, () -> a.mmul(b, c)) / 1e9;
        INDArray d = Nd4j.create(DataType.FLOAT, n, n);
        double op = flops / Timing.medianSeconds(warmup, steps, () -> Nd4j.exec(new Mmul(a, b, d, null))) / 1e9;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("matmulSize", n);
        r.put("matmulGflops", Math.max(blas, op));
        r.put("blasMmulGflops", blas);
        r.put("matmulOpGflops", op);
        r.put("blasVendor", Nd4j.factory().blas().getBlasVendor().toString());
        r.put("framework", "visionzoo");
        r.put("natives", MachineInfo.loadedNatives());
        r.put("directConvolutions", Conv2d.trainsOnOneDnnDirectly());
        return r;
    }

    /** JSON on one line (the shared {@code Json} mapper indents). */
    static String oneLine(Map<String, Object> value) {
        try {
            return new ObjectMapper().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
