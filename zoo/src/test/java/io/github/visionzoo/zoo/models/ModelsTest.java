package io.github.visionzoo.zoo.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.Zoo;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ModelsTest {

    /** Every CNN at its own input size: one image in, ten probabilities out. */
    @ParameterizedTest
    @Tag("slow")
    @ValueSource(strings = {"alexnet", "alexnet_tv", "vgg11", "vgg13", "vgg16", "vgg19", "resnet18", "resnet34",
            "resnet50", "resnet34_convbias"})
    void forwardGivesOneRowOfTenProbabilities(String name) {
        ModelSpec spec = Zoo.spec(name);
        ComputationGraph net = Zoo.create(name, 10);
        int s = spec.imageSize();
        INDArray out = net.outputSingle(Nd4j.rand(DataType.FLOAT, 1, 3, s, s));
        assertThat(out.shape()).containsExactly(1, 10);
        assertThat(out.sumNumber().doubleValue()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        // the summary counts what DL4J allocated, less batch norm's running statistics
        long bnStats = net.getLayers().length == 0 ? 0 : java.util.Arrays.stream(net.getLayers())
                .filter(l -> l.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization)
                .mapToLong(l -> l.numParams() / 2).sum();
        assertThat(ModelSummary.of(name, 10).totalParams()).isEqualTo(net.numParams() - bnStats);
        net.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"alexnet", "alexnet_tv", "vgg16", "resnet50", "resnet34_convbias"})
    void specAndConfigurationRoundTripThroughJson(String name) {
        ModelSpec spec = Zoo.spec(name);
        String json = Json.write(spec);
        assertThat(Json.read(json, ModelSpec.class, "test")).isEqualTo(spec);
        ComputationGraphConfiguration conf = spec.configuration(10);
        assertThat(ComputationGraphConfiguration.fromJson(conf.toJson())).isEqualTo(conf);
    }

    @Test
    @Tag("slow")
    void resNetAndVggTrainAtSmallSizes() {
        for (ModelSpec spec : List.of(ResNetSpec.resnet18().withImageSize(64), VggSpec.vgg11().withImageSize(64),
                AlexNetSpec.alexnetTorchvision().withImageSize(96))) {
            ComputationGraph net = Zoo.create(spec, 4, 1);
            int s = spec.imageSize();
            INDArray out = net.outputSingle(Nd4j.rand(DataType.FLOAT, 2, 3, s, s));
            assertThat(out.shape()).as(spec.toString()).containsExactly(2, 4);
            net.close();
        }
    }

    @Test
    void vggAdaptivePoolIsOnlyAddedWhenNeeded() {
        assertThat(VggSpec.vgg11().configuration(10).getVertices()).doesNotContainKey("avgpool");
        assertThat(VggSpec.vgg11().withImageSize(64).configuration(10).getVertices()).containsKey("avgpool");
    }

    @Test
    void namesFollowTorchvisionStateDicts() {
        assertThat(Zoo.configuration("alexnet", 10).getVertices()).containsKeys("features.0", "features.2",
                "features.4", "features.6", "features.8", "features.10", "features.12", "classifier.1",
                "classifier.4", "classifier.6");
        assertThat(Zoo.configuration("alexnet_tv", 10).getVertices()).containsKeys("features.0", "features.3",
                "features.6", "features.8", "features.10", "avgpool", "classifier.1", "classifier.4", "classifier.6");
        assertThat(Zoo.configuration("vgg16", 10).getVertices()).containsKeys("features.0", "features.2",
                "features.28", "classifier.0", "classifier.3", "classifier.6");
        assertThat(Zoo.configuration("resnet50", 10).getVertices()).containsKeys("conv1", "bn1", "layer1.0.conv3",
                "layer1.0.downsample.0", "layer1.0.downsample.1", "layer4.2.bn3", "fc");
    }

    @Test
    void alexNetRejectsOtherSizesWithAClearMessage() {
        assertThatThrownBy(() -> AlexNetSpec.alexnet().withImageSize(224))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("227")
                .hasMessageContaining("224")
                .hasMessageContaining("alexnet_tv");
        assertThatThrownBy(() -> AlexNetSpec.alexnet().withImageSize(64))
                .hasMessageContaining("takes 227x227").hasMessageContaining("gives 0x0");
        // the smallest size it names is one that works
        String tooSmall = org.assertj.core.api.Assertions.catchThrowable(
                () -> AlexNetSpec.alexnetTorchvision().withImageSize(40)).getMessage();
        int smallest = Integer.parseInt(tooSmall.replaceAll(".*use at least (\\d+).*", "$1"));
        assertThat(smallest).isGreaterThan(40);
        assertThat(AlexNetSpec.alexnetTorchvision().withImageSize(smallest).imageSize()).isEqualTo(smallest);
        assertThatThrownBy(() -> AlexNetSpec.alexnetTorchvision().withImageSize(smallest - 1))
                .hasMessageContaining("too small");
    }

    @Test
    void specsAreValidatedWhereTheyAreBuilt() {
        assertThatThrownBy(() -> new ResNetSpec(ResNetSpec.Block.BASIC, List.of(2, 0), 64, false, 224))
                .hasMessageContaining("ResNetSpec.layers");
        assertThatThrownBy(() -> new VggSpec(List.of(1, 1), List.of(64), false, 4096, 0.5, 224))
                .hasMessageContaining("VggSpec.widths");
        assertThatThrownBy(() -> ResNetSpec.resnet18().withImageSize(16)).hasMessageContaining("imageSize");
    }

    @Test
    void badSpecJsonNamesTheField() {
        assertThatThrownBy(() -> Json.read("{\"family\":\"resnet\",\"block\":\"basic\",\"layers\":[2,2],"
                + "\"width\":8,\"convBias\":false,\"imageSize\":64,\"depth\":3}", ModelSpec.class, "spec.json"))
                .hasMessageContaining("spec.json").hasMessageContaining("depth");
        assertThatThrownBy(() -> Json.read("{\"family\":\"resnot\"}", ModelSpec.class, "spec.json"))
                .hasMessageContaining("spec.json").hasMessageContaining("resnot");
        assertThatThrownBy(() -> Json.read("{\"family\":\"resnet\",\"block\":\"basic\",\"layers\":[2,2],"
                + "\"width\":0,\"convBias\":false,\"imageSize\":64}", ModelSpec.class, "spec.json"))
                .hasMessageContaining("spec.json").hasMessageContaining("ResNetSpec.width");
    }
}
