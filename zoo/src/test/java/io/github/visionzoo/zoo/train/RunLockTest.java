package io.github.visionzoo.zoo.train;

import static io.github.visionzoo.zoo.testing.TrainTestSupport.recipe;
import static io.github.visionzoo.zoo.testing.TrainTestSupport.tinyNet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunLockTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondProcessIsRefusedWithTheHoldersIdUntilTheHolderIsKilled() throws Exception {
        Path run = tmp.resolve("run");
        Process holder = ChildJvm.builder(Holder.class, List.of(), run.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");

            assertThatThrownBy(() -> RunLock.acquire(run))
                    .isInstanceOf(RunLock.InUseException.class)
                    .hasMessageContaining("in use by process " + holder.pid())
                    .hasMessageContaining(run.toString());
            Trainer trainer = new Trainer(run).withConsole(Trainer.Console.QUIET);
            assertThatThrownBy(() -> trainer.fit(tinyNet(4, 16, 3), recipe(1, 3e-3), TrainerTest.train4(),
                    TrainerTest.val4())).isInstanceOf(RunLock.InUseException.class);
            assertThat(new RunDirectory(run).checkpoints()).isEmpty();
        } finally {
            holder.destroyForcibly();
            assertThat(holder.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        // the killed holder's file is left, naming it, but its lock died with it
        assertThat(run.resolve(RunLock.FILE)).content().contains(Long.toString(holder.pid()));
        try (RunLock lock = RunLock.acquire(run)) {
            assertThat(run.resolve(RunLock.FILE)).content().isEqualTo(ProcessHandle.current().pid() + "\n");
            try (RunLock again = RunLock.acquire(run)) {
                assertThat(again).as("this process may take its own lock again").isNotNull();
            }
            assertThat(run.resolve(RunLock.FILE)).as("still held by the outer hold").isNotEmptyFile();
        }
        assertThat(run.resolve(RunLock.FILE)).isEmptyFile();
    }

    /** Holds the lock of the run directory {@code args[0]} until it is killed. */
    public static final class Holder {
        public static void main(String[] args) throws InterruptedException {
            RunLock.acquire(Path.of(args[0]));
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
