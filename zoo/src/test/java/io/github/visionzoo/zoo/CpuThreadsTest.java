package io.github.visionzoo.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import io.github.visionzoo.zoo.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuThreadsTest {
    private interface C extends Library {
        String getenv(String name);
    }

    @Test
    void setsPassiveWaitingInTheNativeEnvironmentUnlessTheUserChose() {
        C c = Native.loadLibrary("c", C.class);
        boolean set = CpuThreads.preferPassiveWaiting();
        if (System.getenv(CpuThreads.WAIT_POLICY) == null) {
            assertThat(set).isTrue();
            assertThat(c.getenv(CpuThreads.WAIT_POLICY)).isEqualTo("PASSIVE");
        } else {
            assertThat(set).isFalse();
            assertThat(c.getenv(CpuThreads.WAIT_POLICY)).isEqualTo(System.getenv(CpuThreads.WAIT_POLICY));
        }
    }

    @Test
    void flushesSubnormalsToZeroOnLinuxX86() {
        boolean set = CpuThreads.flushDenormalsToZero();
        if (com.sun.jna.Platform.isLinux() && com.sun.jna.Platform.isIntel() && com.sun.jna.Platform.is64Bit()) {
            assertThat(set).isTrue();
            assertThat(CpuThreads.mxcsr() & 0x8040).isEqualTo(0x8040);
            // a native op on a subnormal input now sees zero (denormals-are-zero)
            org.nd4j.linalg.api.ndarray.INDArray tiny = org.nd4j.linalg.factory.Nd4j.createFromArray(1e-40f, 1f);
            assertThat(tiny.mul(1.0f).getFloat(0)).isEqualTo(0f);
        } else {
            assertThat(set).isFalse();
        }
    }

    @Test
    void picksOpenBlasKernelsFromTheCpuFlags() {
        assertThat(CpuThreads.openBlasCoreType("processor : 0\nflags : fpu sse2 avx2 fma avx512f avx512dq avx512bw"
                + " avx512vl\n")).isEqualTo("SkylakeX");
        assertThat(CpuThreads.openBlasCoreType("flags\t\t: fpu sse2 avx avx2 fma\n")).isEqualTo("Haswell");
        assertThat(CpuThreads.openBlasCoreType("flags : fpu sse2 avx\n")).isNull();
        assertThat(CpuThreads.openBlasCoreType("")).isNull();
    }

    @Test
    void capsMallocArenasOnLinuxUnlessTheUserChose() {
        boolean set = CpuThreads.limitMallocArenas();
        assertThat(set).isEqualTo(com.sun.jna.Platform.isLinux() && System.getenv("MALLOC_ARENA_MAX") == null);
    }

    /** The bytes that a block of {@code bytes} adds to glibc's mapped blocks while it is allocated. */
    private static long mappedBytesOf(long bytes) {
        long before = CpuThreads.mallocCounts().get("mallocMmapBytes");
        long block = com.sun.jna.Native.malloc(bytes);
        try {
            return CpuThreads.mallocCounts().get("mallocMmapBytes") - before;
        } finally {
            com.sun.jna.Native.free(block);
        }
    }

    @Test
    void mapsBlocksOfFourMebibytesAndMoreOnTheirOwnOnGlibc() throws Exception {
        boolean glibc = com.sun.jna.Platform.isLinux() && hasFunction("mallinfo2");
        boolean userChose = System.getenv("MALLOC_MMAP_THRESHOLD_") != null
                || String.valueOf(System.getenv("GLIBC_TUNABLES")).contains("glibc.malloc.");
        assertThat(CpuThreads.mapLargeBlocks()).isEqualTo(glibc && !userChose);
        assertThat(CpuThreads.mapLargeBlocks()).as("idempotent").isEqualTo(glibc && !userChose);
        assumeTrue(glibc && !userChose, "glibc with its own threshold here");
        // in a fresh process, so that no free chunk of this one's heap serves the blocks
        String out = ChildJvm.run(MappedBlocks.class, Map.of(), List.of(), 60);
        String[] mapped = out.lines().filter(l -> l.startsWith("mapped ")).findFirst().orElseThrow().split(" ");
        // glibc alone would have raised its threshold to 16 MiB when the first block was freed
        assertThat(Long.parseLong(mapped[1])).as(out).isGreaterThanOrEqualTo(8L << 20);
        assertThat(Long.parseLong(mapped[2])).as("below the threshold: from the heap").isZero();
    }

    /** Frees a mapped 16 MiB block, then prints the bytes that blocks of 8 MiB and 1 MiB add to the mapped ones. */
    public static final class MappedBlocks {
        public static void main(String[] args) {
            CpuThreads.mapLargeBlocks();
            com.sun.jna.Native.free(com.sun.jna.Native.malloc(16L << 20));
            System.out.println("mapped " + mappedBytesOf(8L << 20) + " " + mappedBytesOf(1L << 20));
        }
    }

    @Test
    void aFreedBlockBelowTheMmapThresholdStaysForTheNextOneOnGlibc() throws Exception {
        boolean glibc = com.sun.jna.Platform.isLinux() && hasFunction("mallopt");
        boolean userChose = System.getenv("MALLOC_MMAP_THRESHOLD_") != null
                || System.getenv("MALLOC_TRIM_THRESHOLD_") != null
                || String.valueOf(System.getenv("GLIBC_TUNABLES")).contains("glibc.malloc.");
        assumeTrue(glibc && !userChose, "glibc with its own thresholds here");
        String out = ChildJvm.run(ReusedBlocks.class, Map.of(), List.of(), 60);
        long faults = Long.parseLong(out.lines().filter(l -> l.startsWith("faults ")).findFirst().orElseThrow()
                .substring("faults ".length()));
        // 20 rounds of a 4.5 MiB block: 1152 pages each if the heap's top were handed back after each free
        assertThat(faults).as(out).isLessThan(1152);
    }

    /**
     * Takes, touches and frees a block the size of oneDNN's packing buffer 20 times on this thread after a first
     * round, and prints this thread's minor page faults in those rounds.
     */
    public static final class ReusedBlocks {
        public static void main(String[] args) throws Exception {
            CpuThreads.mapLargeBlocks();
            long size = 9L << 19;
            touchAndFree(size);
            long before = ChildJvm.threadMinorFaults();
            for (int i = 0; i < 20; i++) {
                touchAndFree(size);
            }
            System.out.println("faults " + (ChildJvm.threadMinorFaults() - before));
        }

        private static void touchAndFree(long size) {
            long address = Native.malloc(size);
            new com.sun.jna.Pointer(address).setMemory(0, size, (byte) 1);
            Native.free(address);
        }
    }

    @Test
    void trimmingHandsFreedMallocMemoryBackOnGlibc() throws Exception {
        boolean glibc = com.sun.jna.Platform.isLinux() && hasFunction("malloc_trim");
        if (!glibc) {
            assertThat(CpuThreads.trimMalloc()).isFalse();
            return;
        }
        // 64 MiB of 64 KiB blocks from malloc's heap, touched; one block per MiB stays allocated so that the freed
        // ones are holes that free() itself never returns, only malloc_trim does
        int blocks = 1024;
        long size = 64 * 1024;
        long[] addresses = new long[blocks];
        for (int i = 0; i < blocks; i++) {
            addresses[i] = Native.malloc(size);
            new com.sun.jna.Pointer(addresses[i]).setMemory(0, size, (byte) 1);
        }
        for (int i = 0; i < blocks; i++) {
            if (i % 16 != 15) {
                Native.free(addresses[i]);
            }
        }
        long before = residentKib();
        assertThat(CpuThreads.trimMalloc()).isTrue();
        long after = residentKib();
        for (int i = 15; i < blocks; i += 16) {
            Native.free(addresses[i]);
        }
        assertThat(before - after).as("resident KiB released by malloc_trim").isGreaterThan(32 * 1024);
    }

    /** Where Debian's libtcmalloc-minimal4 puts gperftools' tcmalloc. */
    private static final Path TCMALLOC = Path.of("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4");

    @Test
    void trimmingAsksTcmallocWhereItIsPreloaded() throws Exception {
        assumeTrue(com.sun.jna.Platform.isLinux() && Files.exists(TCMALLOC), "gperftools' tcmalloc is not installed");
        // a JVM of its own, since a process's malloc is chosen when it starts
        String out = ChildJvm.run(TrimProbe.class, Map.of("LD_PRELOAD", TCMALLOC.toString()), List.of(), 60);
        assertThat(out).contains("tcmalloc true", "trimmed true");
    }

    /** Run with tcmalloc preloaded by {@link #trimmingAsksTcmallocWhereItIsPreloaded()}. */
    public static final class TrimProbe {
        public static void main(String[] args) {
            System.out.println("tcmalloc " + CpuThreads.tcmallocLoaded());
            System.out.println("trimmed " + CpuThreads.trimMalloc());
        }
    }

    private static boolean hasFunction(String name) {
        try {
            com.sun.jna.NativeLibrary.getInstance("c").getFunction(name);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    private static long residentKib() throws java.io.IOException {
        return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("VmRSS:")).mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                .findFirst().orElseThrow();
    }
}
