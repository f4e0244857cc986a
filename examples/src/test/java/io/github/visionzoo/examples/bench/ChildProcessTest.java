package io.github.visionzoo.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChildProcessTest {
    @Test
    void readsTheLastJsonLine() throws Exception {
        ChildProcess.Outcome o = ChildProcess.run(List.of("sh", "-c",
                "echo 'log line'; echo '{\"a\": 1}'; echo '{\"a\": 2, \"b\": \"x\"}'; echo 'done' >&2"));
        assertThat(o.ok()).as(o.error()).isTrue();
        assertThat(o.result()).containsEntry("a", 2).containsEntry("b", "x");
    }

    @Test
    void aFailureKeepsTheMessageWithoutStackFrames() throws Exception {
        ChildProcess.Outcome o = ChildProcess.run(List.of("sh", "-c", "echo 'Exception in thread \"main\" "
                + "java.lang.OutOfMemoryError: Java heap space' >&2; echo '\tat a.b.C(C.java:1)' >&2; exit 3"));
        assertThat(o.ok()).isFalse();
        assertThat(o.exitCode()).isEqualTo(3);
        assertThat(o.error()).contains("exit code 3", "OutOfMemoryError: Java heap space").doesNotContain("C.java");
    }

    @Test
    void anErrorFieldIsAFailureEvenWithExitCodeZero() throws Exception {
        ChildProcess.Outcome o = ChildProcess.run(List.of("sh", "-c", "echo '{\"error\": \"boom\"}'"));
        assertThat(o.ok()).isFalse();
        assertThat(o.error()).startsWith("boom");
        ChildProcess.Outcome none = ChildProcess.run(List.of("sh", "-c", "echo 'no json'"));
        assertThat(none.error()).contains("no JSON result");
    }

    @Test
    void theChildGetsTheExtraEnvironment() throws Exception {
        ChildProcess.Outcome o = ChildProcess.run(List.of("sh", "-c", "echo \"{\\\"v\\\": \\\"$VZ_CHILD_TEST\\\"}\""),
                Map.of("VZ_CHILD_TEST", "from the parent"));
        assertThat(o.ok()).as(o.error()).isTrue();
        assertThat(o.result()).containsEntry("v", "from the parent");
    }

    @Test
    void allocatorNamesAPreloadedMallocFromTheMaps() {
        String glibc = "7f00-7f01 r-xp 00000000 08:01 12 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
                + "7f02-7f03 rw-p 00000000 00:00 0 [heap]\n";
        assertThat(MachineInfo.allocatorIn(glibc)).isEqualTo("system");
        assertThat(MachineInfo.allocatorIn(glibc + "7f04-7f05 r-xp 00000000 08:01 13 "
                + "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10\n")).isEqualTo("libtcmalloc_minimal.so.4.5.10");
        assertThat(MachineInfo.allocator()).isNotBlank();
    }

    @Test
    void theJavaCommandRunsTheSameJvmAndClassPath() {
        List<String> cmd = ChildProcess.javaCommand(ModelBench.class, List.of("--peak"));
        assertThat(cmd.get(0)).endsWith("java");
        assertThat(cmd).contains("-cp", System.getProperty("java.class.path"), ModelBench.class.getName())
                .endsWith("--peak").noneMatch(a -> a.startsWith("-agentlib:jdwp"));
    }
}
