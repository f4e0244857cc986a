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

    /** Peak resident bytes of this process so far, or {@code null} where not available. */
    public static Long peakResidentBytes() {
        return field("VmHWM:");
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
