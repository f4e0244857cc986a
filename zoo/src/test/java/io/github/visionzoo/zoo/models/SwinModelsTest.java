package io.github.visionzoo.zoo.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.zoo.ModelFlops;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.Zoo;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The Swin variants: parameter counts, FLOPs, shapes and names against torchvision's. */
class SwinModelsTest {
    /** Parameter counts at 10 classes, as PyTorch counts them (torchvision 0.14's swin_*, num_classes=10). */
    static final Map<String, Long> PARAMS = Map.of(
            "swin_t", 27_527_044L,
            "swin_s", 48_844_948L,
            "swin_b", 86_753_474L);

    static Iterable<String> names() {
        return PARAMS.keySet();
    }

    @ParameterizedTest
    @MethodSource("names")
    void parameterCountIsTorchvisions(String name) {
        assertThat(Zoo.names()).contains(name);
        assertThat(Zoo.entry(name).description()).isNotBlank();
        assertThat(ModelSummary.of(name, 10).totalParams()).isEqualTo(PARAMS.get(name));
    }

    /** torchvision's meta for swin_t: 4.49 GFLOPS (multiply-adds, 1000 classes), 28,288,354 parameters. */
    @Test
    void swinTFlopsArePublished() {
        ModelFlops flops = ModelFlops.of("swin_t", 1000);
        assertThat(flops.uncounted()).isEmpty();
        assertThat(flops.gflops() / 2).isCloseTo(4.5, within(4.5 * 0.02));
        assertThat(ModelSummary.of("swin_t", 1000).totalParams()).isEqualTo(28_288_354L);
    }
}
