package io.github.visionzoo.zoo.layers;

import static io.github.visionzoo.zoo.testing.Golden.load;
import static io.github.visionzoo.zoo.testing.Golden.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.models.TransformerBlocks.Layout;
import io.github.visionzoo.zoo.models.VitSpec;
import io.github.visionzoo.zoo.testing.Golden;
import io.github.visionzoo.zoo.testing.GraphChecks;
import io.github.visionzoo.zoo.weights.ImportOptions;
import io.github.visionzoo.zoo.weights.StateDict;
import io.github.visionzoo.zoo.weights.StoredTensor;
import io.github.visionzoo.zoo.weights.TorchvisionMapping;
import io.github.visionzoo.zoo.weights.WeightExporter;
import io.github.visionzoo.zoo.weights.WeightImporter;
import io.github.visionzoo.zoo.weights.WeightMapping;
import java.io.File;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The ViT layers against PyTorch: golden values written by {@code src/tools/golden/golden_vit.py} (float32 weights and
 * inputs, float64 reference outputs). Weights are loaded by state-dict key through the weight importer's mapping.
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
        Map<String, StoredTensor> tensors = new java.util.LinkedHashMap<>();
        for (String name : new String[] {"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}) {
            tensors.put("self_attention." + name, StoredTensor.of(load("vit/mha/" + name + ".npy")));
        }
        WeightImporter.load(graph, new TorchvisionMapping("self_attention"), StateDict.of(tensors),
                ImportOptions.strict());
        INDArray out = graph.outputSingle(load("vit/mha/input.npy").castTo(type));
        double diff = maxAbsDiff(out, load("vit/mha/output.npy"));
        System.out.printf("MHA vs PyTorch (%s): max |diff| = %.3g%n", type, diff);
        assertThat(out.shape()).containsExactly(2, 5, 16);
        assertThat(diff).isLessThanOrEqualTo(tolerance);
    }

    /** The golden state dict, one .npy file per tensor named by its key. */
    static Map<String, StoredTensor> goldenStateDict() {
        Map<String, StoredTensor> tensors = new TreeMap<>();
        for (File f : Golden.file("vit/tiny/state").toFile().listFiles((d, n) -> n.endsWith(".npy"))) {
            String key = f.getName().substring(0, f.getName().length() - ".npy".length());
            tensors.put(key, StoredTensor.of(Nd4j.createFromNpyFile(f)));
        }
        return tensors;
    }

    /** Loads the golden state dict strictly: every tensor used, every parameter filled. */
    static ComputationGraph tinyVit(DataType type, Layout layout) {
        ComputationGraphConfiguration conf = TINY.configuration(3, 1, layout);
        conf.setDataType(type);
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        WeightImporter.load(graph, WeightMapping.of(TINY), StateDict.of(goldenStateDict()), ImportOptions.strict());
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
        INDArray input = load("vit/tiny/input.npy").castTo(type);
        Map<String, INDArray> acts = graph.feedForward(input, false);
        String block0 = layout == Layout.FUSED ? VitSpec.blockName(0)
                : VitSpec.blockName(0) + ".residual_2";
        double embedding = maxAbsDiff(acts.get(VitSpec.EMBEDDING), load("vit/tiny/embedding.npy"));
        double block = maxAbsDiff(acts.get(block0), load("vit/tiny/block0.npy"));
        INDArray head = graph.getLayer(VitSpec.HEAD).getParam("W");
        INDArray bias = graph.getLayer(VitSpec.HEAD).getParam("b");
        INDArray logits = acts.get(VitSpec.FINAL_NORM).mmul(head).addRowVector(bias);
        double logit = maxAbsDiff(logits, load("vit/tiny/logits.npy"));
        INDArray probs = graph.outputSingle(input);
        double prob = maxAbsDiff(probs, load("vit/tiny/softmax.npy"));
        System.out.printf("tiny ViT vs torchvision (%s, %s): embedding %.3g, block 0 %.3g, logits %.3g, softmax %.3g%n",
                type, layout, embedding, block, logit, prob);
        assertThat(probs.shape()).containsExactly(2, 3);
        assertThat(embedding).isLessThanOrEqualTo(logitTolerance);
        assertThat(block).isLessThanOrEqualTo(logitTolerance);
        assertThat(logit).isLessThanOrEqualTo(logitTolerance);
        assertThat(prob).isLessThanOrEqualTo(probTolerance);
    }

    /**
     * The fused block ({@link EncoderBlock}, a hand-written forward and backward pass) and the separate SameDiff layers
     * (differentiated by SameDiff) give the same parameter gradients, in double, from the same torchvision weights.
     */
    @Test
    void bothLayoutsHaveTheSameGradients() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        INDArray input = load("vit/tiny/input.npy").castTo(DataType.DOUBLE);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, input.size(0), 3);
        for (int i = 0; i < input.size(0); i++) {
            labels.putScalar(i, (i + 1) % 3, 1.0);
        }
        Map<String, INDArray> fused = gradientsByTorchKey(tinyVit(DataType.DOUBLE, Layout.FUSED), input, labels);
        Map<String, INDArray> separate = gradientsByTorchKey(tinyVit(DataType.DOUBLE, Layout.SEPARATE), input, labels);
        assertThat(fused.keySet()).isEqualTo(separate.keySet());
        assertThat(fused).containsKey(VitSpec.blockName(1) + ".self_attention.in_proj_weight");
        fused.forEach((key, gradient) -> {
            assertThat(gradient.shape()).as(key).containsExactly(separate.get(key).shape());
            assertThat(gradient.amaxNumber().doubleValue()).as(key + " is not all zero").isGreaterThan(1e-8);
            assertThat(maxAbsDiff(gradient, separate.get(key))).as(key).isLessThan(1e-10);
        });
    }

    /**
     * In float, the fused block runs its layer norms and GELU gate as Java loops
     * ({@link io.github.visionzoo.zoo.kernels.FloatLoops}), and in double as ND4J ops (the path the gradient checks
     * cover): both give the same parameter gradients, within float rounding.
     */
    @Test
    void floatGradientsMatchTheDoublePath() {
        INDArray input = load("vit/tiny/input.npy");
        INDArray labels = GraphChecks.cyclicLabels(DataType.DOUBLE, (int) input.size(0), 3);
        Map<String, INDArray> single = gradientsByTorchKey(tinyVit(DataType.FLOAT, Layout.FUSED),
                input.castTo(DataType.FLOAT), labels.castTo(DataType.FLOAT));
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        Map<String, INDArray> exact = gradientsByTorchKey(tinyVit(DataType.DOUBLE, Layout.FUSED),
                input.castTo(DataType.DOUBLE), labels);
        assertThat(single.keySet()).isEqualTo(exact.keySet());
        assertThat(single).containsKey(VitSpec.blockName(1) + ".ln_2.weight");
        exact.forEach((key, gradient) -> {
            double scale = gradient.amaxNumber().doubleValue();
            assertThat(scale).as(key + " is not all zero").isGreaterThan(1e-8);
            assertThat(maxAbsDiff(single.get(key).castTo(DataType.DOUBLE), gradient)).as(key)
                    .isLessThan(1e-4 * Math.max(scale, 1e-2));
        });
    }

    private static Map<String, INDArray> gradientsByTorchKey(ComputationGraph graph, INDArray input,
                                                             INDArray labels) {
        graph.setInputs(input);
        graph.setLabels(labels);
        graph.computeGradientAndScore();
        Map<String, INDArray> out = new TreeMap<>();
        for (org.deeplearning4j.nn.api.Layer layer : graph.getLayers()) {
            org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
            String vertex = conf.getLayerName();
            for (String key : layer.paramTable().keySet()) {
                String name = conf instanceof TorchNamed t ? t.torchKey(vertex, key) : vertex + "." + key;
                out.put(name, graph.gradient().getGradientFor(vertex + "_" + key).dup());
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void stateDictKeysAndShapesAreTorchvisions(Layout layout) {
        ComputationGraph graph = tinyVit(DataType.FLOAT, layout);
        Map<String, StoredTensor> exported = WeightExporter.stateDict(graph, WeightMapping.of(TINY));
        assertThat(exported.keySet()).isEqualTo(goldenStateDict().keySet());
        for (Map.Entry<String, StoredTensor> e : exported.entrySet()) {
            INDArray expected = load("vit/tiny/state/" + e.getKey() + ".npy");
            // reading it back in PyTorch's layout gives the same shape and numbers
            assertThat(e.getValue().toINDArray()).as(e.getKey()).isEqualTo(expected.castTo(DataType.FLOAT));
        }
    }

    /** The golden state dict under timm's names (what timm's {@code VisionTransformer.state_dict()} holds). */
    private static Map<String, StoredTensor> asTimm(Map<String, StoredTensor> torchvision) {
        Map<String, StoredTensor> timm = new TreeMap<>();
        torchvision.forEach((key, t) -> timm.put(key
                .replace("conv_proj.", "patch_embed.proj.")
                .replace("class_token", "cls_token")
                .replace("encoder.pos_embedding", "pos_embed")
                .replaceAll("encoder\\.layers\\.encoder_layer_(\\d+)\\.", "blocks.$1.")
                .replace(".ln_1.", ".norm1.").replace(".ln_2.", ".norm2.")
                .replace(".self_attention.in_proj_", ".attn.qkv.")
                .replace(".self_attention.out_proj.", ".attn.proj.")
                .replace(".mlp.0.", ".mlp.fc1.").replace(".mlp.3.", ".mlp.fc2.")
                .replace("encoder.ln.", "norm.")
                .replace("heads.head.", "head."), t));
        return timm;
    }

    @Test
    void timmNamedWeightsLoadLikeTorchvisions() {
        Map<String, StoredTensor> timm = asTimm(goldenStateDict());
        assertThat(timm).containsKeys("cls_token", "pos_embed", "blocks.1.attn.qkv.weight", "norm.bias", "head.weight");
        ComputationGraph graph = new ComputationGraph(TINY.configuration(3, 1, Layout.FUSED));
        graph.init();
        WeightImporter.load(graph, WeightMapping.of(TINY), StateDict.of(timm), ImportOptions.strict());
        INDArray input = load("vit/tiny/input.npy").castTo(DataType.FLOAT);
        assertThat(maxAbsDiff(graph.outputSingle(input), load("vit/tiny/softmax.npy"))).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void weightsForAnotherImageSizeGetAResizedPositionEmbedding() {
        VitSpec larger = TINY.withImageSize(TINY.imageSize() * 2); // a patch grid twice as wide
        ComputationGraph graph = new ComputationGraph(larger.configuration(3, 1, Layout.FUSED));
        graph.init();
        WeightImporter.load(graph, WeightMapping.of(larger), StateDict.of(goldenStateDict()), ImportOptions.strict());
        int grid = larger.imageSize() / larger.patchSize();
        INDArray expected = VitSpec.resizePositionEmbedding(
                load("vit/tiny/state/encoder.pos_embedding.npy").castTo(DataType.FLOAT), grid);
        INDArray actual = WeightExporter.stateDict(graph, WeightMapping.of(larger)).get("encoder.pos_embedding")
                .toINDArray();
        assertThat(actual.shape()).containsExactly(1, 1 + grid * grid, larger.hiddenDim());
        assertThat(maxAbsDiff(actual, expected)).isLessThan(1e-6);
        // the class token's row is kept as it was
        assertThat(maxAbsDiff(actual.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()),
                load("vit/tiny/state/encoder.pos_embedding.npy").castTo(DataType.FLOAT)
                        .get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()))).isLessThan(1e-7);
    }
}
