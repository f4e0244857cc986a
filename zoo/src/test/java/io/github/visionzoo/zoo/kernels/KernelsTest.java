package io.github.visionzoo.zoo.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.testing.GraphChecks;
import org.junit.jupiter.api.Test;

/** The seam: oneDNN's kernels where the switch is on (the build's natives have them), else the portable ones. */
class KernelsTest {
    private static final int[] ONES = {1, 1};

    @Test
    void theSwitchPicksOneDnnOrThePortableKernels() {
        assertThat(GraphChecks.withKernels(false, Kernels::oneDnn)).isFalse();
        assertThat(GraphChecks.withKernels(false, () -> Kernels.convolution(4, new int[] {3, 3}, ONES, ONES, true,
                true))).isSameAs(ConvolutionKernel.NONE);
        assertThat(GraphChecks.withKernels(false, () -> Kernels.batchNorm(true))).isSameAs(BatchNormKernel.NONE);
        assertThat(GraphChecks.withKernels(false, Kernels::addRelu)).isSameAs(AddReluKernel.NONE);
        assertThat(GraphChecks.withKernels(false, Kernels::maxPool)).isSameAs(MaxPoolKernel.NONE);
        assertThat(GraphChecks.withKernels(false, Kernels::matrixSums)).isSameAs(MatrixSums.ND4J);

        assertThat(GraphChecks.withKernels(true, Kernels::oneDnn)).as("oneDNN presets loaded").isTrue();
        assertThat(GraphChecks.withKernels(true, () -> Kernels.convolution(4, new int[] {3, 3}, ONES, ONES, true,
                true))).isNotSameAs(ConvolutionKernel.NONE);
        assertThat(GraphChecks.withKernels(true, () -> Kernels.batchNorm(true))).isNotSameAs(BatchNormKernel.NONE);
        assertThat(GraphChecks.withKernels(true, Kernels::addRelu)).isNotSameAs(AddReluKernel.NONE);
        assertThat(GraphChecks.withKernels(true, Kernels::maxPool)).isNotSameAs(MaxPoolKernel.NONE);
        assertThat(GraphChecks.withKernels(true, Kernels::matrixSums)).isNotSameAs(MatrixSums.ND4J);
    }
}
