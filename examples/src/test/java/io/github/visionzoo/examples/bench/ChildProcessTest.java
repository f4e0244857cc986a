package io.github.visionzoo.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
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
    void theJavaCommandRunsTheSameJvmAndClassPath() {
        List<String> cmd = ChildProcess.javaCommand(ModelBench.class, List.of("--peak"));
        assertThat(cmd.get(0)).endsWith("java");
        assertThat(cmd).contains("-cp", System.getProperty("java.class.path"), ModelBench.class.getName())
                .endsWith("--peak").noneMatch(a -> a.startsWith("-agentlib:jdwp"));
    }
}
