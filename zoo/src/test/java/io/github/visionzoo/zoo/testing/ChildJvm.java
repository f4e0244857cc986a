package io.github.visionzoo.zoo.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A JVM of its own for what a test cannot do in its own process: a malloc or its settings are chosen when a process
 * starts, a lock must be held by another process. It runs a main class of the test class path with this JVM's java.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** The command that runs {@code mainClass} with {@code jvmOptions} and {@code args} on this class path. */
    public static ProcessBuilder builder(Class<?> mainClass, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    /**
     * Runs {@code mainClass} to its end with {@code env} added to this environment and returns its output, stdout
     * and stderr together.
     *
     * @throws AssertionError if it does not end within {@code timeoutSeconds} or ends with a non-zero status
     */
    public static String run(Class<?> mainClass, Map<String, String> env, List<String> jvmOptions,
                             long timeoutSeconds, String... args) throws IOException, InterruptedException {
        ProcessBuilder pb = builder(mainClass, jvmOptions, args).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path log = Files.createTempFile("child-jvm", ".log");
        try {
            Process p = pb.redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(mainClass.getSimpleName() + " did not end within " + timeoutSeconds
                        + " s:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(mainClass.getSimpleName() + " ended with " + p.exitValue() + ":\n" + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * The minor page faults so far of this process's threads that run Java code and native work: those that keep the
     * launcher's name ({@code java}: the main thread and the threads libnd4j's and oneDNN's OpenMP start), not the
     * JVM's compiler, collector and service threads, which name themselves (Linux, {@code /proc/self/task}).
     */
    public static long workerMinorFaults() throws IOException {
        long faults = 0;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException ended) {
                    continue;
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.equals("java")) {
                    faults += minorFaults(stat);
                }
            }
        }
        return faults;
    }

    /** The calling thread's minor page faults so far ({@code /proc/thread-self/stat}; Linux). */
    public static long threadMinorFaults() throws IOException {
        return minorFaults(Files.readString(Path.of("/proc/thread-self/stat")));
    }

    /** Field 10 of a {@code stat} line. */
    private static long minorFaults(String stat) {
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[7]);
    }
}
