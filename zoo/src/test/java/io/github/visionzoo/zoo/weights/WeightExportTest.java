package io.github.visionzoo.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.testing.Golden;
import io.github.visionzoo.zoo.testing.GoldenModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exported safetensors hold torchvision's state dict: the same names and values as the file imported, and they
 * import back to PyTorch's outputs. With {@code -Dvisionzoo.exportDir=DIR} the exports are also copied to DIR, for
 * {@code src/tools/golden/golden_weights.py --verify-export DIR/NAME.safetensors NAME}, which loads them in PyTorch.
 */
class WeightExportTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"resnet_basic", "resnet_bottleneck", "vgg", "vgg_bn", "alexnet"})
    void exportHoldsTheImportedStateDict(String model) throws IOException {
        ModelSpec spec = GoldenModels.SPECS.get(model);
        StateDict original = StateDict.read(GoldenModels.file(model + ".pth"));
        ComputationGraph net = WeightImporter.create(spec, GoldenModels.file(model + ".pth"), ImportOptions.strict());
        Path out = dir.resolve(model + ".safetensors");
        try {
            WeightExporter.toSafeTensors(net, spec, out);
        } finally {
            net.close();
        }
        StateDict exported = StateDict.read(out);
        assertThat(exported.names()).containsExactlyInAnyOrderElementsOf(original.names());
        for (String name : original.names()) {
            StoredTensor a = original.get(name);
            StoredTensor b = exported.get(name);
            assertThat(b.shape()).as(name).isEqualTo(a.shape());
            if (name.endsWith("num_batches_tracked")) {
                assertThat(b.dtype()).isEqualTo(DType.I64);
                continue;
            }
            assertThat(b.dtype()).isEqualTo(DType.F32);
            float[] x = a.toFloats();
            float[] y = b.toFloats();
            for (int i = 0; i < x.length; i++) {
                // running_var passes through DL4J's log10(std): equal to float rounding
                assertThat(y[i]).as(name).isCloseTo(x[i], org.assertj.core.data.Offset.offset(
                        name.endsWith("running_var") ? Math.abs(x[i]) * 2e-6f : 0f));
            }
        }
        assertThat(Json.read(exported.metadata().get("visionzoo.spec"), ModelSpec.class, "metadata")).isEqualTo(spec);
        assertThat(exported.metadata()).containsEntry("format", "pt");

        ComputationGraph again = WeightImporter.create(spec, out, ImportOptions.strict());
        try {
            assertThat(Golden.maxAbsDiff(GoldenModels.logits(again, spec.headName(), GoldenModels.input(model)),
                    GoldenModels.expected(model + "_logits"))).isLessThanOrEqualTo(1e-4);
        } finally {
            again.close();
        }
        String copyTo = System.getProperty("visionzoo.exportDir");
        if (copyTo != null) {
            Files.createDirectories(Path.of(copyTo));
            Files.copy(out, Path.of(copyTo).resolve(out.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
