package io.github.visionzoo.examples.bench;

import io.github.visionzoo.zoo.CpuThreads;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.layers.BatchNormFolding;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Where a model's step goes, by layer kind: the wall time of each vertex's forward and backward pass in a training
 * step ({@code fit}, as {@code bench} trains: the family's study recipe) and of each forward pass in an inference
 * batch, summed per kind (a layer's configuration class, such as {@code ShiftedWindowAttention} or {@code Conv2d}, or
 * the vertex's class for the graph's own vertices), with the rest of the step (loss, optimizer, the graph's
 * bookkeeping) as one row. Any model: registered names or spec files.
 *
 * <p>Each vertex of the initialized graph is replaced by a proxy that times {@code doForward} and
 * {@code doBackward}; everything else passes through unchanged. Times are means over {@code --steps} steps after
 * {@code --warmup} untimed ones (DL4J's workspaces learn their sizes over the first steps). Wall time on a busy
 * machine counts other processes' time too: compare shares within one run.
 *
 * <pre>
 * java -cp examples/target/visionzoo-examples.jar io.github.visionzoo.examples.bench.LayerProfile \
 *      [--batch 16] [--warmup 3] [--steps 2] [--out layer-profile.json] swin_t davit_tiny
 * </pre>
 */
@Command(name = "LayerProfile", mixinStandardHelpOptions = true,
        description = "Per layer kind, the share of a training step and of an inference batch.")
public final class LayerProfile implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", arity = "1..*", split = ",",
            description = "Models, registered names or spec JSON files.")
    List<String> models;

    @Option(names = "--batch", defaultValue = "16", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup", defaultValue = "3",
            description = "Untimed steps before the timed ones (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--steps", defaultValue = "2", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--precision", defaultValue = TrainingRecipe.FLOAT32, paramLabel = "float32|bf16",
            description = "The training precision (a recipe's \"precision\"; default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--out", defaultValue = "layer-profile.json", paramLabel = "FILE",
            description = "Results file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Spec
    CommandSpec spec;

    /** Seconds per kind, forward and backward, while {@link #on}. */
    private final Map<String, double[]> times = new TreeMap<>();
    private boolean on;

    public static void main(String[] args) {
        CpuThreads.configure(); // before ND4J's natives load, as the command line does
        System.exit(new CommandLine(new LayerProfile()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || steps < 1 || warmup < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--batch and --steps must be >= 1, --warmup >= 0");
        }
        List<ModelSpec> specs = new ArrayList<>();
        for (String name : models) {
            try {
                specs.add(ModelBench.spec(name, null));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "MODEL: " + e.getMessage());
            }
        }
        List<Map<String, Object>> results = new ArrayList<>();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("date", Instant.now().toString());
        report.put("batch", batch);
        report.put("results", results);
        for (int m = 0; m < models.size(); m++) {
            String name = models.get(m);
            ModelSpec s = specs.get(m);
            ComputationGraph net = ModelBench.trainingGraph(s, precision, warmup + steps);
            timeVertices(net);
            INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, s.imageSize(), s.imageSize());
            INDArray y = Nd4j.zeros(DataType.FLOAT, batch, ModelBench.CLASSES);
            for (int i = 0; i < batch; i++) {
                y.putScalar(i, i % ModelBench.CLASSES, 1f);
            }
            DataSet data = new DataSet(x, y);
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("model", name);
            model.put("imageSize", s.imageSize());
            model.put("train", measure(name + " training step", () -> net.fit(data)));
            ComputationGraph inference = BatchNormFolding.fold(net); // as evaluate and predict infer
            if (inference != net) {
                timeVertices(inference);
            }
            model.put("inference", measure(name + " inference batch", () -> inference.output(false, x)));
            results.add(model);
            Timing.writeResults(out, report);
        }
        spec.commandLine().getOut().println("wrote " + out.toAbsolutePath());
        return 0;
    }

    /** Puts a timing proxy in place of each vertex of {@code net} (DL4J runs the graph from this array). */
    private void timeVertices(ComputationGraph net) {
        GraphVertex[] vertices = net.getVertices();
        for (int i = 0; i < vertices.length; i++) {
            GraphVertex v = vertices[i];
            if (v.isInputVertex()) {
                continue;
            }
            // a vertex by its configuration's class: the running classes of visionzoo's vertices are all called Impl
            String kind = v instanceof LayerVertex lv ? lv.getLayer().conf().getLayer().getClass().getSimpleName()
                    : net.getConfiguration().getVertices().get(v.getVertexName()).getClass().getSimpleName();
            vertices[i] = (GraphVertex) Proxy.newProxyInstance(GraphVertex.class.getClassLoader(),
                    new Class<?>[] {GraphVertex.class}, (proxy, method, args) -> {
                        boolean forward = method.getName().equals("doForward");
                        boolean timed = on && (forward || method.getName().equals("doBackward"));
                        long start = System.nanoTime();
                        try {
                            return method.invoke(v, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        } finally {
                            if (timed) {
                                times.computeIfAbsent(kind, k -> new double[2])[forward ? 0 : 1] +=
                                        (System.nanoTime() - start) / 1e9;
                            }
                        }
                    });
        }
    }

    /** The mean step and, per kind, its forward and backward seconds and share of the step; printed as a table. */
    private Map<String, Object> measure(String what, Runnable step) {
        on = false;
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        times.clear();
        on = true;
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            step.run();
        }
        double total = (System.nanoTime() - start) / 1e9 / steps;
        on = false;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("secondsPerStep", total);
        Map<String, Object> kinds = new LinkedHashMap<>();
        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s: %.3f s%n", what, total);
        double timed = 0;
        List<Map.Entry<String, double[]>> rows = new ArrayList<>(times.entrySet());
        rows.sort((a, b) -> Double.compare(b.getValue()[0] + b.getValue()[1], a.getValue()[0] + a.getValue()[1]));
        for (Map.Entry<String, double[]> e : rows) {
            double f = e.getValue()[0] / steps;
            double b = e.getValue()[1] / steps;
            timed += f + b;
            kinds.put(e.getKey(), Map.of("forwardSeconds", f, "backwardSeconds", b, "share", (f + b) / total));
            out.printf(Locale.ROOT, "  %-28s forward %7.3f s  backward %7.3f s  %5.1f %%%n", e.getKey(), f, b,
                    100 * (f + b) / total);
        }
        out.printf(Locale.ROOT, "  %-28s %34.3f s  %5.1f %%%n", "rest (loss, optimizer, graph)", total - timed,
                100 * (total - timed) / total);
        r.put("kinds", kinds);
        r.put("restSeconds", total - timed);
        return r;
    }
}
