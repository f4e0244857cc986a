package io.github.visionzoo.zoo.layers;

import static io.github.visionzoo.zoo.testing.Golden.load;
import static io.github.visionzoo.zoo.testing.Golden.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.models.SwinSpec;
import io.github.visionzoo.zoo.testing.Golden;
import io.github.visionzoo.zoo.weights.ImportOptions;
import io.github.visionzoo.zoo.weights.ImportReport;
import io.github.visionzoo.zoo.weights.StateDict;
import io.github.visionzoo.zoo.weights.StoredTensor;
import io.github.visionzoo.zoo.weights.WeightExporter;
import io.github.visionzoo.zoo.weights.WeightImporter;
import io.github.visionzoo.zoo.weights.WeightMapping;
import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Swin Transformer against torchvision: golden values written by {@code src/tools/golden/golden_swin.py} (float32
 * weights and inputs, float64 reference outputs) for a tiny model with padded windows, shifted blocks and the merging
 * of an odd map. Weights are imported by state-dict key and exported back under the same names.
 */
class SwinGoldenTest {
    /** The tiny torchvision model of the golden script, at 14 px. */
    static final SwinSpec TINY = new SwinSpec(2, 8, List.of(2, 2), List.of(2, 4), 3, 4.0, 0.0, 0.0, 0.1, 14);

    @AfterEach
    void restoreDefaults() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    /** The golden state dict, one .npy file per tensor named by its key (buffers included). */
    static Map<String, StoredTensor> goldenStateDict() {
        Map<String, StoredTensor> tensors = new TreeMap<>();
        for (File f : Golden.file("swin/tiny/state").toFile().listFiles((d, n) -> n.endsWith(".npy"))) {
            String key = f.getName().substring(0, f.getName().length() - ".npy".length());
            tensors.put(key, StoredTensor.of(Nd4j.createFromNpyFile(f)));
        }
        return tensors;
    }

    /** Loads the golden state dict strictly: every parameter filled, every tensor used or a known buffer. */
    static ComputationGraph tinySwin(DataType type) {
        ComputationGraphConfiguration conf = TINY.configuration(3, 1, type);
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        ImportReport report = WeightImporter.load(graph, WeightMapping.of(TINY), StateDict.of(goldenStateDict()),
                ImportOptions.strict());
        assertThat(report.ignored()).as("the relative_position_index buffers").hasSize(4)
                .allMatch(k -> k.endsWith(".attn.relative_position_index"));
        return graph;
    }

    @Test
    void tinySwinMatchesTorchvisionInFloat() {
        compare(DataType.FLOAT, 1e-5, 1e-4);
    }

    @Test
    void tinySwinMatchesTorchvisionInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        compare(DataType.DOUBLE, 1e-10, 1e-9);
    }

    private static void compare(DataType type, double probTolerance, double tolerance) {
        ComputationGraph graph = tinySwin(type);
        INDArray input = load("swin/tiny/input.npy").castTo(type);
        Map<String, INDArray> acts = graph.feedForward(input, false);
        double embedding = maxAbsDiff(acts.get(SwinSpec.EMBEDDING), load("swin/tiny/embedding.npy"));
        double shifted = maxAbsDiff(acts.get(SwinSpec.blockName(0, 1) + ".residual_2"), load("swin/tiny/block1.npy"));
        double merged = maxAbsDiff(acts.get(SwinSpec.mergingName(0)), load("swin/tiny/merged.npy"));
        double stage2 = maxAbsDiff(acts.get(SwinSpec.blockName(1, 1) + ".residual_2"), load("swin/tiny/stage2.npy"));
        INDArray head = graph.getLayer(SwinSpec.HEAD).getParam("W");
        INDArray bias = graph.getLayer(SwinSpec.HEAD).getParam("b");
        INDArray logits = acts.get(SwinSpec.POOL).mmul(head).addRowVector(bias);
        double logit = maxAbsDiff(logits, load("swin/tiny/logits.npy"));
        INDArray probs = graph.outputSingle(input);
        double prob = maxAbsDiff(probs, load("swin/tiny/softmax.npy"));
        System.out.printf("tiny Swin vs torchvision (%s): embedding %.3g, shifted block %.3g, merging %.3g, stage 2 "
                + "%.3g, logits %.3g, softmax %.3g%n", type, embedding, shifted, merged, stage2, logit, prob);
        assertThat(probs.shape()).containsExactly(2, 3);
        assertThat(embedding).isLessThanOrEqualTo(tolerance);
        assertThat(shifted).isLessThanOrEqualTo(tolerance);
        assertThat(merged).isLessThanOrEqualTo(tolerance);
        assertThat(stage2).isLessThanOrEqualTo(tolerance);
        assertThat(logit).isLessThanOrEqualTo(tolerance);
        assertThat(prob).isLessThanOrEqualTo(probTolerance);
    }

    /** Export gives back torchvision's state dict: the same keys, tensors and buffers. */
    @Test
    void exportGivesBackTorchvisionsStateDict() {
        Map<String, StoredTensor> golden = goldenStateDict();
        Map<String, StoredTensor> exported = WeightExporter.stateDict(tinySwin(DataType.FLOAT),
                WeightMapping.of(TINY));
        assertThat(exported.keySet()).isEqualTo(golden.keySet());
        golden.forEach((key, tensor) -> {
            assertThat(exported.get(key).shape()).as(key).containsExactly(tensor.shape());
            assertThat(maxAbsDiff(exported.get(key).toINDArray().castTo(DataType.DOUBLE),
                    tensor.toINDArray().castTo(DataType.DOUBLE))).as(key).isZero();
        });
    }
}
