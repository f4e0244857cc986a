package io.github.visionzoo.zoo.kernels;

import io.github.visionzoo.zoo.OneDnn;
import io.github.visionzoo.zoo.kernels.onednn.OneDnnKernels;

/**
 * The one place that decides which kernels visionzoo's layers run, as DL4J's layers choose their helper in
 * {@code initializeHelper}: each layer implementation asks here once, when it is instantiated, and keeps what it
 * gets. oneDNN's kernels ({@link OneDnnKernels}) where {@link #oneDnn()}, else the portable ones, which take no pass
 * ({@code NONE}: the layer runs DL4J's code, its Java loops or libnd4j's ops) or run libnd4j's op
 * ({@link MatrixSums#ND4J}). So {@code -Dvisionzoo.onednn.direct} counts for the layers instantiated after it is set.
 */
public final class Kernels {
    private Kernels() {
    }

    /**
     * Whether layers instantiated now get oneDNN's kernels: the ND4J CPU backend with the oneDNN presets' natives
     * loaded, and {@code -D}{@value OneDnn#DIRECT_PROPERTY} not {@code false}.
     */
    public static boolean oneDnn() {
        return OneDnnKernels.loaded() && OneDnn.switchedOn(OneDnn.DIRECT_PROPERTY);
    }

    /**
     * A convolution's kernel: {@code outChannels} filters of {@code kernel} size with DL4J's {@code strides} and
     * {@code dilation} (1 for none), with or without bias, ReLU fused into the forward pass when {@code relu}, its
     * training passes in bf16 where that is faster when {@code bf16} and the CPU runs bf16 ({@link #bf16()}).
     */
    public static ConvolutionKernel convolution(long outChannels, int[] kernel, int[] strides, int[] dilation,
                                                boolean bias, boolean relu, boolean bf16) {
        return oneDnn() ? OneDnnKernels.convolution(outChannels, kernel, strides, dilation, bias, relu, bf16)
                : ConvolutionKernel.NONE;
    }

    /**
     * Whether layers instantiated now can train in bf16: oneDNN's kernels ({@link #oneDnn()}) on a CPU that runs
     * bf16 natively (AVX512_BF16). Elsewhere a layer asked to trains in float32.
     */
    public static boolean bf16() {
        return oneDnn() && OneDnnKernels.bf16();
    }

    /** A batch norm's inference kernel, ReLU fused when {@code relu}. */
    public static BatchNormKernel batchNorm(boolean relu) {
        return oneDnn() ? OneDnnKernels.batchNorm(relu) : BatchNormKernel.NONE;
    }

    /** A residual sum's kernel. */
    public static AddReluKernel addRelu() {
        return oneDnn() ? OneDnnKernels.addRelu() : AddReluKernel.NONE;
    }

    /** A max pooling's training kernel. */
    public static MaxPoolKernel maxPool() {
        return oneDnn() ? OneDnnKernels.maxPool() : MaxPoolKernel.NONE;
    }

    /**
     * A local response normalization's kernel over windows of {@code size} channels:
     * {@code x / (k + meanAlpha * mean(x^2 over the window))^beta}, PyTorch's window (zero-padded, {@code size/2}
     * channels before and {@code (size-1)/2} after).
     */
    public static LrnKernel lrn(int size, double meanAlpha, double beta, double k) {
        return oneDnn() ? OneDnnKernels.lrn(size, meanAlpha, beta, k) : LrnKernel.NONE;
    }

    /** The matrix products of a layer that writes its passes out. */
    public static MatrixSums matrixSums() {
        return oneDnn() ? OneDnnKernels.matrixSums() : MatrixSums.ND4J;
    }
}
