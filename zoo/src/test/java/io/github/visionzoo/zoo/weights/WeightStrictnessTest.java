package io.github.visionzoo.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.testing.Golden;
import io.github.visionzoo.zoo.testing.GoldenModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Strict matching lists every problem at once; the head-mismatch option is how a fine-tuning starts. */
class WeightStrictnessTest {
    private static final String MODEL = "resnet_basic";

    @Test
    void missingUnexpectedAndWrongShapesAreListedInOneError() throws IOException {
        ModelSpec spec = GoldenModels.SPECS.get(MODEL);
        StateDict good = StateDict.read(GoldenModels.file(MODEL + ".pth"));
        Map<String, StoredTensor> broken = new LinkedHashMap<>(good.tensors());
        broken.remove("layer1.0.bn1.running_var");
        broken.remove("conv1.weight");
        broken.put("extra.weight", StoredTensor.ofFloats(new float[6], 2, 3));
        broken.put("layer2.0.conv1.weight", StoredTensor.ofFloats(new float[8 * 4 * 9], 8, 4, 3, 3)); // the right shape: fine
        broken.put("layer3.0.conv1.weight", StoredTensor.ofFloats(new float[16 * 8], 16, 8, 1, 1));
        ComputationGraph net = Zoo.create(spec, GoldenModels.CLASSES, 1);
        INDArray before = net.params().dup();
        try {
            assertThatThrownBy(() -> WeightImporter.load(net, WeightMapping.of(spec), StateDict.of(broken),
                    ImportOptions.strict()))
                    .isInstanceOfSatisfying(WeightMismatchException.class, e -> {
                        assertThat(e.missing()).containsExactly("conv1.weight (the model expects [4, 3, 7, 7])",
                                "layer1.0.bn1.running_var (the model expects [4])");
                        assertThat(e.unexpected()).containsExactly("extra.weight [2, 3]");
                        assertThat(e.wrongShape()).containsExactly("layer3.0.conv1.weight: the file has "
                                + "[16, 8, 1, 1], the model expects [16, 8, 3, 3]");
                        assertThat(e.getMessage()).startsWith("memory does not fit the model (strict import): "
                                + "2 missing, 1 unexpected, 1 wrongly shaped tensors");
                    });
            // nothing was loaded
            assertThat(net.params()).isEqualTo(before);
        } finally {
            net.close();
        }
    }

    @Test
    void aTensorOfIntegersIsNoParameter() throws IOException {
        ModelSpec spec = GoldenModels.SPECS.get(MODEL);
        Map<String, StoredTensor> sd = new LinkedHashMap<>(StateDict.read(GoldenModels.file(MODEL + ".pth"))
                .tensors());
        sd.put("fc.bias", StoredTensor.ofLong(5));
        ComputationGraph net = Zoo.create(spec, GoldenModels.CLASSES, 1);
        try {
            assertThatThrownBy(() -> WeightImporter.load(net, WeightMapping.of(spec), StateDict.of(sd),
                    ImportOptions.strict())).isInstanceOf(WeightMismatchException.class)
                    .hasMessageContaining("fc.bias: the file has []");
        } finally {
            net.close();
        }
    }

    @Test
    void anotherClassCountIsAnErrorUnlessTheHeadMayDiffer() throws IOException {
        ModelSpec spec = GoldenModels.SPECS.get(MODEL);
        var file = GoldenModels.file(MODEL + ".safetensors");
        assertThatThrownBy(() -> WeightImporter.create(spec, 10, file, ImportOptions.strict()))
                .isInstanceOf(WeightMismatchException.class)
                .hasMessageContaining("fc.weight: the file has [5, 32], the model expects [10, 32] "
                        + "(allowHeadMismatch skips the classifier)")
                .hasMessageContaining("fc.bias: the file has [5], the model expects [10]");

        ComputationGraph ten = WeightImporter.create(spec, 10, file, ImportOptions.allowingHeadMismatch());
        ComputationGraph five = WeightImporter.create(spec, file, ImportOptions.strict());
        try {
            INDArray x = GoldenModels.input(MODEL);
            // the backbone is the file's: the classifier's input equals PyTorch's model's
            INDArray features10 = ten.feedForward(x, false).get("avgpool");
            INDArray features5 = five.feedForward(x, false).get("avgpool");
            assertThat(Golden.maxAbsDiff(features10, features5)).isZero();
            assertThat(ten.outputSingle(x).shape()).containsExactly(2, 10);
            // the new head keeps its own initialization
            INDArray w = ten.getLayer("fc").getParam("W");
            assertThat(w.shape()).containsExactly(32, 10);
            assertThat(w.amaxNumber().doubleValue()).isGreaterThan(0.0);
            ImportReport report = WeightImporter.load(ten, spec, file, ImportOptions.allowingHeadMismatch());
            assertThat(report.skippedHead()).containsExactly("fc.weight", "fc.bias");
            assertThat(report.loaded()).hasSize(60).doesNotContain("fc.weight");
            assertThat(report.ignored()).allMatch(n -> n.endsWith(".num_batches_tracked")).hasSize(12);
            // with the same class count, the option loads the head too
            ImportReport same = WeightImporter.load(five, spec, file, ImportOptions.allowingHeadMismatch());
            assertThat(same.skippedHead()).isEmpty();
            assertThat(same.loaded()).contains("fc.weight", "fc.bias");
        } finally {
            ten.close();
            five.close();
        }
    }

