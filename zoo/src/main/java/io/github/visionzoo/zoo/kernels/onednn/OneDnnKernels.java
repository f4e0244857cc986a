package io.github.visionzoo.zoo.kernels.onednn;

import io.github.visionzoo.zoo.kernels.AddReluKernel;
import io.github.visionzoo.zoo.kernels.BatchNormKernel;
import io.github.visionzoo.zoo.kernels.ConvolutionKernel;
import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.LrnKernel;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import io.github.visionzoo.zoo.kernels.MaxPoolKernel;

/**
 * The oneDNN kernels that {@link Kernels} hands out, and the per-thread native memory their passes keep for their
 * temporaries ({@code NativeTemporaries} is the public face of the latter).
 */
public final class OneDnnKernels {
    private OneDnnKernels() {
    }

    /** Whether oneDNN can be called here: the ND4J CPU backend, and the presets' natives loaded. */
    public static boolean loaded() {
        return OneDnnRuntime.ENGINE != null;
    }

    /** See {@link Kernels#convolution}. */
    public static ConvolutionKernel convolution(long outChannels, int[] kernel, int[] strides, int[] dilation,
                                                boolean bias, boolean relu, boolean bf16) {
        return new OneDnnConvolution(outChannels, kernel, strides, dilation, bias, relu, bf16);
    }

    /** See {@link Kernels#batchNorm}. */
    public static BatchNormKernel batchNorm(boolean relu) {
        return new OneDnnBatchNorm(relu);
    }

    /** See {@link Kernels#addRelu}. */
    public static AddReluKernel addRelu() {
        return new OneDnnAddRelu();
    }

    /** See {@link Kernels#maxPool}. */
    public static MaxPoolKernel maxPool() {
        return new OneDnnMaxPool();
    }

    /**
     * See {@link Kernels#lrn}: oneDNN's window is centred, {@code (size-1)/2} channels on each side, which is
     * PyTorch's for odd sizes only; even sizes run the layer's own passes.
     */
    public static LrnKernel lrn(int size, double meanAlpha, double beta, double k) {
        return size % 2 == 1 ? new OneDnnLrn(size, (float) meanAlpha, (float) beta, (float) k) : LrnKernel.NONE;
    }

    /** See {@link Kernels#matrixSums}: batched products on oneDNN, the rest through libnd4j. */
    public static MatrixSums matrixSums() {
        return OneDnnMatMul.INSTANCE;
    }

    /** See {@link Kernels#bf16}. */
    public static boolean bf16() {
        return OneDnnRuntime.bf16();
    }

    /** Frees the calling thread's block of temporaries unless a pass is under way; the next pass allocates it again. */
    public static void releaseTemporaries() {
        OneDnnRuntime.releaseScratch();
    }

    /** The bytes of the calling thread's block of temporaries (0 when none is held). */
    public static long temporaryBytes() {
        return OneDnnRuntime.scratchBytes();
    }

    /** How many times the calling thread's passes took memory from malloc for their temporaries. */
    public static long temporaryAllocations() {
        return OneDnnRuntime.scratchAllocations();
    }
}
