package io.github.visionzoo.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a benchmark program in a process of its own and reads the JSON object it prints on its last line of standard
 * output: a JVM like this one for visionzoo's {@link ModelBench}, or Python for the PyTorch reference. One process
 * at a time, each waited for, so that measurements never share the machine.
 */
public final class ChildProcess {
    /** What a child left: its exit code, its JSON result (or {@code null}), and an error message (or {@code null}). */
    public record Outcome(int exitCode, Map<String, Object> result, String error) {
        public boolean ok() {
            return error == null;
        }

        /**
         * Whether the child died of a signal (Java gives 128 + its number; a JVM that crashes in native code aborts,
         * 134) rather than ending with an exit code of its own.
         */
        public boolean crashed() {
            return exitCode > 128;
        }
    }

    private ChildProcess() {
    }

    /**
     * The command that runs {@code mainClass} with {@code args} in a JVM like this one: the same {@code java}
     * ({@code java.home}), class path and JVM options (heap size, system properties; a debugger agent is left out).
     */
    public static List<String> javaCommand(Class<?> mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!option.startsWith("-agentlib:jdwp") && !option.startsWith("-Xrunjdwp")) {
                cmd.add(option);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        return cmd;
    }

    /**
     * The command that runs {@code jar} with {@code args} in this JVM's {@code java}, with none of this JVM's options:
     * a program of its own, such as the libtorch peer. A crash of the JVM in native code leaves its report
     * ({@code hs_err}) in the temporary folder, not in the working directory.
     */
    public static List<String> jarCommand(Path jar, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:ErrorFile=" + Path.of(System.getProperty("java.io.tmpdir"), "hs_err_pid%p.log"));
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Runs {@code command} to its end and reads the last line of its standard output that is a JSON object. The
     * outcome is an error when the process cannot start ({@link IOException}), exits with a non-zero code, prints no
     * JSON, or prints an object with an {@code error} field; the message then ends with the last lines of its
     * standard error.
     */
    public static Outcome run(List<String> command) throws IOException {
        return run(command, Map.of());
    }

    /** {@link #run(List)} with {@code environment} added to this process's environment (its entries win). */
    public static Outcome run(List<String> command, Map<String, String> environment) throws IOException {
        Path stdout = Files.createTempFile("visionzoo-bench-", ".out");
        Path stderr = Files.createTempFile("visionzoo-bench-", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
            builder.environment().putAll(environment);
            Process p = builder.start();
            int code;
            try {
                code = p.waitFor();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + command.get(0), e);
            }
            String out = Files.readString(stdout, StandardCharsets.UTF_8);
            Map<String, Object> result = lastJsonObject(out);
            String tail = tail(Files.readString(stderr, StandardCharsets.UTF_8), 6);
            String error = null;
            String crash = jvmCrash(out);
            if (result != null && result.get("error") != null) {
                error = String.valueOf(result.get("error"));
            } else if (crash != null) {
                error = "crashed: " + crash;
            } else if (code > 128) {
                error = "killed by signal " + (code - 128) + signalName(code - 128)
                        + (code == 137 ? " (out of memory?)" : "");
            } else if (code != 0) {
                error = "exit code " + code;
            } else if (result == null) {
                error = "no JSON result on its standard output";
            }
            if (error != null && !tail.isEmpty()) {
                error += "; stderr: " + tail;
            }
            return new Outcome(code, result, error);
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    private static final Map<Integer, String> SIGNALS = Map.of(4, "SIGILL", 6, "SIGABRT", 7, "SIGBUS", 8, "SIGFPE",
            9, "SIGKILL", 11, "SIGSEGV", 15, "SIGTERM");

    private static String signalName(int signal) {
        return SIGNALS.containsKey(signal) ? " (" + SIGNALS.get(signal) + ")" : "";
    }

    /**
     * What a JVM that crashed in native code says on its standard output, e.g. {@code SIGFPE (0x8) at pc=0x7f..., pid=1,
     * tid=2; problematic frame: C  [libtorch_cpu.so+0x4b1c2d0]}, or {@code null} if it did not crash.
     */
    static String jvmCrash(String stdout) {
        List<String> lines = List.of(stdout.split("\\R"));
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("# A fatal error has been detected by the Java Runtime Environment")) {
                start = i;
                break;
            }
        }
        if (start < 0) {
            return null;
        }
        String signal = null;
        String frame = null;
        for (int i = start + 1; i < lines.size() && lines.get(i).startsWith("#"); i++) {
            String line = lines.get(i).substring(1).strip();
            if (signal == null && line.matches("[A-Z_]+ \\(0x\\p{XDigit}+\\).*")) {
                signal = line;
            } else if (line.equals("Problematic frame:") && i + 1 < lines.size()) {
                frame = lines.get(i + 1).substring(1).strip();
            }
        }
        return (signal == null ? "the JVM died" : signal) + (frame == null ? "" : "; problematic frame: " + frame);
    }

    /** The last line of {@code text} that parses as a JSON object, or {@code null}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> lastJsonObject(String text) {
        String[] lines = text.split("\\R");
        for (int i = lines.length - 1; i >= 0; i--) {
            String line = lines[i].trim();
            if (line.startsWith("{") && line.endsWith("}")) {
                try {
                    return new ObjectMapper().readValue(line, LinkedHashMap.class);
                } catch (IOException e) {
                    // not JSON after all: keep looking
                }
            }
        }
        return null;
    }

    /** The last {@code n} non-blank lines that are not stack frames, joined with " | ". */
    static String tail(String text, int n) {
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\\R")) {
            String s = line.strip();
            if (!s.isEmpty() && !s.startsWith("at ") && !(s.startsWith("...") && s.endsWith("more"))) {
                lines.add(line.strip());
            }
        }
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}
