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
     * The timed steps of {@link #measure}: their median seconds, the minor page faults per step (each a page the
     * kernel had to map and zero, mostly for memory malloc took from it afresh) and the share of the process's CPU
     * time that the kernel spent; the last two {@code null} where {@code /proc/self/stat} is missing.
     */
    public record Measured(double medianSeconds, Double minorFaultsPerStep, Double systemCpuShare) {
    }

    /** {@code timed} runs of {@code step} after {@code warmup} untimed ones. */
    public static Measured measure(int warmup, int timed, Runnable step) {
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        double[] seconds = new double[timed];
        long[] before = ProcessMemory.counters();
        for (int i = 0; i < timed; i++) {
            long t0 = System.nanoTime();
            step.run();
            seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        long[] after = ProcessMemory.counters();
        Double faults = null;
        Double system = null;
        if (before != null && after != null) {
            faults = (after[0] - before[0]) / (double) timed;
            long user = after[1] - before[1];
            long sys = after[2] - before[2];
            system = user + sys == 0 ? 0.0 : sys / (double) (user + sys);
        }
        return new Measured(median(seconds), faults, system);
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
