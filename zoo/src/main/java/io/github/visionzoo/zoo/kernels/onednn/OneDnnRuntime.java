package io.github.visionzoo.zoo.kernels.onednn;

import io.github.visionzoo.zoo.kernels.ChannelsLast;
import java.util.function.Consumer;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the oneDNN kernels ({@link OneDnnConvolution}, {@link OneDnnBatchNorm}, {@link OneDnnAddRelu},
 * {@link OneDnnMaxPool}, {@link OneDnnMatMul}) share: the CPU engine, a stream per thread, ND4J arrays seen as oneDNN
 * memory, the attributes and execution of their primitives, and the per-thread native memory their temporaries come
 * from ({@link Scratch}, {@link Pass}).
 */
final class OneDnnRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(OneDnnRuntime.class);
    /** The CPU engine, or null where the natives did not load. */
    static final engine ENGINE = load();
    /** oneDNN's CPU streams are cheap and run in the calling thread; one per thread keeps them apart. */
    private static final ThreadLocal<stream> STREAMS = ThreadLocal.withInitial(() -> new stream(ENGINE));

    private OneDnnRuntime() {
    }

    private static engine load() {
        if (!Nd4j.getBackend().getClass().getName().contains(".cpu.")) {
            return null;
        }
        try {
            Loader.load(dnnl.class);
            return new engine(engine.kind.cpu, 0);
        } catch (Throwable e) { // natives missing for this platform: DL4J's helper and the Java passes serve
            LOG.info("oneDNN presets not loaded ({}); DL4J's helper and Java passes run instead", e.toString());
            return null;
        }
    }

    /** This thread's stream; get it outside a {@code PointerScope}, which would free it. */
    static stream stream() {
        return STREAMS.get();
    }

    /** {@code a} as oneDNN memory, described by its own shape and strides. */
    static memory memory(INDArray a) {
        return new memory(desc(a), ENGINE, pointer(a));
    }

    /** {@code a}'s float layout: its shape and strides. */
    static memory.desc desc(INDArray a) {
        return new memory.desc(a.shape(), memory.data_type.f32, a.stride());
    }

    /** {@code a} as oneDNN memory in layout {@code d} (for one contiguous vector, say). */
    static memory memory(INDArray a, memory.desc d) {
        return new memory(d, ENGINE, pointer(a));
    }

    /** Memory at {@code address}, which the caller owns, in layout {@code d}. */
    static memory memory(long address, memory.desc d) {
        return new memory(d, ENGINE, new Address(address));
    }

    /** Where {@code a}'s first element is, as a pointer that frees nothing. */
    static Pointer pointer(INDArray a) {
        return new Address(a.data().addressPointer().address()); // the buffer's pointer includes the view's offset
    }

    /**
     * Whether {@code a} is a float array that the element-wise primitives take at full speed: {@code [b, c, h, w]}
     * with NCHW's dense strides or channels-last ones ({@link ChannelsLast}).
     */
    static boolean denseImage(INDArray a) {
        return a.rank() == 4 && a.dataType() == DataType.FLOAT
                && (Shape.hasDefaultStridesForShape(a) || ChannelsLast.nhwcOf(a) != null);
    }

    /**
     * A new float array in the activations workspace with {@code a}'s shape and layout ({@link #denseImage}): C order
     * where {@code a} has its strides, else channels-last.
     */
    static INDArray outputLike(INDArray a, LayerWorkspaceMgr mgr) {
        return Shape.hasDefaultStridesForShape(a)
                ? mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, a.shape(), 'c')
                : ChannelsLast.create(mgr, ArrayType.ACTIVATIONS, DataType.FLOAT, a.size(0), a.size(1),
                        a.size(2), a.size(3));
    }

    /** {@code a}'s shape and strides, which a primitive built for {@code a} takes again. */
    static long[] layout(INDArray a) {
        long[] layout = java.util.Arrays.copyOf(a.shape(), 2 * a.rank());
        System.arraycopy(a.stride(), 0, layout, a.rank(), a.rank());
        return layout;
    }

    /** A float layout of {@code shape} that a primitive chooses. */
    static memory.desc any(long... shape) {
        return any(memory.data_type.f32, shape);
    }

    /** A layout of {@code shape} in {@code type} that a primitive chooses. */
    static memory.desc any(memory.data_type type, long... shape) {
        return new memory.desc(shape, type, memory.format_tag.any);
    }

    /**
     * Whether this CPU runs oneDNN's bf16 kernels natively (AVX512_BF16: {@code avx512_core_bf16} or later). Without
     * it oneDNN 2.5 emulates bf16 on AVX-512 more slowly than it computes in float32, and has no bf16 kernels below.
     */
    static boolean bf16() {
        int isa = dnnl.dnnl_get_effective_cpu_isa();
        return (isa & dnnl.dnnl_cpu_isa_avx512_core_bf16) == dnnl.dnnl_cpu_isa_avx512_core_bf16
                && isa != dnnl.dnnl_cpu_isa_all;
    }

    /** Whether {@code pd} runs Winograd's algorithm. */
    static boolean winograd(primitive_desc_base pd) {
        return pd.impl_info_str().getString().contains("wino");
    }

    /**
     * Whether oneDNN runs {@code pd} on a jit kernel rather than a scalar one ({@code ref}, {@code simple_nchw}): it
     * chooses among its implementations by the layout of each argument.
     */
    static boolean jit(primitive_desc_base pd) {
        String impl = pd.impl_info_str().getString();
        return !impl.contains("ref") && !impl.contains("simple");
    }

    /**
     * Attributes asking for the scratchpad at each execution: oneDNN's own (library) scratchpad belongs to the thread
     * that built the primitive, and DL4J's ParallelWrapper trains a model in other threads than the one that built
     * it (a crash in oneDNN, found by {@code ParallelTrainingTest}).
     */
    static primitive_attr userScratchpad() {
        primitive_attr attr = new primitive_attr();
        attr.set_scratchpad_mode(dnnl.scratchpad_mode.user);
        return attr;
    }

    /** {@link #userScratchpad} attributes with a ReLU applied to the primitive's output (a post-op). */
    static primitive_attr userScratchpadRelu() {
        primitive_attr attr = userScratchpad();
        post_ops ops = new post_ops();
        ops.append_eltwise(1f, dnnl.algorithm.eltwise_relu, 0f, 0f);
        attr.set_post_ops(ops);
        return attr;
    }

    /**
     * Executes {@code p} (built by {@code pd} with {@link #userScratchpad}) in this thread's stream, with the
     * arguments that {@code args} puts and a scratchpad from this thread's {@link Scratch}.
     */
    static void execute(primitive p, primitive_desc_base pd, Consumer<IntMemoryMap> args) {
        stream s = stream(); // outside the pass below, which frees what is made inside it
        try (Pass pass = new Pass()) {
            IntMemoryMap map = new IntMemoryMap();
            args.accept(map);
            map.put(dnnl.DNNL_ARG_SCRATCHPAD, pass.temporary(pd.scratchpad_desc()));
            p.execute(s, map);
        }
    }

    /**
     * Frees the calling thread's {@link Scratch} block unless a pass is under way; the next pass allocates it again.
     */
    static void releaseScratch() {
        Scratch scratch = SCRATCH.get();
        if (scratch.used == 0) {
            scratch.free();
        }
    }

    /** The bytes of the calling thread's {@link Scratch} block. */
    static long scratchBytes() {
        return SCRATCH.get().capacity;
    }

    /** How many times the calling thread's {@link Scratch} took memory from malloc. */
    static long scratchAllocations() {
        return SCRATCH.get().allocations;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * The native memory that one thread's passes take their temporaries from: reordered copies of inputs, outputs
     * written in oneDNN's layout, scratchpads. Every pass of a training step or an inference batch needs the same
     * temporaries at every step, so they are carved from one block kept between passes instead of being allocated
     * and freed by malloc each time: glibc's malloc returns blocks of that size to the kernel when they are freed and
     * the kernel zeroes fresh pages at their next use, so per-pass allocations cost page faults and system time at
     * every step (src/docs/PERFORMANCE.md). The block is the largest any one pass of this thread needed: passes run
     * one after the other in a thread and hand back their memory when they end ({@link Pass}), in LIFO order. A pass
     * that needs more than the block takes the rest from malloc for that once; when the outermost pass ends, the
     * block is replaced by one of the size it would have needed.
     */
    static final class Scratch {
        /** oneDNN's alignment for the memory it allocates itself. */
        private static final long ALIGNMENT = 64;
        private BytePointer block;
        private long base;
        private long capacity;
        private long used;
        private long highWater;
        private long allocations;
        private final java.util.List<BytePointer> overflow = new java.util.ArrayList<>();

        /** {@code bytes} of memory, 64-byte aligned, until the pass that took it ends. */
        long take(long bytes) {
            long size = (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
            long at = used;
            used += size;
            highWater = Math.max(highWater, used);
            if (used <= capacity) {
                return base + at;
            }
            BytePointer extra = allocate(size);
            overflow.add(extra);
            return aligned(extra);
        }

        /** Hands back everything taken since {@code mark}; the outermost pass's end also resizes the block. */
        void release(long mark) {
            used = mark;
            if (mark == 0 && (!overflow.isEmpty() || highWater > capacity)) {
                overflow.forEach(BytePointer::close);
                overflow.clear();
                free();
                block = allocate(highWater);
                base = aligned(block);
                capacity = highWater;
            }
        }

        void free() {
            if (block != null) {
                block.close();
            }
            block = null;
            base = 0;
            capacity = 0;
        }

        private BytePointer allocate(long bytes) {
            allocations++;
            BytePointer p = new BytePointer(bytes + ALIGNMENT);
            if (p.isNull()) {
                throw new OutOfMemoryError("oneDNN temporaries: could not allocate " + bytes + " bytes");
            }
            return p;
        }

        private static long aligned(BytePointer p) {
            return (p.address() + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        }
    }

    /**
     * One primitive's execution, or a few that belong together: the oneDNN objects made inside it (a
     * {@code PointerScope}) are freed at its end, and the temporaries it took from this thread's {@link Scratch} are
     * handed back. Passes nest: an inner one hands back its own temporaries only.
     */
    static final class Pass implements AutoCloseable {
        private final Scratch scratch = SCRATCH.get();
        private final long mark = scratch.used;
        private final PointerScope scope = new PointerScope();

        /** Memory in layout {@code d} for the length of this pass. */
        memory temporary(memory.desc d) {
            return memory(scratch.take(d.get_size()), d);
        }

        @Override
        public void close() {
            scope.close();
            scratch.release(mark);
        }
    }

    /** A pointer to memory that ND4J owns: nothing to free. */
    private static final class Address extends Pointer {
        Address(long address) {
            this.address = address;
        }
    }
}
