package io.github.visionzoo.imagenette.bench;

import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.Split;
import io.github.visionzoo.imagenette.SyntheticImagenette;
import io.github.visionzoo.imagenette.transform.Presets;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Loader throughput: images per second through {@link ImagenetteIterator} (decode + augmentation + normalize +
 * NCHW batch as an ND4J array), for one thread (the baseline) and more, written as JSON with each rate as a ratio to
 * the baseline measured in the same run.
 *
 * <pre>
 * ImagenetteBenchmark --data DIR [--split train] [--preset study] [--size 224] [--batch 64] [--batches 30]
 *                     [--warmup 3] [--threads 1,2,4,...] [--out loader-benchmark.json]
 * ImagenetteBenchmark --synthetic DIR [--synthetic-size 320] [--synthetic-train 100] ...
 * </pre>
 * {@code --synthetic DIR} writes (once) a synthetic Imagenette with short side {@code --synthetic-size} and uses it.
 * Needs an ND4J backend on the class path (nd4j-native). Each rate is measured on a fresh iterator after
 * {@code --warmup} batches, over {@code --batches} batches (continuing into the next epoch if needed).
 */
public final class ImagenetteBenchmark {

    private ImagenetteBenchmark() {
    }

    /** One measured configuration. */
    /**
     * One measured configuration.
     *
     * @param cpuMsPerImage process CPU time per image (all threads: loaders, JIT, GC), or -1 where the JVM does not
     *                      report it; unlike the rate, it does not depend on what else the machine is running
     */
    public record Rate(int threads, double imagesPerSecond, long images, double seconds, double cpuMsPerImage) {
    }

