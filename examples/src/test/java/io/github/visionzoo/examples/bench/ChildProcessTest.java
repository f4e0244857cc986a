package io.github.visionzoo.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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
    void aSignalIsNamedAndCountsAsACrash() throws Exception {
        ChildProcess.Outcome o = ChildProcess.run(List.of("sh", "-c", "kill -FPE $$"));
        assertThat(o.crashed()).isTrue();
        assertThat(o.error()).startsWith("killed by signal 8 (SIGFPE)");
        assertThat(ChildProcess.run(List.of("sh", "-c", "exit 3")).crashed()).isFalse();
    }

    @Test
    void aJvmThatCrashedInNativeCodeIsReadFromItsReport() throws Exception {
        // what HotSpot prints on standard output before it aborts (exit code 134)
        String report = "#\n# A fatal error has been detected by the Java Runtime Environment:\n#\n"
                + "#  SIGFPE (0x8) at pc=0x00007f3a2c4b1c2d, pid=4242, tid=4243\n#\n"
                + "# JRE version: OpenJDK Runtime Environment (17.0.15+6)\n# Problematic frame:\n"
                + "# C  [libtorch_cpu.so+0x4b1c2d]  dnnl::impl::cpu::x64::brgemm_convolution_bwd\n#\n";
        Path file = Files.writeString(Files.createTempFile("visionzoo-crash", ".txt"), report);
        try {
            ChildProcess.Outcome o = ChildProcess.run(List.of("sh", "-c", "cat " + file + "; kill -ABRT $$"));
            assertThat(o.crashed()).isTrue();
            assertThat(o.error()).startsWith("crashed: SIGFPE (0x8) at pc=0x00007f3a2c4b1c2d, pid=4242, tid=4243; "
                    + "problematic frame: C  [libtorch_cpu.so+0x4b1c2d]  dnnl::impl::cpu::x64::brgemm_convolution_bwd");
        } finally {
            Files.delete(file);
        }
        assertThat(ChildProcess.jvmCrash("{\"a\": 1}")).isNull();
    }

    @Test
    void theJarCommandKeepsCrashReportsOutOfTheWorkingDirectory() {
        List<String> cmd = ChildProcess.jarCommand(Path.of("peer.jar"), List.of("--peak"));
        assertThat(cmd.get(0)).endsWith("java");
        assertThat(cmd.get(1)).startsWith("-XX:ErrorFile=" + System.getProperty("java.io.tmpdir"));
        assertThat(cmd.subList(2, cmd.size())).containsExactly("-jar", "peer.jar", "--peak");
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
