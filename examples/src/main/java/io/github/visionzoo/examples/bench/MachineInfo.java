package io.github.visionzoo.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a benchmark result needs to say about the machine it ran on. */
public final class MachineInfo {
    private MachineInfo() {
    }

    /**
     * Cores as the JVM sees them, the CPU model ({@code /proc/cpuinfo}'s first {@code model name}, {@code null}
     * elsewhere), total memory where Linux reports it, the OS, the Java version and {@code OPENBLAS_CORETYPE} if set.
     * Loads nothing native.
     */
    public static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpuModel", cpuModel());
        m.put("memoryBytes", memTotalBytes());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        // OpenBLAS picks its kernels from the CPU model; on some virtual CPUs it falls back to a slow generic one,
        // which this variable overrides (e.g. SkylakeX); recorded because it changes every BLAS figure
        m.put("openblasCoretype", System.getenv("OPENBLAS_CORETYPE"));
        return m;
    }

    static String cpuModel() {
        return firstValue(Path.of("/proc/cpuinfo"), "model name");
    }

    static Long memTotalBytes() {
        String kb = firstValue(Path.of("/proc/meminfo"), "MemTotal");
        try {
            return kb == null ? null : Long.parseLong(kb.replace("kB", "").trim()) * 1024;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String firstValue(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                    return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /**
     * The malloc this process runs on: the file name of a tcmalloc, jemalloc or mimalloc mapped into it (preloaded
     * with {@code LD_PRELOAD}), else {@code "system"}; {@code "unknown"} where {@code /proc/self/maps} cannot be read.
     */
    public static String allocator() {
        try {
            return allocatorIn(Files.readString(Path.of("/proc/self/maps")));
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** {@link #allocator()} for the text of a {@code /proc/PID/maps} file. */
    static String allocatorIn(String maps) {
        for (String line : maps.split("\\R")) {
            int slash = line.lastIndexOf('/');
            String file = slash < 0 ? "" : line.substring(slash + 1).strip();
            if (file.startsWith("libtcmalloc") || file.startsWith("libjemalloc") || file.startsWith("libmimalloc")) {
                return file;
            }
        }
        return "system";
    }

    /** The folder (= classifier) that ND4J's native library was loaded from, e.g. linux-x86_64-onednn-avx512. */
    public static String loadedNatives() {
        return HelpersBench.loadedNatives();
    }
}