    public static void main(String[] args) throws IOException {
        Path data = null;
        Path synthetic = null;
        int syntheticSize = 320;
        int syntheticTrain = 100;
        Split split = Split.TRAIN;
        String preset = Presets.STUDY;
        int size = 224;
        int batch = 64;
        int batches = 30;
        int warmup = 3;
        List<Integer> threads = null;
        Path out = Path.of("loader-benchmark.json");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--data": data = Path.of(need(a, v)); i++; break;
                case "--synthetic": synthetic = Path.of(need(a, v)); i++; break;
                case "--synthetic-size": syntheticSize = Integer.parseInt(need(a, v)); i++; break;
                case "--synthetic-train": syntheticTrain = Integer.parseInt(need(a, v)); i++; break;
                case "--split": split = Split.parse(need(a, v)); i++; break;
                case "--preset": preset = need(a, v); i++; break;
                case "--size": size = Integer.parseInt(need(a, v)); i++; break;
                case "--batch": batch = Integer.parseInt(need(a, v)); i++; break;
                case "--batches": batches = Integer.parseInt(need(a, v)); i++; break;
                case "--warmup": warmup = Integer.parseInt(need(a, v)); i++; break;
                case "--threads":
                    threads = new ArrayList<>();
                    for (String t : need(a, v).split(",")) {
                        threads.add(Integer.parseInt(t.trim()));
                    }
                    i++;
                    break;
                case "--out": out = Path.of(need(a, v)); i++; break;
                case "-h":
                case "--help":
                    usage(0);
                    return;
                default:
                    System.err.println("Unknown option " + a);
                    usage(2);
                    return;
            }
        }
        if ((data == null) == (synthetic == null)) {
            System.err.println("Give exactly one of --data DIR and --synthetic DIR");
            usage(2);
            return;
        }
        if (synthetic != null) {
            data = SyntheticImagenette.builder().imageSize(syntheticSize).trainPerClass(syntheticTrain)
                    .valPerClass(Math.max(1, syntheticTrain / 4)).build().ensure(synthetic);
        }
        if (threads == null) {
            threads = defaultThreads(Runtime.getRuntime().availableProcessors());
        }
        if (threads.isEmpty() || threads.get(0) != 1) {
            threads.add(0, 1);
        }
        List<Rate> rates = new ArrayList<>();
        int images = 0;
        for (int t : threads) {
            try (ImagenetteIterator it = ImagenetteIterator.builder(data).split(split).preset(preset).imageSize(size)
                    .batchSize(batch).threads(t).seed(1).shuffle(true).build()) {
                images = it.dataset().size();
                Rate r = measure(it, t, warmup, batches);
                rates.add(r);
                System.out.printf(Locale.ROOT, "threads %2d: %8.1f images/s (%d images in %.2f s, %.2f ms CPU per image)%n",
                        t, r.imagesPerSecond(), r.images(), r.seconds(), r.cpuMsPerImage());
            }
        }
        String json = toJson(data, split, preset, size, batch, batches, warmup, images, rates, synthetic != null);
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, json, StandardCharsets.UTF_8);
        System.out.println("Wrote " + out);
    }

    /** Thread counts 1, 2, 4, ... up to and including {@code cpus}. */
    static List<Integer> defaultThreads(int cpus) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int t = 1; t <= cpus; t *= 2) {
            s.add(t);
        }
        s.add(cpus);
        return new ArrayList<>(s);
    }

    /** Times {@code batches} batches after {@code warmup} untimed ones. */
    public static Rate measure(ImagenetteIterator it, int threads, int warmup, int batches) {
        for (int i = 0; i < warmup; i++) {
            nextBatch(it);
        }
        long images = 0;
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        for (int i = 0; i < batches; i++) {
            images += nextBatch(it).numExamples();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        long cpu1 = processCpuNanos();
        double cpuMs = cpu0 < 0 || cpu1 < 0 ? -1 : (cpu1 - cpu0) / 1e6 / images;
        return new Rate(threads, images / s, images, s, cpuMs);
    }

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return -1;
    }

    private static DataSet nextBatch(ImagenetteIterator it) {
        if (!it.hasNext()) {
            it.reset();
        }
        return it.next();
    }

    static String toJson(Path data, Split split, String preset, int size, int batch, int batches, int warmup,
                         int images, List<Rate> rates, boolean synthetic) {
        Rate base = rates.get(0);
        StringBuilder sb = new StringBuilder("{\n");
        sb.append("  \"benchmark\": \"datavec-imagenette ImagenetteIterator: decode + augmentation + normalize + batch\",\n");
        sb.append("  \"timestamp\": \"").append(Instant.now()).append("\",\n");
        sb.append("  \"data\": \"").append(esc(data.getFileName() == null ? data.toString() : data.getFileName().toString()))
                .append("\",\n");
        sb.append("  \"synthetic\": ").append(synthetic).append(",\n");
        sb.append("  \"split\": \"").append(split.folder()).append("\",\n");
        sb.append("  \"images_in_split\": ").append(images).append(",\n");
        sb.append("  \"preset\": \"").append(esc(preset)).append("\",\n");
        sb.append("  \"image_size\": ").append(size).append(",\n");
        sb.append("  \"batch_size\": ").append(batch).append(",\n");
        sb.append("  \"batches_timed\": ").append(batches).append(",\n");
        sb.append("  \"warmup_batches\": ").append(warmup).append(",\n");
        sb.append("  \"cpus\": ").append(Runtime.getRuntime().availableProcessors()).append(",\n");
        sb.append("  \"java\": \"").append(esc(System.getProperty("java.version"))).append("\",\n");
        sb.append("  \"os\": \"").append(esc(System.getProperty("os.name") + " " + System.getProperty("os.arch")))
                .append("\",\n");
        sb.append("  \"baseline\": {\"threads\": 1, \"images_per_s\": ").append(fmt(base.imagesPerSecond()))
                .append("},\n");
        sb.append("  \"results\": [\n");
        for (int i = 0; i < rates.size(); i++) {
            Rate r = rates.get(i);
            sb.append("    {\"threads\": ").append(r.threads())
                    .append(", \"images_per_s\": ").append(fmt(r.imagesPerSecond()))
                    .append(", \"ratio_to_baseline\": ").append(fmt(r.imagesPerSecond() / base.imagesPerSecond()))
                    .append(", \"images\": ").append(r.images())
                    .append(", \"seconds\": ").append(fmt(r.seconds()))
                    .append(", \"cpu_ms_per_image\": ").append(fmt(r.cpuMsPerImage()))
                    .append("}").append(i + 1 < rates.size() ? "," : "").append("\n");
        }
        sb.append("  ]\n}\n");
        return sb.toString();
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.3f", d);
    }

    private static String esc(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String need(String opt, String v) {
        if (v == null) {
            throw new IllegalArgumentException(opt + " needs a value");
        }
        return v;
    }

    private static void usage(int code) {
        System.err.println("usage: ImagenetteBenchmark (--data DIR | --synthetic DIR [--synthetic-size 320]"
                + " [--synthetic-train 100]) [--split train] [--preset study] [--size 224] [--batch 64]"
                + " [--batches 30] [--warmup 3] [--threads 1,2,4] [--out loader-benchmark.json]");
        if (code != 0) {
            System.exit(code);
        }
    }
}
