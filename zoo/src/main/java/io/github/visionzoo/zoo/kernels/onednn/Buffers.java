package io.github.visionzoo.zoo.kernels.onednn;

import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Moves arrays in and out of oneDNN's layouts: an array already in the layout a primitive wants is passed as is;
 * otherwise it goes through a reordered copy, a temporary of the pass.
 */
final class Buffers {
    private final stream stream;
    private final OneDnnRuntime.Pass pass;

    Buffers(stream stream, OneDnnRuntime.Pass pass) {
        this.stream = stream;
        this.pass = pass;
    }

    /** {@code a} in layout {@code wanted}. */
    memory in(INDArray a, memory.desc wanted) {
        memory m = OneDnnRuntime.memory(a);
        if (m.get_desc().equals(wanted)) {
            return m;
        }
        memory copy = scratch(wanted);
        new reorder(m, copy).execute(stream, m, copy);
        return copy;
    }

    /** Where a primitive writes what ends up in an array's memory {@code a}: {@code a} in layout {@code wanted}. */
    memory out(memory a, memory.desc wanted) {
        return a.get_desc().equals(wanted) ? a : scratch(wanted);
    }

    /** Copies {@code written} (from {@link #out}) into {@code a} unless it is {@code a} itself. */
    void finish(memory written, memory a) {
        if (written != a) {
            new reorder(written, a).execute(stream, written, a);
        }
    }

    /** Memory in layout {@code d} for the length of the pass. */
    memory scratch(memory.desc d) {
        return pass.temporary(d);
    }
}
