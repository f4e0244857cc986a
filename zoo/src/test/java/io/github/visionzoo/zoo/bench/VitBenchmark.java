package io.github.visionzoo.zoo.bench;

import io.github.visionzoo.zoo.CpuThreads;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.OneDnn;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.layers.EncoderBlock;
import io.github.visionzoo.zoo.models.TransformerBlocks.Layout;
import io.github.visionzoo.zoo.layers.TransformerOps;
import io.github.visionzoo.zoo.models.VitSpec;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

/**
 * ViT speed on this machine (not a test): images per second of the forward pass ({@code output}, inference) and of
 * a training step ({@code fit}: forward, backward and the Adam update) at batch 16, 224 px, for each model named on
 * the command line (default {@code vit_s_16 vit_b_16}), in both encoder-block layouts ({@link Layout#FUSED}, the
 * default, and {@link Layout#SEPARATE}).
 *
 * <p>The share of the step spent in attention is measured in the same run on the fused model: a SameDiff listener on
 * every encoder block times each op, and counts as attention the ops whose outputs lie in the
 * {@value TransformerOps#ATTENTION_SCOPE}{@code /} name scope (the projections, scores, softmax, context, and their
 * recomputation in the backward pass) and the backward ops that receive those outputs' gradients. The share is that
 * time over the wall time of the step.
 *
 * <p>OpenMP threads wait passively ({@link CpuThreads#preferPassiveWaiting()}), as in the command line. Results go to
 * {@code target/vit-bench.json} (relative to the working directory). Timed steps per measurement:
 * {@code -Dsteps=N} (default 3), after one warm-up step; each figure is the mean, with the fastest step beside it.
 * From the repository root, after {@code mvn -pl zoo test-compile}:
 *
 * <pre>
 * mvn -q -pl zoo dependency:build-classpath -Dmdep.outputFile=cp.txt
 * java -Xmx6g -Dorg.bytedeco.javacpp.maxbytes=16G -cp zoo/target/test-classes:zoo/target/classes:$(cat zoo/cp.txt) \
 *     io.github.visionzoo.zoo.bench.VitBenchmark vit_s_16 vit_b_16
 * </pre>
 */
public final class VitBenchmark {
    static final int BATCH = 16;

    private VitBenchmark() {
    }

    /** Sums op times of the encoder blocks' SameDiff graphs: attention and the rest. */
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

    public static void main(String[] args) throws IOException, ReflectiveOperationException {
        boolean passive = CpuThreads.preferPassiveWaiting(); // before ND4J's natives load
        List<String> models = args.length > 0 ? List.of(args) : List.of("vit_s_16", "vit_b_16");
        int steps = Integer.getInteger("steps", 3);
        OneDnn.enable();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("date", Instant.now().toString());
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("loadAverageAtStart", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        out.put("oneDnn", OneDnn.nativesHaveOneDnn());
        out.put("ompWaitPolicy", passive ? "PASSIVE" : String.valueOf(System.getenv(CpuThreads.WAIT_POLICY)));
        out.put("batch", BATCH);
        out.put("imageSize", 224);
        out.put("stepsPerMeasurement", steps);
        List<Map<String, Object>> results = new ArrayList<>();
        out.put("results", results);
        Path file = Path.of("target", "vit-bench.json");
        Files.createDirectories(file.getParent());
        for (String name : models) {
            VitSpec spec = (VitSpec) Zoo.spec(name);
            Nd4j.getRandom().setSeed(1);
            INDArray images = Nd4j.rand(DataType.FLOAT, BATCH, 3, spec.imageSize(), spec.imageSize());
            INDArray labels = Nd4j.zeros(DataType.FLOAT, BATCH, 10);
            for (int i = 0; i < BATCH; i++) {
                labels.putScalar(i, i % 10, 1.0);
            }
            MultiDataSet data = new MultiDataSet(images, labels);
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("model", name);
            results.add(model);
            for (Layout layout : Layout.values()) {
                ComputationGraph graph = layout == Layout.FUSED ? Zoo.create(spec, 10, 1)
                        : new ComputationGraph(spec.configuration(10, 1, layout));
                graph.init();
                graph.output(false, images); // warm-up, and the SameDiff graphs exist
                graph.fit(data);
                OpTimer timer = layout == Layout.FUSED ? attach(graph) : null;
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("forward", measure(() -> graph.output(false, images), steps, timer));
                r.put("train", measure(() -> graph.fit(data), steps, timer));
                model.put(layout.name().toLowerCase(Locale.ROOT), r);
                System.out.printf(Locale.ROOT, "%s %-8s %s%n", name, layout, r);
                graph.clear();
                System.gc();
                out.put("loadAverageAtEnd", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                Files.writeString(file, Json.write(out));
            }
        }
        System.out.println(Json.write(out));
        System.out.println("wrote " + file.toAbsolutePath());
    }

    /** Puts an op timer on every encoder block's SameDiff graph. */
    static OpTimer attach(ComputationGraph graph) throws ReflectiveOperationException {
        Field f = org.deeplearning4j.nn.layers.samediff.SameDiffLayer.class.getDeclaredField("sameDiff");
        f.setAccessible(true);
        OpTimer timer = new OpTimer();
        for (Layer layer : graph.getLayers()) {
            if (layer.conf().getLayer() instanceof EncoderBlock) {
                ((SameDiff) f.get(layer)).setListeners(timer);
            }
        }
        return timer;
    }

    /** Mean and fastest seconds per step, images per second, and the attention's share when timed. */
    static Map<String, Object> measure(Runnable step, int steps, OpTimer timer) {
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
        r.put("imagesPerSecond", round(BATCH / mean));
        if (timer != null) {
            double attention = timer.attentionNanos / 1e9 / steps;
            double blocksOther = timer.otherNanos / 1e9 / steps;
            r.put("attentionSecondsPerStep", round(attention));
            r.put("otherBlockOpsSecondsPerStep", round(blocksOther));
            r.put("attentionShareOfStep", round(attention / mean));
        }
        return r;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
