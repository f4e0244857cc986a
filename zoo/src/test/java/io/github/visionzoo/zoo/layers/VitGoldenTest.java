package io.github.visionzoo.zoo.layers;

import static io.github.visionzoo.zoo.layers.VitTesting.golden;
import static io.github.visionzoo.zoo.layers.VitTesting.maxAbsDiff;
import static io.github.visionzoo.zoo.layers.VitTesting.npy;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.layers.TransformerBlocks.Layout;
import io.github.visionzoo.zoo.models.VisionTransformer;
import io.github.visionzoo.zoo.models.VitSpec;
import java.io.File;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ViT layers against PyTorch: golden values written by {@code src/tools/golden_vit.py} (float32 weights and
 * inputs, float64 reference outputs). Weights are loaded by state-dict key through {@link TorchStateDict}.
 */
class VitGoldenTest {
    /** The tiny torchvision model of the golden script. */
    static final VitSpec TINY = new VitSpec(4, 16, 2, 2, 32, 0.0, 0.0, 8);

    @AfterEach
    void restoreDefaults() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    static java.util.stream.Stream<Arguments> precisions() {
        return java.util.stream.Stream.of(Arguments.of(DataType.FLOAT, 1e-5), Arguments.of(DataType.DOUBLE, 1e-10));
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void multiHeadAttentionMatchesPyTorch(DataType type, double tolerance) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(type).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.recurrent(16, 5, RNNFormat.NWC))
                .addLayer("self_attention", new MultiHeadSelfAttention(2, 0.0, 0.0), "in")
                .setOutputs("self_attention")
                .build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        for (String name : new String[] {"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}) {
            TorchStateDict.set(graph, "self_attention." + name, npy("mha/" + name + ".npy"));
        }
        INDArray out = graph.outputSingle(npy("mha/input.npy").castTo(type));
        double diff = maxAbsDiff(out, npy("mha/output.npy"));
        System.out.printf("MHA vs PyTorch (%s): max |diff| = %.3g%n", type, diff);
        assertThat(out.shape()).containsExactly(2, 5, 16);
        assertThat(diff).isLessThanOrEqualTo(tolerance);
    }

    /** Loads every tensor of the golden state dict and checks that it covers every mapped parameter. */
    static ComputationGraph tinyVit(DataType type, Layout layout) {
        ComputationGraphConfiguration conf = VisionTransformer.configuration(TINY, 3, 1, layout);
        conf.setDataType(type);
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        Map<String, TorchStateDict.Slot> keys = TorchStateDict.keys(graph);
        File[] files = golden("tiny/state").listFiles((d, n) -> n.endsWith(".npy"));
        TreeSet<String> loaded = new TreeSet<>();
        for (File f : files) {
            String key = f.getName().substring(0, f.getName().length() - ".npy".length());
            TorchStateDict.set(graph, keys, key, Nd4j.createFromNpyFile(f));
            loaded.add(key);
        }
        assertThat(loaded).isEqualTo(new TreeSet<>(keys.keySet()));
        return graph;
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void tinyVitMatchesTorchvisionInFloat(Layout layout) {
        compareTinyVit(DataType.FLOAT, layout, 1e-5, 1e-4);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void tinyVitMatchesTorchvisionInDouble(Layout layout) {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        compareTinyVit(DataType.DOUBLE, layout, 1e-10, 1e-9);
    }

    private static void compareTinyVit(DataType type, Layout layout, double probTolerance, double logitTolerance) {
        ComputationGraph graph = tinyVit(type, layout);
        INDArray input = npy("tiny/input.npy").castTo(type);
        Map<String, INDArray> acts = graph.feedForward(input, false);
        String block0 = layout == Layout.FUSED ? VisionTransformer.blockName(0)
                : VisionTransformer.blockName(0) + ".residual_2";
        double embedding = maxAbsDiff(acts.get(VisionTransformer.EMBEDDING), npy("tiny/embedding.npy"));
        double block = maxAbsDiff(acts.get(block0), npy("tiny/block0.npy"));
        INDArray head = graph.getLayer(VisionTransformer.HEAD).getParam("W");
        INDArray bias = graph.getLayer(VisionTransformer.HEAD).getParam("b");
        INDArray logits = acts.get(VisionTransformer.FINAL_NORM).mmul(head).addRowVector(bias);
        double logit = maxAbsDiff(logits, npy("tiny/logits.npy"));
        INDArray probs = graph.outputSingle(input);
        double prob = maxAbsDiff(probs, npy("tiny/softmax.npy"));
        System.out.printf("tiny ViT vs torchvision (%s, %s): embedding %.3g, block 0 %.3g, logits %.3g, softmax %.3g%n",
                type, layout, embedding, block, logit, prob);
        assertThat(probs.shape()).containsExactly(2, 3);
        assertThat(embedding).isLessThanOrEqualTo(logitTolerance);
        assertThat(block).isLessThanOrEqualTo(logitTolerance);
        assertThat(logit).isLessThanOrEqualTo(logitTolerance);
        assertThat(prob).isLessThanOrEqualTo(probTolerance);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void stateDictKeysAndShapesAreTorchvisions(Layout layout) {
        ComputationGraph graph = tinyVit(DataType.FLOAT, layout);
        for (Map.Entry<String, TorchStateDict.Slot> e : TorchStateDict.keys(graph).entrySet()) {
            INDArray expected = npy("tiny/state/" + e.getKey() + ".npy");
            assertThat(e.getValue().torchShape()).as(e.getKey()).isEqualTo(expected.shape());
            // and reading it back in PyTorch's layout gives the same numbers
            assertThat(TorchStateDict.get(graph, e.getKey())).as(e.getKey()).isEqualTo(expected);
        }
        System.out.println(Arrays.toString(TorchStateDict.keys(graph).keySet().toArray()));
    }
}
