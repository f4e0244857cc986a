package io.github.visionzoo.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Library;
import com.sun.jna.Native;
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
}
