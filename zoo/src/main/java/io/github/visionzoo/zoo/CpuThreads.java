package io.github.visionzoo.zoo;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * CPU settings for ND4J's native threads, applied before its natives load: OpenMP threads that sleep instead of spin
 * while they wait ({@link #preferPassiveWaiting()}), and subnormal floats flushed to zero
 * ({@link #flushDenormalsToZero()}); {@link #configure()} does both.
 *
 * <p>libgomp's default lets idle OpenMP threads spin. When DL4J shares the cores with anything else (the data
 * loader's threads, the JVM's own, another process) the spinning threads take the CPU from the ones doing work, and
 * on a machine with few cores a training step waits for its own data (src/docs/PERFORMANCE.md, "Native settings").
 * Losses are unchanged. libgomp reads the variable once, when ND4J's natives
 * load, so {@link #preferPassiveWaiting()} must run before the first ND4J call; the command line does it first
 * thing. Library users can call it at start-up or export the variable themselves.
 */
public final class CpuThreads {
    /** libgomp's variable. */
    public static final String WAIT_POLICY = "OMP_WAIT_POLICY";

    private CpuThreads() {
    }

    /** glibc's x86-64 {@code fenv_t}: the x87 environment (28 bytes), then MXCSR. */
    private static final int MXCSR_OFFSET = 28;
    /** MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6). */
    private static final int FTZ_DAZ = 0x8040;

    /** The C math library's floating-point environment calls. */
    private interface M extends Library {
        int fegetenv(com.sun.jna.Pointer env);

        int fesetenv(com.sun.jna.Pointer env);
    }

    /** OpenBLAS's variable that overrides its CPU detection. */
    public static final String OPENBLAS_CORETYPE = "OPENBLAS_CORETYPE";

    /** glibc's {@code mallopt} parameter for the arena count. */
    private static final int M_ARENA_MAX = -8;
    /** glibc's {@code mallopt} parameter for the size from which a block is mapped on its own. */
    private static final int M_MMAP_THRESHOLD = -3;
    /** glibc's {@code mallopt} parameter for the free space at a heap's top from which free() hands it back. */
    private static final int M_TRIM_THRESHOLD = -1;
    /**
     * The mmap threshold that {@link #mapLargeBlocks()} fixes: 5 MiB, above the 4.5 MiB packing buffer that oneDNN's
     * matrix product (its {@code gemm_driver}, under the ViT's linear layers) takes from malloc in each thread at
     * every call, so that those are reused from the heap, and below the activation-sized blocks of the CNNs.
     */
    public static final int MMAP_THRESHOLD = 5 << 20;
    /**
     * The trim threshold that {@link #mapLargeBlocks()} sets with it: twice the mmap threshold, glibc's own rule when
     * it moves the mmap threshold itself. Left at its default (128 KiB), which fixing the mmap threshold keeps,
     * free() hands back the top of a heap as soon as a packing buffer below it is freed, and the next call faults
     * the same pages in again.
     */
    public static final int TRIM_THRESHOLD = 2 * MMAP_THRESHOLD;
    private static volatile Boolean largeBlocksMapped;

    /** All five settings; call first thing, on the thread that will run ND4J, before its natives load. */
    public static void configure() {
        preferPassiveWaiting();
        preferOpenBlasKernels();
        flushDenormalsToZero();
        limitMallocArenas();
        mapLargeBlocks();
    }

    /**
     * Fixes glibc's mmap threshold at {@value #MMAP_THRESHOLD} bytes ({@code mallopt(M_MMAP_THRESHOLD)}) and its
     * trim threshold at {@value #TRIM_THRESHOLD} (unless the user set {@code MALLOC_TRIM_THRESHOLD_}), unless the
     * user set {@code MALLOC_MMAP_THRESHOLD_} or a {@code glibc.malloc} tunable, or another malloc (tcmalloc) is
     * preloaded. Once per process; {@link OneDnn#enable()} calls it too, so library users get it when they build
     * their first network. Linux/glibc only.
     *
     * <p>Why: by default glibc raises its threshold to the size of each mapped block that is freed, up to 32 MiB, so
     * after the first steps every activation-sized block that DL4J's workspaces spill while they learn their sizes
     * comes from the arenas' heaps, where it stays resident and fragments them once freed, and a training process holds
     * far more memory than it uses. With the threshold fixed, blocks of 5 MiB and more
     * are mapped on their own and handed back when freed. That costs page faults in every step where a step takes
     * such blocks afresh; no model's step takes any in steady state (the oneDNN passes keep their temporaries,
     * {@link io.github.visionzoo.zoo.layers.NativeTemporaries}, and the workspaces keep their blocks).
     *
     * @return whether the threshold was set here (now or by an earlier call)
     */
    public static boolean mapLargeBlocks() {
        Boolean done = largeBlocksMapped;
        if (done != null) {
            return done;
        }
        synchronized (CpuThreads.class) {
            if (largeBlocksMapped == null) {
                largeBlocksMapped = setMmapThreshold();
            }
            return largeBlocksMapped;
        }
    }

    private static boolean setMmapThreshold() {
        String tunables = System.getenv("GLIBC_TUNABLES");
        if (!Platform.isLinux() || System.getenv("MALLOC_MMAP_THRESHOLD_") != null
                || tunables != null && tunables.contains("glibc.malloc.") || tcmallocLoaded()) {
            return false;
        }
        C c = Libc.C_LIBRARY;
        if (c == null) {
            return false;
        }
        try {
            return c.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                    && (System.getenv("MALLOC_TRIM_THRESHOLD_") != null
                    || c.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false; // not glibc
        }
    }

    /**
     * Caps glibc's malloc arenas at the core count (its default is 8 per core), unless the user set
     * {@code MALLOC_ARENA_MAX}. Every thread that allocates natively (ND4J's, OpenMP's, the data loader's) may get
     * an arena of its own that keeps freed memory, so more arenas hold more freed memory resident over a long run
     * ({@code MemoryBench} in the examples measures it; src/docs/PERFORMANCE.md). Linux/glibc only.
     *
     * @return whether the cap was set
     */
    public static boolean limitMallocArenas() {
        if (System.getenv("MALLOC_ARENA_MAX") != null || !Platform.isLinux()) {
            return false;
        }
        C c = Libc.C_LIBRARY;
        if (c == null) {
            return false;
        }
        try {
            return c.mallopt(M_ARENA_MAX, Math.max(2, Runtime.getRuntime().availableProcessors())) == 1;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }

    /**
     * Names the CPU to OpenBLAS (the BLAS behind ND4J's matrix products, so DL4J's dense layers and the ViT's linear
     * maps) when its own detection would fail, unless the user set {@value #OPENBLAS_CORETYPE}.
     *
     * <p>The OpenBLAS 0.3.19 that ND4J ships does not know newer CPU models; on a machine that reports a generic
     * "Intel Xeon Processor" it falls back to its Prescott kernels, which use neither AVX2 nor AVX-512 and run a float
     * matrix product at a fraction of the machine's speed (src/docs/PERFORMANCE.md, "Native settings"). The choice
     * follows the CPU flags in {@code /proc/cpuinfo}: AVX-512 (F, BW, DQ, VL) gives {@code SkylakeX}, AVX2 with
     * FMA gives {@code Haswell}; otherwise nothing is set. Linux only.
     *
     * @return the core type set, or {@code null}
     */
    public static String preferOpenBlasKernels() {
        if (System.getenv(OPENBLAS_CORETYPE) != null || !Platform.isLinux() || !Platform.isIntel()) {
            return null;
        }
        String coreType = openBlasCoreType();
        if (coreType == null) {
            return null;
        }
        C c = Libc.C_LIBRARY;
        if (c == null) {
            return null;
        }
        try {
            return c.setenv(OPENBLAS_CORETYPE, coreType, 0) == 0 ? coreType : null;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /**
     * The core type {@link #preferOpenBlasKernels()} names for this machine's CPU ({@code SkylakeX}, {@code Haswell})
     * whether or not the user set one, or {@code null} (other CPUs, or no {@code /proc/cpuinfo}). Benchmarks give it
     * to other OpenBLAS users they compare with, such as PyTorch on Debian, whose OpenBLAS falls back the same way.
     */
    public static String openBlasCoreType() {
        try {
            return openBlasCoreType(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo")));
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /** OpenBLAS's core type for the flags of the first processor in a {@code /proc/cpuinfo} text, or null. */
    static String openBlasCoreType(String cpuinfo) {
        java.util.Set<String> flags = cpuinfo.lines().filter(l -> l.startsWith("flags")).findFirst()
                .map(l -> (java.util.Set<String>) new java.util.HashSet<>(java.util.Arrays.asList(
                        l.substring(l.indexOf(':') + 1).trim().split("\\s+"))))
                .orElse(java.util.Set.of());
        if (flags.containsAll(java.util.List.of("avx512f", "avx512bw", "avx512dq", "avx512vl"))) {
            return "SkylakeX";
        }
        if (flags.containsAll(java.util.List.of("avx2", "fma"))) {
            return "Haswell";
        }
        return null;
    }

    /**
     * Sets flush-to-zero and denormals-are-zero in the calling thread's SSE control register (MXCSR), as
     * {@code torch.set_flush_denormal(True)} does; threads started from it afterwards (ND4J's and OpenMP's pools,
     * created when the natives load and at the first parallel op) inherit the setting.
     *
     * <p>Why: arithmetic on subnormal floats (below 1.2e-38) takes microcode assists of a hundred cycles or more.
     * AlexNet (the paper's N(0, 0.01) initialization) produces subnormal gradients within a few steps, and they spread
     * through oneDNN's convolution backward pass until a step takes many times as long (src/docs/PERFORMANCE.md,
     * "Native settings"). Values that small carry no information for training.
     *
     * <p>Linux x86-64 only (elsewhere it does nothing). Java's own float arithmetic on the calling thread flushes
     * subnormals too from then on.
     *
     * @return whether the setting was made
     */
    public static boolean flushDenormalsToZero() {
        if (!Platform.isLinux() || !Platform.isIntel() || !Platform.is64Bit()) {
            return false;
        }
        try {
            M m = Native.loadLibrary("m", M.class);
            com.sun.jna.Memory env = new com.sun.jna.Memory(64);
            if (m.fegetenv(env) != 0) {
                return false;
            }
            env.setInt(MXCSR_OFFSET, env.getInt(MXCSR_OFFSET) | FTZ_DAZ);
            return m.fesetenv(env) == 0 && (mxcsr(m) & FTZ_DAZ) == FTZ_DAZ;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }

    /** The calling thread's MXCSR (Linux x86-64). */
    static int mxcsr() {
        return mxcsr(Native.loadLibrary("m", M.class));
    }

    private static int mxcsr(M m) {
        com.sun.jna.Memory env = new com.sun.jna.Memory(64);
        m.fegetenv(env);
        return env.getInt(MXCSR_OFFSET);
    }

    /** The C library's {@code setenv}, the only way to change a native library's environment from the JVM. */
    private interface C extends Library {
        int setenv(String name, String value, int overwrite);

        int mallopt(int param, int value);

        int malloc_trim(com.sun.jna.NativeLong pad);
    }

    /** The C library, loaded once, or null where it cannot be (Windows). */
    private static final class Libc {
        static final C C_LIBRARY = load();
        /** gperftools' {@code MallocExtension_ReleaseFreeMemory} where tcmalloc is preloaded, else null. */
        static final com.sun.jna.Function TCMALLOC_RELEASE = tcmallocRelease();

        private static com.sun.jna.Function tcmallocRelease() {
            try {
                return Platform.isLinux()
                        ? com.sun.jna.NativeLibrary.getProcess().getFunction("MallocExtension_ReleaseFreeMemory")
                        : null;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                return null; // no tcmalloc in this process
            }
        }

        private static C load() {
            try {
                return Platform.isWindows() ? null : Native.loadLibrary("c", C.class);
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                return null;
            }
        }
    }

    /** glibc's {@code struct mallinfo2} (glibc 2.33 and later): ten {@code size_t} counters. */
    public static class MallInfo2 extends com.sun.jna.Structure implements com.sun.jna.Structure.ByValue {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;

        @Override
        protected java.util.List<String> getFieldOrder() {
            return java.util.List.of("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                    "uordblks", "fordblks", "keepcost");
        }
    }

    private interface MallocInfo extends Library {
        MallInfo2 mallinfo2();
    }

    /**
     * glibc malloc's own counts, all arenas together: {@code mallocHeapBytes}, the arenas' heaps (in use and free),
     * {@code mallocFreeBytes} the free part of them (freed memory malloc keeps, resident or not),
     * {@code mallocMmapBytes} the blocks mapped one by one; {@code null} where glibc 2.33+ is not there.
     */
    public static java.util.Map<String, Long> mallocCounts() {
        if (!Platform.isLinux() || !Platform.is64Bit()) {
            return null;
        }
        try {
            MallInfo2 m = Native.loadLibrary("c", MallocInfo.class).mallinfo2();
            java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
            out.put("mallocHeapBytes", m.arena);
            out.put("mallocFreeBytes", m.fordblks);
            out.put("mallocMmapBytes", m.hblkhd);
            return out;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null; // not glibc, or older than 2.33
        }
    }

    /** Whether this process runs on gperftools' tcmalloc (preloaded), which {@link #trimMalloc()} then asks. */
    static boolean tcmallocLoaded() {
        return Libc.TCMALLOC_RELEASE != null;
    }

    /**
     * Hands the free memory that glibc's malloc keeps in its arenas back to the operating system
     * ({@code malloc_trim(0)}); the {@link io.github.visionzoo.zoo.train.Trainer} calls it at every epoch end, after
     * validation, checkpoint and charts. Linux/glibc only; elsewhere it does nothing.
     *
     * <p>Why: ND4J's buffers outside workspaces and libnd4j's and oneDNN's temporaries are native allocations of up
     * to tens of MiB. glibc serves the first ones by {@code mmap}, but once such a block is freed it raises its mmap
     * threshold to that size (up to 32 MiB), so from then on they come from the arenas' heaps, and freed memory there
     * stays resident, mostly free, and the heaps grow whenever a temporary fits no free hole. Trimming at epoch ends
     * hands that free memory back, at the cost of faulting the pages in again in the next epoch; it does not bound what
     * grows while memory is in use (ND4J arrays waiting for the garbage collector, the JIT's code) nor the top of a
     * thread's arena heap, which {@code malloc_trim} leaves. {@code MemoryBench} in the examples measures the resident
     * memory over a long run (src/docs/PERFORMANCE.md, "Memory over a long run").
     *
     * <p>Where gperftools' tcmalloc is preloaded, it asks tcmalloc instead to hand back its
     * free pages ({@code MallocExtension_ReleaseFreeMemory}).
     *
     * @return whether a malloc was asked (false where there is neither glibc nor tcmalloc to call)
     */
    public static boolean trimMalloc() {
        com.sun.jna.Function tcmalloc = Libc.TCMALLOC_RELEASE;
        if (tcmalloc != null) {
            tcmalloc.invokeVoid(new Object[0]);
            return true;
        }
        C c = Libc.C_LIBRARY;
        if (c == null) {
            return false;
        }
        try {
            c.malloc_trim(new com.sun.jna.NativeLong(0));
            return true;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false; // not glibc (musl has no malloc_trim)
        }
    }

    /**
     * Sets {@code OMP_WAIT_POLICY=PASSIVE} in the process environment when it is unset (a user's own setting wins).
     *
     * @return whether the variable was set here
     */
    public static boolean preferPassiveWaiting() {
        if (System.getenv(WAIT_POLICY) != null || Platform.isWindows()) {
            return false;
        }
        C c = Libc.C_LIBRARY;
        if (c == null) {
            return false; // no C library to call: keep libgomp's default
        }
        try {
            return c.setenv(WAIT_POLICY, "PASSIVE", 0) == 0;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false; // no C library to call: keep libgomp's default
        }
    }
}
