package io.github.visionzoo.examples.bench;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.OneDnn;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.layers.LocalResponseNorm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Benchmarks behind the foundation's speed claims, each against a baseline measured in the same run:
 * <ul>
 *   <li>training images/s of registry models with DL4J's oneDNN helpers on, against the same model with them off;</li>
 *   <li>forward+backward time of visionzoo's {@link LocalResponseNorm} against DL4J's built-in
 *   {@code LocalResponseNormalization} (which runs in Java on the CPU) on AlexNet's two LRN shapes.</li>
 * </ul>
 * Usage: {@code java -cp examples/target/visionzoo-examples.jar io.github.visionzoo.examples.bench.HelpersBench
 * [RESULTS.json] [MODEL...]} (default models alexnet resnet50; batch 16; 2 warm-up and 5 timed steps). The natives
 * themselves can only be compared across runs: build once per {@code -Dnd4j.natives} and run this in each.
 */
public final class HelpersBench {
    private static final int BATCH = 16;
    private static final int WARMUP = 2;
    private static final int TIMED = 5;

    private HelpersBench() {
    }

    public static void main(String[] args) throws Exception {
        io.github.visionzoo.zoo.CpuThreads.configure();
        Path out = Path.of(args.length > 0 ? args[0] : "target/bench/helpers.json");
        List<String> models = args.length > 1 ? List.of(args).subList(1, args.length) : List.of("alexnet", "resnet50");
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("batch", BATCH);
        results.put("natives", loadedNatives());
        results.put("nativesHaveOneDnn", OneDnn.nativesHaveOneDnn());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String name : models) {
            double off = trainImagesPerSecond(name, false);
            double on = trainImagesPerSecond(name, true);
            rows.add(row("train " + name, "images/s", on, off));
        }
        rows.add(alexNetLrnRow());
        rows.add(lrnRow(96, 55));
        rows.add(lrnRow(256, 27));
        results.put("results", rows);
        Timing.writeResults(out, results);
        System.out.println(io.github.visionzoo.zoo.Json.write(results));
        System.out.println("written to " + out);
    }

    /** The folder (= classifier) that ND4J's native library was loaded from, e.g. linux-x86_64-onednn-avx512. */
    static String loadedNatives() {
        org.nd4j.linalg.factory.Nd4j.create(1); // make sure the backend has loaded
        return org.bytedeco.javacpp.Loader.getLoadedLibraries().entrySet().stream()
                .filter(e -> e.getKey().contains("nd4jcpu") && e.getValue() != null)
                .map(e -> Path.of(e.getValue()).getParent().getFileName().toString())
                .findFirst().orElse("unknown");
    }

    private static Map<String, Object> row(String what, String unit, double value, double baseline) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("benchmark", what);
        r.put("unit", unit);
        r.put("value", value);
        r.put("baseline", baseline);
        r.put("ratio", value / baseline);
        return r;
    }

    /** Training images/s: forward, loss, backward and the optimizer step on random data. */
    static double trainImagesPerSecond(String name, boolean helpers) {
        System.setProperty(OneDnn.DISABLE_PROPERTY, helpers ? "false" : "true");
        return trainImagesPerSecond(Zoo.spec(name), Zoo.spec(name).configuration(10));
    }

    /**
     * AlexNet training with visionzoo's LRN (value) against the same AlexNet with DL4J's built-in
     * {@code LocalResponseNormalization} in its place (baseline; alpha 1e-4 / 5, which equals PyTorch's), helpers on.
     */
    static Map<String, Object> alexNetLrnRow() {
        OneDnn.enable();
        ModelSpec spec = Zoo.spec("alexnet");
        double ours = trainImagesPerSecond(spec, spec.configuration(10));
        ComputationGraphConfiguration builtIn = spec.configuration(10);
        builtIn.getVertices().forEach((name, vertex) -> {
            if (vertex instanceof org.deeplearning4j.nn.conf.graph.LayerVertex lv
                    && lv.getLayerConf().getLayer() instanceof LocalResponseNorm) {
                Layer dl4j = new LocalResponseNormalization.Builder(2.0, 5, 1e-4 / 5, 0.75).build();
                dl4j.setLayerName(name);
                lv.getLayerConf().setLayer(dl4j);
            }
        });
        return row("train alexnet, LRN: visionzoo vs DL4J built-in", "images/s", ours,
                trainImagesPerSecond(spec, builtIn));
    }

    private static double trainImagesPerSecond(ModelSpec spec, ComputationGraphConfiguration conf) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        int s = spec.imageSize();
        DataSet batch = new DataSet(Nd4j.rand(DataType.FLOAT, BATCH, 3, s, s),
                Nd4j.eye(10).getRows(new int[BATCH]).castTo(DataType.FLOAT));
        double seconds = Timing.medianSeconds(WARMUP, TIMED, () -> net.fit(batch));
        net.close();
        return BATCH / seconds;
    }

    /**
     * LRN forward+backward alone: ours (value) against DL4J's built-in (baseline), without workspaces. Noisier than
     * the AlexNet row, which is what counts.
     */
    static Map<String, Object> lrnRow(int channels, int size) {
        OneDnn.enable();
        double ours = lrnSeconds(new LocalResponseNorm(), channels, size);
        double builtIn = lrnSeconds(new LocalResponseNormalization.Builder(2.0, 5, 1e-4 / 5, 0.75).build(),
                channels, size);
        // a speed ratio: > 1 means ours is faster
        Map<String, Object> r = row("LRN fwd+bwd [" + BATCH + ", " + channels + ", " + size + ", " + size + "]",
                "batches/s", 1 / ours, 1 / builtIn);
        r.put("oursMs", ours * 1e3);
        r.put("builtInMs", builtIn * 1e3);
        return r;
    }

    private static double lrnSeconds(Layer layer, int channels, int size) {
        ComputationGraphConfiguration conf = Blocks.build(Blocks.newGraph(1, channels, size, size)
                .addLayer("lrn", layer, Blocks.INPUT).setOutputs("lrn"));
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        org.deeplearning4j.nn.api.Layer lrn = net.getLayer("lrn");
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, channels, size, size);
        INDArray eps = Nd4j.rand(DataType.FLOAT, BATCH, channels, size, size);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        double seconds = Timing.medianSeconds(3, 9, () -> {
            lrn.setInput(x, mgr);
            lrn.activate(true, mgr);
            Pair<Gradient, INDArray> back = lrn.backpropGradient(eps, mgr);
            back.getSecond().sumNumber();
        });
        net.close();
        return seconds;
    }
}
