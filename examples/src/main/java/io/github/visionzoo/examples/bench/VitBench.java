package io.github.visionzoo.examples.bench;

import io.github.visionzoo.zoo.CpuThreads;
import io.github.visionzoo.zoo.OneDnn;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.layers.EncoderBlock;
import io.github.visionzoo.zoo.layers.TransformerOps;
import io.github.visionzoo.zoo.models.TransformerBlocks.Layout;
import io.github.visionzoo.zoo.models.VitSpec;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * ViT speed on this machine: images per second of the forward pass ({@code output}, inference) and of a training
 * step ({@code fit}: forward, backward and the Adam update) at {@code --batch} (16), for each model named on the
 * command line (registry names or spec files; default {@code vit_s_16 vit_b_16} at 224 px), in both encoder-block
 * layouts ({@link Layout#FUSED}, the default, and {@link Layout#SEPARATE}).
 *
 * <p>The share of the step spent in attention is measured in the same run on the separate layout, whose attention and
 * MLP are SameDiff layers (the fused {@link EncoderBlock} and the layer norms are not, so their ops cannot be listened
 * to): a SameDiff listener on
 * every SameDiff layer times each op, and counts as attention the ops whose outputs lie in the
 * {@value TransformerOps#ATTENTION_SCOPE}{@code /} name scope (the projections, scores, softmax, context, and their
 * recomputation in the backward pass) and the backward ops that receive those outputs' gradients. The share is that
 * time over the wall time of the step.
 *
 * <p>The process is configured as the command line's ({@link CpuThreads#configure()}). Each figure is the mean of
 * {@code --steps} timed steps after one warm-up step, with the fastest step beside it; the results file is rewritten
 * after each model and layout.
 *
 * <pre>
 * java -Xmx6g -Dorg.bytedeco.javacpp.maxbytes=16G -cp examples/target/visionzoo-examples.jar \
 *      io.github.visionzoo.examples.bench.VitBench [--batch 16] [--steps 3] [--out vit-bench.json] vit_s_16 vit_b_16
 * </pre>
 */
@Command(name = "VitBench", mixinStandardHelpOptions = true,
        description = "ViT forward and training images/s in both encoder-block layouts, and attention's share.")
public final class VitBench implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", defaultValue = "vit_s_16,vit_b_16", split = ",",
            description = "ViT models, names or spec JSON files (default: ${DEFAULT-VALUE}).")
    List<String> models;

    @Option(names = "--batch", defaultValue = "16", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--steps", defaultValue = "3",
            description = "Timed steps per measurement, after one warm-up step (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--out", defaultValue = "vit-bench.json", paramLabel = "FILE",
            description = "Results file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Spec
    CommandSpec spec;

    /** Sums op times of the SameDiff layers' graphs: attention and the rest. */
    static final class OpTimer extends BaseListener {
        private long start;
        double attentionNanos;
        double otherNanos;

        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext opContext) {
            start = System.nanoTime();
        }

        @Override
        public void opExecution(SameDiff sd, At at, org.nd4j.linalg.dataset.api.MultiDataSet batch, SameDiffOp op,
                                OpContext opContext, INDArray[] outputs) {
            long t = System.nanoTime() - start;
            if (isAttention(op)) {
                attentionNanos += t;
            } else {
                otherNanos += t;
            }
        }

        static boolean isAttention(SameDiffOp op) {
            String scope = TransformerOps.ATTENTION_SCOPE + "/";
            List<String> outputs = op.getOutputsOfOp() == null ? List.of() : op.getOutputsOfOp();
            if (outputs.stream().anyMatch(o -> o.startsWith(scope) && !o.endsWith("-grad"))) {
                return true; // a forward op of the attention (also when the backward pass recomputes it)
            }
            List<String> inputs = op.getInputsToOp() == null ? List.of() : op.getInputsToOp();
            return inputs.stream().anyMatch(i -> i.startsWith(scope) && i.endsWith("-grad"));
        }

        void reset() {
            attentionNanos = 0;
            otherNanos = 0;
        }
    }

    public static void main(String[] args) {
        CpuThreads.configure(); // before ND4J's natives load, as the command line does
        System.exit(new CommandLine(new VitBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || steps < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--batch and --steps must be >= 1");
        }
        List<VitSpec> specs = new ArrayList<>();
        for (String name : models) {
            if (!(ModelBench.spec(name, null) instanceof VitSpec vit)) {
                throw new CommandLine.ParameterException(spec.commandLine(), name + " is not a ViT");
            }
            specs.add(vit);
        }
        OneDnn.enable();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("date", Instant.now().toString());
        report.put("machine", MachineInfo.describe());
        report.put("loadAverageAtStart", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        report.put("oneDnn", OneDnn.nativesHaveOneDnn());
        report.put("batch", batch);
        report.put("stepsPerMeasurement", steps);
        List<Map<String, Object>> results = new ArrayList<>();
        report.put("results", results);
        for (int m = 0; m < specs.size(); m++) {
            VitSpec vit = specs.get(m);
            Nd4j.getRandom().setSeed(1);
            INDArray images = Nd4j.rand(DataType.FLOAT, batch, 3, vit.imageSize(), vit.imageSize());
            INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, ModelBench.CLASSES);
            for (int i = 0; i < batch; i++) {
                labels.putScalar(i, i % ModelBench.CLASSES, 1.0);
            }
            MultiDataSet data = new MultiDataSet(images, labels);
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("model", models.get(m));
            model.put("imageSize", vit.imageSize());
            results.add(model);
            for (Layout layout : Layout.values()) {
                ComputationGraph graph = layout == Layout.FUSED ? Zoo.create(vit, ModelBench.CLASSES, 1)
                        : new ComputationGraph(vit.configuration(ModelBench.CLASSES, 1, layout));
                graph.init();
                graph.output(false, images); // warm-up, and the SameDiff graphs exist
                graph.fit(data);
                OpTimer timer = layout == Layout.SEPARATE ? attach(graph) : null;
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("forward", measure(() -> graph.output(false, images), steps, timer));
                r.put("train", measure(() -> graph.fit(data), steps, timer));
                model.put(layout.name().toLowerCase(Locale.ROOT), r);
                System.out.printf(Locale.ROOT, "%s %-8s %s%n", models.get(m), layout, r);
                graph.close();
                System.gc();
                report.put("loadAverageAtEnd", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                Timing.writeResults(out, report);
            }
        }
        System.out.println("wrote " + out.toAbsolutePath());
        return 0;
    }

    /** Puts an op timer on every SameDiff layer's graph. */
    static OpTimer attach(ComputationGraph graph) throws ReflectiveOperationException {
        Field f = org.deeplearning4j.nn.layers.samediff.SameDiffLayer.class.getDeclaredField("sameDiff");
        f.setAccessible(true);
        OpTimer timer = new OpTimer();
        for (Layer layer : graph.getLayers()) {
            if (layer instanceof org.deeplearning4j.nn.layers.samediff.SameDiffLayer && f.get(layer) != null) {
                ((SameDiff) f.get(layer)).setListeners(timer);
            }
        }
        return timer;
    }

    /** Mean and fastest seconds per step, images per second, and the attention's share when timed. */
    private Map<String, Object> measure(Runnable step, int steps, OpTimer timer) {
        if (timer != null) {
            timer.reset();
        }
        double total = 0;
        double fastest = Double.MAX_VALUE;
        for (int i = 0; i < steps; i++) {
            long start = System.nanoTime();
            step.run();
            double s = (System.nanoTime() - start) / 1e9;
            total += s;
            fastest = Math.min(fastest, s);
        }
        double mean = total / steps;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("secondsPerStep", round(mean));
        r.put("fastestSecondsPerStep", round(fastest));
        r.put("imagesPerSecond", round(batch / mean));
        if (timer != null) {
            double attention = timer.attentionNanos / 1e9 / steps;
            double other = timer.otherNanos / 1e9 / steps;
            r.put("attentionSecondsPerStep", round(attention));
            r.put("otherSameDiffOpsSecondsPerStep", round(other));
            r.put("attentionShareOfStep", round(attention / mean));
        }
        return r;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
