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
}
