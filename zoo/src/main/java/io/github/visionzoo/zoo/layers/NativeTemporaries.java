package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.onednn.OneDnnKernels;

/**
 * The native memory that this thread's oneDNN passes keep for their temporaries between steps (reordered copies,
 * outputs in oneDNN's layouts, scratchpads): one block per thread, as large as the largest pass needed, so that a
 * training step or an inference batch in steady state allocates no large native buffer. {@link #release()} hands it
 * back; the next pass allocates it again.
 */
public final class NativeTemporaries {
    private NativeTemporaries() {
    }

    /** Frees the calling thread's block, unless a pass is under way in it. */
    public static void release() {
        OneDnnKernels.releaseTemporaries();
    }

    /** The bytes of the calling thread's block (0 when none is held). */
    public static long bytes() {
        return OneDnnKernels.temporaryBytes();
    }

    /** How many times the calling thread's passes took memory from malloc for their temporaries. */
    public static long allocations() {
        return OneDnnKernels.temporaryAllocations();
    }
}
