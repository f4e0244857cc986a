package io.github.visionzoo.examples.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import io.github.visionzoo.zoo.AtomicFiles;
import io.github.visionzoo.zoo.Json;

/** The measuring rules shared by visionzoo's benchmarks: warm-up steps, then the median of timed steps. */
public final class Timing {
    private Timing() {
    }

    /** Median seconds of {@code timed} runs of {@code step} after {@code warmup} untimed ones. */
    public static double medianSeconds(int warmup, int timed, Runnable step) {
        return measure(warmup, timed, step).medianSeconds();
    }

    /**
     * The timed steps of {@link #measure}: their median seconds, the median of their minor page faults (each a page
     * the kernel had to map and zero, mostly for memory that malloc took from it afresh) and the median share of
     * their CPU time spent in the kernel; the last two {@code null} where {@code /proc/self/stat} is missing.
     * Medians, like the time, so that the steps in which DL4J's workspaces still learn their sizes do not count.
     */
    public record Measured(double medianSeconds, Double minorFaultsPerStep, Double systemCpuShare) {
    }

    /** {@code timed} runs of {@code step} after {@code warmup} untimed ones. */
    public static Measured measure(int warmup, int timed, Runnable step) {
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        double[] seconds = new double[timed];
        double[] faults = new double[timed];
        double[] system = new double[timed];
        boolean counted = true;
        for (int i = 0; i < timed; i++) {
            long[] before = ProcessMemory.counters();
            long t0 = System.nanoTime();
            step.run();
            seconds[i] = (System.nanoTime() - t0) / 1e9;
            long[] after = ProcessMemory.counters();
            counted &= before != null && after != null;
            if (counted) {
                faults[i] = after[0] - before[0];
                long cpu = after[1] - before[1] + after[2] - before[2];
                system[i] = cpu == 0 ? 0 : (after[2] - before[2]) / (double) cpu;
            }
        }
        return new Measured(median(seconds), counted ? median(faults) : null, counted ? median(system) : null);
    }

    /** The median of {@code values} (sorted in place), the mean of the middle two for an even count; NaN for none. */
    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(values);
        int n = values.length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /** Writes a results object as JSON, atomically. */
    public static void writeResults(Path file, Map<String, Object> results) throws IOException {
        AtomicFiles.writeString(file, Json.write(results));
    }
}
