package io.github.visionzoo.zoo.kernels.onednn;

import java.util.function.BiConsumer;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_desc_base;
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

    /**
     * Runs {@code p} (built by {@code pd} with {@link OneDnnRuntime#userScratchpad}) in one pass: {@code inputs} puts
     * its other arguments (through {@link #in} where they need another layout), and its one output {@code outArg}
     * ends up in {@code out}, written through a copy where {@code outLayout} differs from {@code out}'s.
     */
    static void execute(primitive p, primitive_desc_base pd, BiConsumer<Buffers, IntMemoryMap> inputs, int outArg,
                        INDArray out, memory.desc outLayout) {
        stream s = OneDnnRuntime.stream(); // outside the pass below, which frees what is made inside it
        try (OneDnnRuntime.Pass pass = new OneDnnRuntime.Pass()) {
            Buffers buffers = new Buffers(s, pass);
            IntMemoryMap args = new IntMemoryMap();
            inputs.accept(buffers, args);
            memory outMemory = OneDnnRuntime.memory(out);
            memory written = buffers.out(outMemory, outLayout);
            args.put(outArg, written);
            args.put(dnnl.DNNL_ARG_SCRATCHPAD, buffers.scratch(pd.scratchpad_desc()));
            p.execute(s, args);
            buffers.finish(written, outMemory);
        }
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
