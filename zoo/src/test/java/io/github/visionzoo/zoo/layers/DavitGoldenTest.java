package io.github.visionzoo.zoo.layers;

import static io.github.visionzoo.zoo.testing.Golden.load;
import static io.github.visionzoo.zoo.testing.Golden.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.models.DavitSpec;
import io.github.visionzoo.zoo.testing.Golden;
import io.github.visionzoo.zoo.testing.GraphChecks;
import io.github.visionzoo.zoo.weights.Binding;
import io.github.visionzoo.zoo.weights.ImportOptions;
import io.github.visionzoo.zoo.weights.StateDict;
import io.github.visionzoo.zoo.weights.StoredTensor;
import io.github.visionzoo.zoo.weights.WeightExporter;
import io.github.visionzoo.zoo.weights.WeightImporter;
import io.github.visionzoo.zoo.weights.WeightMapping;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A tiny DaViT against timm's {@code davit.py}: golden values written by {@code src/tools/golden/golden_davit.py}
 * (float32 weights and input, float64 reference outputs), the weights loaded by timm's state-dict names.
 */
class DavitGoldenTest {
    /** The tiny model of the golden script: 2 stages, 8 and 16 channels, 2 and 4 heads, 3x3 windows, 16 px. */
    static final DavitSpec TINY = new DavitSpec(List.of(1, 1), List.of(8, 16), List.of(2, 4), 3, 4.0, 0.0, 16);

    @AfterEach
    void restoreDefaults() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    /** The golden state dict, one .npy file per tensor named by its key. */
    static Map<String, StoredTensor> goldenStateDict() {
        Map<String, StoredTensor> tensors = new TreeMap<>();
        for (File f : Golden.file("davit/tiny/state").toFile().listFiles((d, n) -> n.endsWith(".npy"))) {
            String key = f.getName().substring(0, f.getName().length() - ".npy".length());
            tensors.put(key, StoredTensor.of(Nd4j.createFromNpyFile(f)));
        }
        return tensors;
    }

    /** Loads the golden state dict strictly: every tensor used, every parameter filled. */
    static ComputationGraph tinyDavit(DataType type) {
        ComputationGraphConfiguration conf = TINY.configuration(3, 1, type);
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        WeightImporter.load(graph, WeightMapping.of(TINY), StateDict.of(goldenStateDict()), ImportOptions.strict());
        return graph;
    }

    static java.util.stream.Stream<Arguments> precisions() {
        return java.util.stream.Stream.of(Arguments.of(DataType.FLOAT, 1e-4), Arguments.of(DataType.DOUBLE, 1e-9));
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void tinyDavitMatchesTimm(DataType type, double tolerance) {
        Nd4j.setDefaultDataTypes(type, type);
        ComputationGraph graph = tinyDavit(type);
        INDArray input = load("davit/tiny/input.npy").castTo(type);
        Map<String, INDArray> acts = graph.feedForward(input, false);
        double stem = maxAbsDiff(acts.get("stem.norm"), load("davit/tiny/stem.npy"));
        double stage0 = maxAbsDiff(acts.get(DavitSpec.blockName(0, 0, 1) + ".residual2"),
                load("davit/tiny/stage0.npy"));
        var head = graph.getLayer(DavitSpec.HEAD);
        INDArray logits = acts.get(DavitSpec.HEAD_NORM).mmul(head.getParam("W")).addRowVector(head.getParam("b"));
        double logit = maxAbsDiff(logits, load("davit/tiny/logits.npy"));
        INDArray probs = graph.outputSingle(input);
        double prob = maxAbsDiff(probs, load("davit/tiny/softmax.npy"));
        System.out.printf("tiny DaViT vs timm (%s): stem %.3g, stage 0 %.3g, logits %.3g, softmax %.3g%n", type,
                stem, stage0, logit, prob);
        assertThat(probs.shape()).containsExactly(2, 3);
        assertThat(stem).isLessThanOrEqualTo(tolerance);
        assertThat(stage0).isLessThanOrEqualTo(tolerance);
        assertThat(logit).isLessThanOrEqualTo(tolerance);
        assertThat(prob).isLessThanOrEqualTo(tolerance);
    }

    @Test
    void stateDictNamesAndShapesAreTimms() {
        ComputationGraph graph = new ComputationGraph(TINY.configuration(3));
        graph.init();
        List<Binding> bindings = GraphChecks.assertBindsEveryParameterOnce(WeightMapping.of(TINY), graph);
        Map<String, StoredTensor> golden = goldenStateDict();
        Map<String, long[]> ours = new TreeMap<>();
        for (Binding b : bindings) {
            ours.put(b.key(), b.layout().torchShape(graph.getLayer(b.vertex()).getParam(b.param()).shape()));
        }
        assertThat(ours.keySet()).isEqualTo(golden.keySet());
        ours.forEach((key, shape) -> assertThat(shape).as(key).containsExactly(golden.get(key).shape()));
    }

    /** Export writes timm's names and tensors: importing the export into a fresh model gives the same outputs. */
    @Test
    void exportRoundTripsThroughTimmsNames(@TempDir Path dir) throws Exception {
        ComputationGraph graph = tinyDavit(DataType.FLOAT);
        Path file = dir.resolve("davit.safetensors");
        WeightExporter.toSafeTensors(graph, TINY, file);
        StateDict exported = StateDict.read(file);
        Map<String, StoredTensor> golden = goldenStateDict();
        assertThat(exported.names()).containsExactlyInAnyOrderElementsOf(golden.keySet());
        for (String key : golden.keySet()) {
            assertThat(maxAbsDiff(exported.get(key).toINDArray(), golden.get(key).toINDArray())).as(key).isZero();
        }
        ComputationGraph again = WeightImporter.create(TINY, 3, file, ImportOptions.strict());
        INDArray input = load("davit/tiny/input.npy");
        assertThat(maxAbsDiff(again.outputSingle(input), graph.outputSingle(input))).isZero();
    }
}
