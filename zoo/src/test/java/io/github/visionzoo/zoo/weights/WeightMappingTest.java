package io.github.visionzoo.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.models.AlexNetSpec;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The CNN mapping binds every parameter once, under torchvision's names, for the variants the goldens lack. */
class WeightMappingTest {
    private static List<Binding> bindings(ModelSpec spec, ComputationGraph net) {
        return GraphChecks.assertBindsEveryParameterOnce(WeightMapping.of(spec), net);
    }

    @Test
    void thePaperAlexNetCountsItsLrnModulesAsTorchvisionWould() {
        AlexNetSpec spec = new AlexNetSpec(List.of(8, 16, 16, 16, 16), 0, true, false, 16, 0.5, 227);
        ComputationGraph net = Zoo.create(spec, 3, 1);
        try {
            assertThat(bindings(spec, net)).extracting(Binding::key).containsExactly(
                    "features.0.weight", "features.0.bias", "features.4.weight", "features.4.bias",
                    "features.8.weight", "features.8.bias", "features.10.weight", "features.10.bias",
                    "features.12.weight", "features.12.bias", "classifier.1.weight", "classifier.1.bias",
                    "classifier.4.weight", "classifier.4.bias", "classifier.6.weight", "classifier.6.bias");
        } finally {
            net.close();
        }
    }

    @Test
    @Tag("slow")
    void convolutionBiasesOfTheStudysResNet() {
        ModelSpec spec = Zoo.spec("resnet34_convbias").withImageSize(32);
        ComputationGraph net = Zoo.create(spec, 10, 1);
        try {
            List<Binding> b = bindings(spec, net);
            assertThat(b).extracting(Binding::key).contains("conv1.bias", "layer4.2.conv2.bias",
                    "layer2.0.downsample.0.bias", "layer2.0.downsample.1.running_var");
            assertThat(b).filteredOn(Binding::head).extracting(Binding::key).containsExactly("fc.weight", "fc.bias");
            assertThat(b).filteredOn(x -> x.key().endsWith("running_var")).allMatch(x -> x.layout() == Layout.LOG10_STD);
            assertThat(b).filteredOn(x -> x.key().equals("fc.weight")).allMatch(x -> x.layout() == Layout.TRANSPOSE);
            // export then import gives the same parameters
            StateDict sd = StateDict.of(WeightExporter.stateDict(net, WeightMapping.of(spec)));
            ComputationGraph again = Zoo.create(spec, 10, 2);
            try {
                WeightImporter.load(again, WeightMapping.of(spec), sd, ImportOptions.strict());
                assertThat(again.params().sub(net.params()).amaxNumber().doubleValue()).isLessThan(1e-6);
            } finally {
                again.close();
            }
        } finally {
            net.close();
        }
    }

    @Test
    void aGraphWithoutSpecUsesItsOutputAsTheHead() {
        ModelSpec spec = new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 4, false, 32);
        ComputationGraph net = Zoo.create(spec, 2, 1);
        try {
            assertThat(WeightMapping.of(net).head()).isEqualTo("fc");
            assertThat(WeightMapping.of(net).bindings(net)).isEqualTo(WeightMapping.of(spec).bindings(net));
        } finally {
            net.close();
        }
    }
}
