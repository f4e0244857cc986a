package io.github.visionzoo.zoo.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.testing.GraphChecks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seam: oneDNN's kernels where the switch is on (the build's natives have them), else the portable ones. */
class KernelsTest {
    private static final List<Object> PORTABLE = List.of(ConvolutionKernel.NONE, BatchNormKernel.NONE,
            AddReluKernel.NONE, MaxPoolKernel.NONE, MatrixSums.ND4J);

    /** One kernel of each kind, as a layer instantiated with the switch {@code oneDnn} gets them. */
    private static List<Object> kernels(boolean oneDnn) {
        int[] ones = {1, 1};
        return GraphChecks.withKernels(oneDnn, () -> List.of(Kernels.convolution(4, new int[] {3, 3}, ones, ones,
                true, true, false), Kernels.batchNorm(true), Kernels.addRelu(), Kernels.maxPool(), Kernels.matrixSums()));
    }

    @Test
    void theSwitchPicksOneDnnOrThePortableKernels() {
        assertThat(GraphChecks.withKernels(false, Kernels::oneDnn)).isFalse();
        assertThat(kernels(false)).containsExactlyElementsOf(PORTABLE);
        assertThat(GraphChecks.withKernels(true, Kernels::oneDnn)).as("oneDNN presets loaded").isTrue();
        assertThat(kernels(true)).doesNotContainAnyElementsOf(PORTABLE);
    }
}
