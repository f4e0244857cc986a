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
            Map<String, Object> result = lastJsonObject(Files.readString(stdout, StandardCharsets.UTF_8));
            String tail = tail(Files.readString(stderr, StandardCharsets.UTF_8), 6);
            String error = null;
            if (result != null && result.get("error") != null) {
                error = String.valueOf(result.get("error"));
            } else if (code != 0) {
                error = "exit code " + code + (code == 137 ? " (killed: out of memory?)" : "");
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
