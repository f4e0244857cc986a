package io.github.visionzoo.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * This process's resident memory as Linux reports it in {@code /proc/self/status}: {@code VmRSS} (now) and
 * {@code VmHWM} (the peak, "high water mark"), which count the JVM's heap, ND4J's off-heap buffers and the native
 * libraries alike. Elsewhere both are {@code null}.
 */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /** Resident bytes now, or {@code null} where {@code /proc/self/status} is not available. */
    public static Long residentBytes() {
        return field("VmRSS:");
    }

    /**
     * This process's minor page faults and its user and system CPU time in clock ticks, from {@code /proc/self/stat}
     * (fields 10, 14 and 15), or {@code null} where it is not available.
     */
    public static long[] counters() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // the command name (field 2) is in brackets and may hold spaces: count fields after its closing one
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            return new long[] {Long.parseLong(f[7]), Long.parseLong(f[11]), Long.parseLong(f[12])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Peak resident bytes of this process so far, or {@code null} where not available. */
    public static Long peakResidentBytes() {
        return field("VmHWM:");
    }

    /**
     * Starts a new peak: Linux resets {@code VmHWM} to the current resident memory when 5 is written to
     * {@code /proc/self/clear_refs} (Linux 4.0 and later).
     *
     * @return whether the peak was reset
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** glibc malloc's own counts ({@link io.github.visionzoo.zoo.CpuThreads#mallocCounts()}), or {@code null}. */
    public static java.util.Map<String, Long> malloc() {
        return io.github.visionzoo.zoo.CpuThreads.mallocCounts();
    }

    private static Long field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    long value = Long.parseLong(parts[0]);
                    return parts.length > 1 && parts[1].toLowerCase(Locale.ROOT).equals("kb") ? value * 1024 : value;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}
