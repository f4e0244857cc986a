package io.github.visionzoo.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.testing.Golden;
import io.github.visionzoo.zoo.testing.GoldenModels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Each family's golden weights, in each format, give PyTorch's outputs (src/tools/golden/golden_weights.py). */
class WeightImportTest {
    private static final double TOLERANCE = 1e-4;

    static Stream<Arguments> modelsAndFormats() {
        List<Arguments> out = new ArrayList<>();
        for (String model : List.of("resnet_basic", "resnet_bottleneck", "vgg", "vgg_bn", "alexnet", "vit")) {
            for (String ext : List.of("pth", "safetensors", "npz")) {
                out.add(Arguments.of(model, ext));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}.{1}")
    @MethodSource("modelsAndFormats")
    void outputsEqualPyTorch(String model, String ext) throws IOException {
        ModelSpec spec = GoldenModels.SPECS.get(model);
        ComputationGraph net = WeightImporter.create(spec, GoldenModels.file(model + "." + ext),
                ImportOptions.strict());
        try {
            assertThat(net.getConfiguration().getVertices().get(spec.headName())).isNotNull();
            INDArray x = GoldenModels.input(model);
            INDArray logits = GoldenModels.logits(net, spec.headName(), x);
            INDArray softmax = net.outputSingle(x);
            assertThat(Golden.maxAbsDiff(logits, GoldenModels.expected(model + "_logits"))).as("logits")
                    .isLessThanOrEqualTo(TOLERANCE);
            assertThat(Golden.maxAbsDiff(softmax, GoldenModels.expected(model + "_softmax"))).as("softmax")
                    .isLessThanOrEqualTo(TOLERANCE);
        } finally {
            net.close();
        }
    }

    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of("resnet_basic_fp16.pth", "resnet_basic_fp16_logits"),
                Arguments.of("resnet_basic_bf16.pth", "resnet_basic_bf16_logits"),
                Arguments.of("resnet_basic_bf16.safetensors", "resnet_basic_bf16_logits"),
                Arguments.of("resnet_basic_legacy.pth", "resnet_basic_logits"),
                Arguments.of("resnet_basic_f64_fortran.npz", "resnet_basic_logits"));
    }

    /** float16, bfloat16 and float64 tensors, the legacy .pth format and Fortran-order arrays. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void dtypeAndFormatVariantsEqualPyTorch(String file, String expected) throws IOException {
        ModelSpec spec = GoldenModels.SPECS.get("resnet_basic");
        ComputationGraph net = WeightImporter.create(spec, GoldenModels.file(file), ImportOptions.strict());
        try {
            INDArray logits = GoldenModels.logits(net, spec.headName(), GoldenModels.input("resnet_basic"));
            assertThat(Golden.maxAbsDiff(logits, GoldenModels.expected(expected))).isLessThanOrEqualTo(TOLERANCE);
        } finally {
            net.close();
        }
    }
}
