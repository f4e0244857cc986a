package io.github.visionzoo.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.models.AlexNetSpec;
import io.github.visionzoo.zoo.models.ResNetSpec;
import java.util.List;
import io.github.visionzoo.zoo.layers.BatchNorm;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The default natives are a oneDNN build, and graphs built through the registry run on its helpers. */
class OneDnnTest {

    @Test
    void nativesAreAOneDnnBuild() {
        assertThat(OneDnn.nativesHaveOneDnn()).as("the natives on the classpath have oneDNN switched on").isTrue();
    }

    @Test
    void convolutionAndPoolingRunOnOneDnnHelpers() {
        ComputationGraph net = Zoo.create(new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 8, false, 32), 3, 1);
        assertThat(helperName(net, "conv1")).isEqualTo("MKLDNNConvHelper");
        assertThat(helperName(net, "maxpool")).isEqualTo("MKLDNNSubsamplingHelper");
        // batch norm runs visionzoo's own BatchNorm, faster than DL4J's oneDNN helper
        assertThat(net.getLayer("bn1").conf().getLayer()).isInstanceOf(BatchNorm.class);
        net.close();
    }

    @Test
    @Tag("slow")
    void alexNetConvolutionsRunOnOneDnnToo() {
        ComputationGraph net = Zoo.create(AlexNetSpec.alexnet(), 10, 1);
        assertThat(helperName(net, "features.0")).isEqualTo("MKLDNNConvHelper");
        net.close();
    }

    @Test
    void aMistypedSwitchStopsEnableBeforeANetworkIsBuilt() {
        for (String property : new String[] {OneDnn.DIRECT_PROPERTY, OneDnn.OPT_OUT_PROPERTY}) {
            System.setProperty(property, "maybe");
            try {
                assertThatThrownBy(OneDnn::enable).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("-D" + property + " must be true or false, was 'maybe'");
            } finally {
                System.clearProperty(property);
            }
        }
        OneDnn.enable();
        assertThat(System.getProperty(OneDnn.DISABLE_PROPERTY)).as("helpers let on").isEqualTo("false");
    }

    @Test
    void speedSwitchesTakeTrueOrFalseOnly() {
        String property = "visionzoo.test.switch";
        try {
            assertThat(OneDnn.switchedOn(property)).as("unset").isTrue();
            System.setProperty(property, "FALSE");
            assertThat(OneDnn.switchedOn(property)).isFalse();
            System.setProperty(property, "true");
            assertThat(OneDnn.switchedOn(property)).isTrue();
            System.setProperty(property, "flase");
            assertThatThrownBy(() -> OneDnn.switchedOn(property)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("-Dvisionzoo.test.switch must be true or false, was 'flase'");
        } finally {
            System.clearProperty(property);
        }
    }

    private static String helperName(ComputationGraph net, String layer) {
        LayerHelper helper = OneDnn.helperOf(net, layer);
        return helper == null ? "none (DL4J's Java implementation)" : helper.getClass().getSimpleName();
    }
}