    @Test
    void theFileTellsTheClassCount() throws IOException {
        StateDict sd = StateDict.read(GoldenModels.file("vgg.npz"));
        assertThat(WeightImporter.numClasses(WeightMapping.of(GoldenModels.SPECS.get("vgg")), sd)).hasValue(5);
        assertThat(WeightMapping.of(GoldenModels.SPECS.get("vgg")).head()).isEqualTo("classifier.6");
        assertThat(WeightMapping.of(Zoo.spec("resnet50")).head()).isEqualTo("fc");
    }

    @Test
    void nanOrInfiniteWeightsAreRefusedNamingTheFileAndTensor(@TempDir Path dir) throws IOException {
        ModelSpec spec = GoldenModels.SPECS.get(MODEL);
        // the last float of fc.bias becomes NaN: in the .npz's fc.bias.npy, and in the .pth's storage of fc.bias
        Path npz = withLastFloatNaN(GoldenModels.file(MODEL + ".npz"), "fc.bias.npy", dir.resolve("nan.npz"));
        Path pth = withLastFloatNaN(GoldenModels.file(MODEL + ".pth"), "resnet_basic/data/73", dir.resolve("nan.pth"));
        Map<String, StoredTensor> sd = new LinkedHashMap<>(StateDict.read(GoldenModels.file(MODEL + ".pth"))
                .tensors());
        float[] weights = sd.get("layer1.0.conv1.weight").toFloats();
        weights[7] = Float.NEGATIVE_INFINITY;
        sd.put("layer1.0.conv1.weight", StoredTensor.ofFloats(weights, sd.get("layer1.0.conv1.weight").shape()));
        Path safetensors = dir.resolve("inf.safetensors");
        SafeTensors.write(safetensors, sd, Map.of());

        Map<Path, String> expected = Map.of(npz, "tensor fc.bias holds NaN", pth, "tensor fc.bias holds NaN",
                safetensors, "tensor layer1.0.conv1.weight holds -Infinity (element 7 of");
        ComputationGraph net = Zoo.create(spec, GoldenModels.CLASSES, 1);
        INDArray before = net.params().dup();
        try {
            expected.forEach((file, message) -> assertThatThrownBy(() -> WeightImporter.load(net, spec, file,
                    ImportOptions.strict()))
                    .isInstanceOf(WeightFileException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining(message)
                    .hasMessageContaining("nothing was loaded"));
            assertThat(net.params()).isEqualTo(before);
        } finally {
            net.close();
        }
    }

    /** A copy of a zip (an .npz or a .pth) whose {@code entry}'s last four bytes are a little-endian float NaN. */
    private static Path withLastFloatNaN(Path zip, String entry, Path copy) throws IOException {
        try (ZipFile in = new ZipFile(zip.toFile());
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(copy))) {
            boolean found = false;
            for (ZipEntry e : Collections.list(in.entries())) {
                byte[] bytes = in.getInputStream(e).readAllBytes();
                if (e.getName().equals(entry)) {
                    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putFloat(bytes.length - 4, Float.NaN);
                    found = true;
                }
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(bytes);
            }
            assertThat(found).as(entry).isTrue();
        }
        return copy;
    }
}
