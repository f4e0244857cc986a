package io.github.visionzoo.examples.bench;

import io.github.visionzoo.zoo.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The results of {@code visionzoo-examples bench}: the rates derived from a measurement (achieved GFLOP/s, share of
 * the machine's peak), the visionzoo / PyTorch ratios, and the Markdown table written beside the JSON file.
 *
 * <p>Achieved GFLOP/s count the forward FLOPs of {@link io.github.visionzoo.zoo.ModelFlops} per image: inference
 * {@code forward x images/s}, training {@code 3 x forward x images/s} (the backward pass is taken as twice the
 * forward). The machine's peak is the fastest of the float32 matrix-product probes (ND4J's, PyTorch's, libtorch's).
 *
 * <p>The libtorch peer measures each phase in a process of its own ({@link #peerMeasurement}), in one or more
 * variants (stock, {@code THP_MEM_ALLOC_ENABLE=1}, the graph executor's optimizer off); visionzoo's figures are
 * compared with its best variant per metric ({@link #libtorchRatios}), and its training with its forward and backward
 * pass alone: DJL's AdamW step, timed apart, is DJL's cost more than libtorch's.
 *
 * <p>With several rounds per model ({@link #combineRounds}) each figure of a row is the median over its rounds, and a
 * ratio the median of the rounds' own ratios with their range: each round's visionzoo and PyTorch ran back to back, so
 * a round's ratio is the fairest comparison the noisy machine allows.
 */
public final class BenchReport {
    /** The field of a framework's entry that says why it has no such model (timm's DaViT without a timm clone). */
    public static final String NO_REFERENCE = "noReference";

    private BenchReport() {
    }

    /** The machine's peak GFLOP/s: the faster of the probes that succeeded, {@code null} if none did. */
    public static Double machinePeak(Map<String, Object> peak) {
        Double best = null;
        for (Object probe : peak.values()) {
            if (probe instanceof Map<?, ?> m && m.get("matmulGflops") instanceof Number n) {
                best = best == null ? n.doubleValue() : Math.max(best, n.doubleValue());
            }
        }
        return best;
    }

    /**
     * A framework's entry of a model's row: the child's result with the derived rates, or {@code {"error": ...}}.
     *
     * @param flops forward FLOPs per image
     * @param peak  the machine's peak GFLOP/s, or {@code null}
     */
    public static Map<String, Object> measurement(ChildProcess.Outcome outcome, long flops, Double peak) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (!outcome.ok()) {
            m.put("error", outcome.error());
            return m;
        }
        m.putAll(outcome.result());
        Double train = number(m, "trainImagesPerSecond");
        Double infer = number(m, "inferenceImagesPerSecond");
        Double trainGflops = train == null ? null : 3 * flops / 1e9 * train;
        Double inferGflops = infer == null ? null : flops / 1e9 * infer;
        m.put("trainGflopPerSecond", trainGflops);
        m.put("inferenceGflopPerSecond", inferGflops);
        m.put("trainShareOfPeak", share(trainGflops, peak));
        m.put("inferenceShareOfPeak", share(inferGflops, peak));
        return m;
    }

    /** A framework's entry of a model's row when it has no such model, with the reason: not a failure. */
    public static Map<String, Object> noReference(String reason) {
        return Map.of(NO_REFERENCE, reason);
    }

    private static Double share(Double gflops, Double peak) {
        return gflops == null || peak == null || peak <= 0 ? null : gflops / peak;
    }

    /**
     * The libtorch peer's entry for one variant: its training process's result and its inference process's, with the
     * derived rates of {@link #measurement} (and the forward and backward pass's GFLOP/s and share of peak, counted as
     * training's). A phase that failed leaves {@code trainError} or {@code inferenceError} beside the other's figures;
     * the peak resident memory is the larger of the two processes'; {@code error} only when both failed.
     */
    public static Map<String, Object> peerMeasurement(ChildProcess.Outcome train, ChildProcess.Outcome inference,
                                                      long flops, Double peak) {
        if (!train.ok() && !inference.ok()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("error", train.error().equals(inference.error()) ? train.error()
                    : "train: " + train.error() + "; inference: " + inference.error());
            return m;
        }
        Map<String, Object> merged = new LinkedHashMap<>();
        Double trainRss = null;
        Double inferenceRss = null;
        if (train.ok()) {
            merged.putAll(train.result());
            trainRss = number(train.result(), "peakRssBytes");
        }
        if (inference.ok()) {
            for (Map.Entry<String, Object> e : inference.result().entrySet()) {
                merged.putIfAbsent(e.getKey(), e.getValue());
            }
            merged.put("inferenceImagesPerSecond", inference.result().get("inferenceImagesPerSecond"));
            merged.put("inferenceStepSeconds", inference.result().get("inferenceStepSeconds"));
            merged.put("inferenceMinorFaultsPerStep", inference.result().get("inferenceMinorFaultsPerStep"));
            inferenceRss = number(inference.result(), "peakRssBytes");
        }
        merged.remove("phase");
        merged.put("trainPeakRssBytes", trainRss);
        merged.put("inferencePeakRssBytes", inferenceRss);
        merged.put("peakRssBytes", trainRss == null ? inferenceRss : inferenceRss == null ? trainRss
                : Math.max(trainRss, inferenceRss));
        if (!train.ok()) {
            merged.put("trainError", train.error());
        }
        if (!inference.ok()) {
            merged.put("inferenceError", inference.error());
        }
        Map<String, Object> m = measurement(new ChildProcess.Outcome(0, merged, null), flops, peak);
        Double forwardBackward = number(m, "forwardBackwardImagesPerSecond");
        Double gflops = forwardBackward == null ? null : 3 * flops / 1e9 * forwardBackward;
        m.put("forwardBackwardGflopPerSecond", gflops);
        m.put("forwardBackwardShareOfPeak", share(gflops, peak));
        return m;
    }

    /**
     * visionzoo over libtorch's best variant per metric, from a round or row with {@code visionzoo} and
     * {@code libtorch} (variant name to {@link #peerMeasurement}): training is visionzoo's whole step against
     * libtorch's forward and backward pass ({@code forwardBackwardImagesPerSecond}), inference images/s against
     * libtorch's fastest, peak memory against libtorch's smallest.
     */
    public static Map<String, Object> libtorchRatios(Map<String, Object> row) {
        Map<String, Object> vz = map(row.get("visionzoo"));
        Map<String, Object> best = libtorchBest(map(row.get("libtorch")));
        Map<String, Object> libtorch = map(row.get("libtorch"));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("train", ratio(vz, map(libtorch.get(best.get("train"))), "trainImagesPerSecond",
                "forwardBackwardImagesPerSecond"));
        r.put("inference", ratio(vz, map(libtorch.get(best.get("inference"))), "inferenceImagesPerSecond",
                "inferenceImagesPerSecond"));
        r.put("peakRss", ratio(vz, map(libtorch.get(best.get("peakRss"))), "peakRssBytes", "peakRssBytes"));
        return r;
    }

    /**
     * The variant best at each metric of {@link #libtorchRatios}: the fastest forward and backward pass
     * ({@code train}), the fastest inference, the smallest peak memory; {@code null} where no variant measured it.
     */
    public static Map<String, Object> libtorchBest(Map<String, Object> variants) {
        Map<String, Object> best = new LinkedHashMap<>();
        best.put("train", bestVariant(variants, "forwardBackwardImagesPerSecond", 1));
        best.put("inference", bestVariant(variants, "inferenceImagesPerSecond", 1));
        best.put("peakRss", bestVariant(variants, "peakRssBytes", -1));
        return best;
    }

    private static String bestVariant(Map<String, Object> variants, String key, int sign) {
        String best = null;
        double value = 0;
        for (Map.Entry<String, Object> e : variants.entrySet()) {
            Double v = number(map(e.getValue()), key);
            if (v != null && (best == null || sign * v > sign * value)) {
                best = e.getKey();
                value = v;
            }
        }
        return best;
    }

    /** visionzoo / PyTorch for training and inference images/s and peak resident memory ({@code null} if unknown). */
    public static Map<String, Object> ratios(Map<String, Object> row) {
        return ratios(map(row.get("visionzoo")), map(row.get("pytorch")), "train", "trainImagesPerSecond",
                "inference", "inferenceImagesPerSecond", "peakRss", "peakRssBytes");
    }

    /**
     * The system malloc's run over the preloaded malloc's ({@code visionzoo} over {@code visionzooPreloaded}): training
     * and inference step times and peak resident memory, each above 1 where the system's malloc costs more.
     */
    public static Map<String, Object> mallocRatios(Map<String, Object> row) {
        return ratios(map(row.get("visionzoo")), map(row.get("visionzooPreloaded")), "trainStepTime",
                "trainStepSeconds", "inferenceStepTime", "inferenceStepSeconds", "peakRss", "peakRssBytes");
    }

    /** {@code a / b} for each pair of a ratio's name and the measurement's key in {@code namesAndKeys}. */
    private static Map<String, Object> ratios(Map<String, Object> a, Map<String, Object> b, String... namesAndKeys) {
        Map<String, Object> r = new LinkedHashMap<>();
        for (int i = 0; i < namesAndKeys.length; i += 2) {
            r.put(namesAndKeys[i], ratio(a, b, namesAndKeys[i + 1]));
        }
        return r;
    }

    private static Double ratio(Map<String, Object> a, Map<String, Object> b, String key) {
        return ratio(a, b, key, key);
    }

    private static Double ratio(Map<String, Object> a, Map<String, Object> b, String keyOfA, String keyOfB) {
        Double x = number(a, keyOfA);
        Double y = number(b, keyOfB);
        return x == null || y == null || y == 0 ? null : x / y;
    }

    /**
     * A model's row entries from its rounds, each {@code {visionzoo, pytorch, ratio}} (the last two with PyTorch; with
     * a preloaded malloc also {@code visionzooPreloaded} and {@code mallocRatio}; with libtorch {@code libtorch}, its
     * variants, {@code libtorchRatio} and {@code libtorchBest}). One
     * round is returned as it is. Several give: per framework (and libtorch variant) the first successful round's entry
     * with every number replaced by its median over the successful rounds and {@code medianOfRounds} (how many;
     * {@code error} when none succeeded); {@code ratio}, per metric the median of the rounds' ratios;
     * {@code ratioSpread}, per metric their {@code min}, {@code max} and the number of {@code rounds} that gave one;
     * {@code libtorchBest} of the medians; and {@code perRound}, the rounds.
     */
    public static Map<String, Object> combineRounds(List<Map<String, Object>> rounds) {
        if (rounds.size() == 1) {
            return rounds.get(0);
        }
        Map<String, Object> row = new LinkedHashMap<>();
        for (String framework : List.of("visionzoo", "visionzooPreloaded", "pytorch")) {
            if (rounds.get(0).containsKey(framework)) {
                row.put(framework, medians(rounds.stream().map(r -> map(r.get(framework))).toList()));
            }
        }
        if (rounds.get(0).containsKey("libtorch")) {
            Map<String, Object> variants = new LinkedHashMap<>();
            for (String variant : map(rounds.get(0).get("libtorch")).keySet()) {
                variants.put(variant, medians(rounds.stream().map(r -> map(map(r.get("libtorch")).get(variant)))
                        .toList()));
            }
            row.put("libtorch", variants);
            row.put("libtorchBest", libtorchBest(variants));
        }
        for (String ratios : List.of("ratio", "mallocRatio", "libtorchRatio")) {
            if (!rounds.get(0).containsKey(ratios)) {
                continue;
            }
            Map<String, Object> ratio = new LinkedHashMap<>();
            Map<String, Object> spread = new LinkedHashMap<>();
            for (String metric : map(rounds.get(0).get(ratios)).keySet()) {
                List<Double> values = rounds.stream().map(r -> number(map(r.get(ratios)), metric))
                        .filter(Objects::nonNull).sorted().toList();
                ratio.put(metric, values.isEmpty() ? null : median(values));
                spread.put(metric, values.isEmpty() ? null : range(values));
            }
            row.put(ratios, ratio);
            row.put(ratios + "Spread", spread);
        }
        row.put("perRound", rounds);
        return row;
    }

    private static Map<String, Object> medians(List<Map<String, Object>> rounds) {
        List<Map<String, Object>> ok = rounds.stream().filter(m -> m.get("error") == null).toList();
        Map<String, Object> m = new LinkedHashMap<>();
        if (ok.isEmpty()) {
            m.put("error", "every round failed; round 1: " + rounds.get(0).get("error"));
            return m;
        }
        m.putAll(ok.get(0));
        for (Map.Entry<String, Object> e : m.entrySet()) {
            List<Double> values = ok.stream().map(r -> number(r, e.getKey())).filter(Objects::nonNull).sorted()
                    .toList();
            // equal values stay as they are (an image size of 32, not 32.0)
            if (values.size() == ok.size() && !values.get(0).equals(values.get(values.size() - 1))) {
                e.setValue(median(values));
            }
        }
        m.put("medianOfRounds", ok.size());
        return m;
    }

    private static Map<String, Object> range(List<Double> sorted) {
        Map<String, Object> range = new LinkedHashMap<>();
        range.put("min", sorted.get(0));
        range.put("max", sorted.get(sorted.size() - 1));
        range.put("rounds", sorted.size());
        return range;
    }

    private static double median(List<Double> values) {
        return Timing.median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The Markdown file beside a JSON results file: {@code x.json -> x.md}. */
    public static Path markdownFile(Path json) {
        String name = json.getFileName().toString();
        String md = name.endsWith(".json") ? name.substring(0, name.length() - 5) + ".md" : name + ".md";
        return json.resolveSibling(md);
    }

    /** Writes the JSON file and the Markdown table beside it, each atomically. */
    public static void write(Path json, Map<String, Object> results) throws IOException {
        Timing.writeResults(json, results);
        AtomicFiles.writeString(markdownFile(json), markdown(results));
    }

    /** One line on the probes, e.g. {@code machine peak (float32 2048x2048 matrix product): ND4J 95.1 GFLOP/s}. */
    public static String peakLine(Map<String, Object> peak) {
        StringBuilder sb = new StringBuilder("machine peak (float32 matrix product): ");
        String sep = "";
        for (Map.Entry<String, Object> e : peak.entrySet()) {
            if (e.getValue() instanceof Map<?, ?> m) {
                sb.append(sep).append(switch (e.getKey()) {
                    case "nd4j" -> "ND4J ";
                    case "pytorch" -> "PyTorch ";
                    default -> e.getKey() + " ";
                });
                if (m.get("matmulGflops") instanceof Number n) {
                    sb.append(String.format(Locale.ROOT, "%.1f GFLOP/s (%sx%s", n.doubleValue(), m.get("matmulSize"),
                            m.get("matmulSize")));
                    if (m.get("blasMmulGflops") instanceof Number blas && m.get("matmulOpGflops") instanceof Number op) {
                        sb.append(String.format(Locale.ROOT, "; BLAS mmul %.1f, libnd4j matmul op %.1f",
                                blas.doubleValue(), op.doubleValue()));
                    }
                    sb.append(')');
                } else {
                    sb.append("failed: ").append(m.get("error"));
                }
                sep = ", ";
            }
        }
        return sb.toString();
    }

    /** What the command prints after each model. */
    public static String consoleLines(Map<String, Object> row) {
        StringBuilder sb = new StringBuilder();
        sb.append("  visionzoo ").append(summary(map(row.get("visionzoo"))));
        if (row.containsKey("visionzooPreloaded")) {
            sb.append(System.lineSeparator()).append("  preloaded ")
                    .append(summary(map(row.get("visionzooPreloaded"))));
            sb.append(System.lineSeparator()).append(String.format(Locale.ROOT,
                    "  system malloc / preloaded: train step %s, inference step %s, peak memory %s",
                    ratioText(row, "mallocRatio", "trainStepTime"), ratioText(row, "mallocRatio", "inferenceStepTime"),
                    ratioText(row, "mallocRatio", "peakRss")));
        }
        if (row.containsKey("pytorch")) {
            sb.append(System.lineSeparator()).append("  PyTorch   ").append(summary(map(row.get("pytorch"))));
            sb.append(System.lineSeparator()).append(String.format(Locale.ROOT,
                    "  visionzoo / PyTorch: train %s, inference %s, peak memory %s", ratioText(row, "train"),
                    ratioText(row, "inference"), ratioText(row, "peakRss")));
        }
        if (row.containsKey("libtorch")) {
            for (Map.Entry<String, Object> e : map(row.get("libtorch")).entrySet()) {
                sb.append(System.lineSeparator()).append("  libtorch ").append(e.getKey()).append(": ")
                        .append(peerSummary(map(e.getValue())));
            }
            sb.append(System.lineSeparator()).append(String.format(Locale.ROOT,
                    "  visionzoo / libtorch%s (train against its forward+backward): train %s, inference %s, "
                            + "peak memory %s", map(row.get("libtorch")).size() > 1 ? "'s best" : "",
                    ratioText(row, "libtorchRatio", "train"), ratioText(row, "libtorchRatio", "inference"),
                    ratioText(row, "libtorchRatio", "peakRss")));
        }
        return sb.toString();
    }

    private static String peerSummary(Map<String, Object> m) {
        if (m.get("error") != null) {
            return "failed: " + m.get("error");
        }
        String train = m.get("trainError") != null ? "train failed: " + m.get("trainError")
                : String.format(Locale.ROOT, "forward+backward %s img/s (%s of peak), whole step %s img/s (AdamW "
                        + "%s s)", rate(number(m, "forwardBackwardImagesPerSecond")),
                percent(number(m, "forwardBackwardShareOfPeak")), rate(number(m, "trainImagesPerSecond")),
                rate(number(m, "optimizerStepSeconds")));
        String inference = m.get("inferenceError") != null ? "inference failed: " + m.get("inferenceError")
                : String.format(Locale.ROOT, "inference %s img/s (%s of peak)",
                rate(number(m, "inferenceImagesPerSecond")), percent(number(m, "inferenceShareOfPeak")));
        return train + ", " + inference + ", peak RSS " + mib(number(m, "peakRssBytes")) + " MiB"
                + (m.get("medianOfRounds") == null ? "" : "; medians of " + rounds(m.get("medianOfRounds")));
    }

    private static String summary(Map<String, Object> m) {
        if (m.get("error") != null) {
            return "failed: " + m.get("error");
        }
        if (m.get(NO_REFERENCE) != null) {
            return String.valueOf(m.get(NO_REFERENCE));
        }
        return String.format(Locale.ROOT, "train %s img/s (%s GFLOP/s, %s of peak), inference %s img/s (%s GFLOP/s, "
                        + "%s), peak RSS %s MiB, page faults per step %s / %s, kernel CPU %s / %s%s",
                rate(number(m, "trainImagesPerSecond")),
                rate(number(m, "trainGflopPerSecond")), percent(number(m, "trainShareOfPeak")),
                rate(number(m, "inferenceImagesPerSecond")), rate(number(m, "inferenceGflopPerSecond")),
                percent(number(m, "inferenceShareOfPeak")), mib(number(m, "peakRssBytes")),
                count(number(m, "trainMinorFaultsPerStep")), count(number(m, "inferenceMinorFaultsPerStep")),
                percent(number(m, "trainSystemCpuShare")), percent(number(m, "inferenceSystemCpuShare")),
                m.get("medianOfRounds") == null ? "" : "; medians of " + rounds(m.get("medianOfRounds")));
    }

    /** The Markdown report: the settings, the machine, the probes and one table row per model. */
    @SuppressWarnings("unchecked")
    public static String markdown(Map<String, Object> results) {
        Map<String, Object> machine = map(results.get("machine"));
        Map<String, Object> peak = map(results.get("peak"));
        List<Map<String, Object>> rows = (List<Map<String, Object>>) results.getOrDefault("results", List.of());
        boolean torch = peak.containsKey("pytorch") || rows.stream().anyMatch(r -> r.containsKey("pytorch"));
        StringBuilder sb = new StringBuilder("# visionzoo bench\n\n");
        sb.append(String.format(Locale.ROOT, "Batch %s, %s warm-up steps, then the median of %s timed steps; "
                        + "training is forward, cross-entropy, backward and an AdamW step (learning rate 1e-4, weight"
                        + " decay 0.01) on random images in memory; each model in a process of its own. %s.%n%n",
                results.get("batch"), results.get("warmupSteps"), results.get("timedSteps"), results.get("timestamp")));
        if ("bf16".equals(results.get("precision"))) {
            sb.append("visionzoo trains its convolutions in bf16 where that is faster (`--precision bf16`, float32 master "
                    + "weights; float32 on CPUs without AVX512_BF16); inference and the peers are float32.\n\n");
        }
        if (results.get("rounds") instanceof Number n && n.intValue() > 1) {
            boolean peer = rows.stream().anyMatch(r -> r.containsKey("libtorch"));
            sb.append(String.format(Locale.ROOT, "%d rounds per model, each a fresh visionzoo process%s%s; every "
                    + "figure is the median over the rounds%s.%n%n", n, torch ? " and then a fresh PyTorch one" : "",
                    peer ? " and then fresh libtorch ones" : "",
                    torch ? ", and a ratio the median of the rounds' own ratios with their range and the number of "
                            + "rounds that gave one in brackets" : ""));
        }
        sb.append(String.format(Locale.ROOT, "Machine: %s cores, %s, %s, %s; ND4J natives %s", machine.get("cores"),
                machine.getOrDefault("cpuModel", "CPU unknown"), machine.get("os"), machine.get("java"),
                machine.get("natives")));
        if (machine.get("directConvolutions") instanceof Boolean direct) {
            sb.append(direct ? "; convolutions trained on oneDNN directly"
                    : "; convolutions trained through DL4J's helper");
        }
        if (results.get("openblasCoretype") != null) {
            sb.append("; OPENBLAS_CORETYPE=").append(results.get("openblasCoretype")).append(" for both");
        }
        if (results.get("malloc") != null && !"system".equals(results.get("malloc"))) {
            sb.append("; visionzoo on the system's malloc and, in a row of its own, with ")
                    .append(results.get("malloc")).append(" preloaded");
        }
        if (machine.get("torch") != null) {
            sb.append(String.format(Locale.ROOT, "; PyTorch %s on %s threads, BLAS %s", machine.get("torch"),
                    machine.get("torchThreads"), machine.get("blas")));
        }
        sb.append(".\n\n").append(capitalize(peakLine(peak)));
        if (peak.get("machineGflops") instanceof Number n) {
            sb.append(String.format(Locale.ROOT, "; the %% of peak below is of %.1f GFLOP/s", n.doubleValue()));
        }
        sb.append(". GFLOP/s count 2 FLOPs per multiply-add of convolutions, linear layers and attention; training is "
                + "3x the forward count.\n\n");
        sb.append("Page faults are the median minor faults of a timed step (training / inference); kernel CPU is "
                + "the median share of a timed step's CPU time spent in the kernel.\n\n");
        sb.append("| model | input | GFLOP/image | train img/s | train GFLOP/s (% peak) | inference img/s "
                + "| inference GFLOP/s (% peak) | peak RSS MiB | page faults/step | kernel CPU |");
        if (torch) {
            sb.append(" PyTorch train img/s | PyTorch inference img/s | PyTorch peak RSS MiB | train ratio "
                    + "| inference ratio | memory ratio |");
        }
        sb.append("\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        if (torch) {
            sb.append("---:|---:|---:|---:|---:|---:|");
        }
        sb.append('\n');
        for (Map<String, Object> row : rows) {
            sb.append("| ").append(row.get("model")).append(" | ").append(row.get("imageSize")).append(" | ")
                    .append(fixed(number(row, "forwardGflopPerImage"), 2)).append(" | ");
            cells(sb, map(row.get("visionzoo")));
            if (torch) {
                Map<String, Object> pt = map(row.get("pytorch"));
                if (pt.get(NO_REFERENCE) != null) {
                    sb.append(' ').append(pt.get(NO_REFERENCE)).append(" | | |");
                } else if (pt.get("error") != null || pt.isEmpty()) {
                    sb.append(' ').append(pt.isEmpty() ? "not run" : cellError(pt)).append(" | | |");
                } else {
                    sb.append(' ').append(rate(number(pt, "trainImagesPerSecond"))).append(" | ")
                            .append(rate(number(pt, "inferenceImagesPerSecond"))).append(" | ")
                            .append(mib(number(pt, "peakRssBytes"))).append(" |");
                }
                sb.append(' ').append(ratioText(row, "train")).append(" | ").append(ratioText(row, "inference"))
                        .append(" | ").append(ratioText(row, "peakRss")).append(" |");
            }
            sb.append('\n');
            if (row.containsKey("visionzooPreloaded")) {
                sb.append("| ").append(row.get("model")).append(", preloaded malloc | ").append(row.get("imageSize"))
                        .append(" | ").append(fixed(number(row, "forwardGflopPerImage"), 2)).append(" | ");
                cells(sb, map(row.get("visionzooPreloaded")));
                if (torch) {
                    sb.append(" | | | | | |");
                }
                sb.append('\n');
            }
        }
        if (rows.stream().anyMatch(r -> r.containsKey("libtorch"))) {
            libtorchTable(sb, machine, rows);
        }
        if (rows.stream().anyMatch(r -> r.containsKey("mallocRatio"))) {
            sb.append("\nThe system's malloc against the preloaded one (step times and peak memory, system / "
                    + "preloaded):\n\n| model | train step | inference step | peak RSS |\n|---|---:|---:|---:|\n");
            for (Map<String, Object> row : rows) {
                if (row.containsKey("mallocRatio")) {
                    sb.append("| ").append(row.get("model")).append(" | ")
                            .append(ratioText(row, "mallocRatio", "trainStepTime")).append(" | ")
                            .append(ratioText(row, "mallocRatio", "inferenceStepTime")).append(" | ")
                            .append(ratioText(row, "mallocRatio", "peakRss")).append(" |\n");
                }
            }
        }
        return sb.toString();
    }

    /**
     * The libtorch peer's table: a line per model and variant, the ratios (visionzoo over the best variant) on the
     * model's first line, and a phase that crashed named in its cells.
     */
    private static void libtorchTable(StringBuilder sb, Map<String, Object> machine,
                                      List<Map<String, Object>> rows) {
        sb.append(String.format(Locale.ROOT, "%nAgainst libtorch %s through DJL %s (oneDNN %s, %s; %s threads), "
                        + "TorchScript of the same torchvision models, each phase in a process of its own. Its "
                        + "training is timed as forward+backward and DJL's AdamW step apart; visionzoo's train ratio is"
                        + " its whole step against libtorch's forward+backward alone, each ratio against libtorch's "
                        + "best variant for it.%n%n", machine.get("libtorch"), machine.get("djl"),
                machine.get("onednn"), machine.get("mkl"), machine.get("libtorchThreads")));
        sb.append("| model | libtorch variant | forward+backward img/s (% peak) | whole step img/s | AdamW step s "
                + "| inference img/s (% peak) | peak RSS MiB | train ratio | inference ratio | memory ratio "
                + "| best variant (train / inference) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Map<String, Object> row : rows) {
            boolean first = true;
            for (Map.Entry<String, Object> e : map(row.get("libtorch")).entrySet()) {
                Map<String, Object> m = map(e.getValue());
                sb.append("| ").append(first ? row.get("model") : "").append(" | ").append(e.getKey()).append(" | ");
                if (m.get("error") != null) {
                    sb.append(cellError(m)).append(" | | | | |");
                } else {
                    if (m.get("trainError") != null) {
                        sb.append("train ").append(cellError(Map.of("error", m.get("trainError")))).append(" | | |");
                    } else {
                        sb.append(rate(number(m, "forwardBackwardImagesPerSecond"))).append(" (")
                                .append(percent(number(m, "forwardBackwardShareOfPeak"))).append(") | ")
                                .append(rate(number(m, "trainImagesPerSecond"))).append(" | ")
                                .append(rate(number(m, "optimizerStepSeconds"))).append(" |");
                    }
                    if (m.get("inferenceError") != null) {
                        sb.append(" inference ").append(cellError(Map.of("error", m.get("inferenceError"))))
                                .append(" |");
                    } else {
                        sb.append(' ').append(rate(number(m, "inferenceImagesPerSecond"))).append(" (")
                                .append(percent(number(m, "inferenceShareOfPeak"))).append(") |");
                    }
                    sb.append(' ').append(mib(number(m, "peakRssBytes"))).append(" |");
                }
                if (first) {
                    Map<String, Object> best = map(row.get("libtorchBest"));
                    sb.append(' ').append(ratioText(row, "libtorchRatio", "train")).append(" | ")
                            .append(ratioText(row, "libtorchRatio", "inference")).append(" | ")
                            .append(ratioText(row, "libtorchRatio", "peakRss")).append(" | ")
                            .append(Objects.requireNonNullElse(best.get("train"), "-")).append(" / ")
                            .append(Objects.requireNonNullElse(best.get("inference"), "-")).append(" |\n");
                } else {
                    sb.append(" | | | |\n");
                }
                first = false;
            }
        }
    }

    /** A visionzoo measurement's cells of the Markdown table, from train img/s to kernel CPU. */
    private static void cells(StringBuilder sb, Map<String, Object> vz) {
        if (vz.get("error") != null) {
            sb.append(cellError(vz)).append(" | | | | | | |");
            return;
        }
        sb.append(rate(number(vz, "trainImagesPerSecond"))).append(" | ")
                .append(rate(number(vz, "trainGflopPerSecond"))).append(" (")
                .append(percent(number(vz, "trainShareOfPeak"))).append(") | ")
                .append(rate(number(vz, "inferenceImagesPerSecond"))).append(" | ")
                .append(rate(number(vz, "inferenceGflopPerSecond"))).append(" (")
                .append(percent(number(vz, "inferenceShareOfPeak"))).append(") | ")
                .append(mib(number(vz, "peakRssBytes"))).append(" | ")
                .append(count(number(vz, "trainMinorFaultsPerStep"))).append(" / ")
                .append(count(number(vz, "inferenceMinorFaultsPerStep"))).append(" | ")
                .append(percent(number(vz, "trainSystemCpuShare"))).append(" / ")
                .append(percent(number(vz, "inferenceSystemCpuShare"))).append(" |");
    }

    private static String count(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String cellError(Map<String, Object> m) {
        String e = String.valueOf(m.get("error")).replace('|', '/').replace('\n', ' ');
        return "error: " + (e.length() > 120 ? e.substring(0, 117) + "..." : e);
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static Double number(Map<String, Object> m, String key) {
        return m.get(key) instanceof Number n ? n.doubleValue() : null;
    }

    /** Three significant figures, at most one decimal above 10: 0.123, 1.23, 12.3, 123. */
    static String rate(Double v) {
        if (v == null) {
            return "-";
        }
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", v);
    }

    private static String fixed(Double v, int decimals) {
        return v == null ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String percent(Double share) {
        return share == null ? "-" : String.format(Locale.ROOT, "%.0f %%", 100 * share);
    }

    private static String mib(Double bytes) {
        return bytes == null ? "-" : String.format(Locale.ROOT, "%.0f", bytes / (1024 * 1024));
    }

    /** A row's ratio for {@code metric}: {@code 0.93}, or with rounds {@code 0.93 (0.81-1.02, 3 rounds)}. */
    private static String ratioText(Map<String, Object> row, String metric) {
        return ratioText(row, "ratio", metric);
    }

    /** A row's ratio of the map {@code ratios} ({@code ratio}, {@code mallocRatio}) for {@code metric}. */
    private static String ratioText(Map<String, Object> row, String ratios, String metric) {
        String ratio = fixed(number(map(row.get(ratios)), metric), 2);
        Map<String, Object> spread = map(map(row.get(ratios + "Spread")).get(metric));
        return spread.isEmpty() ? ratio : String.format(Locale.ROOT, "%s (%s-%s, %s)", ratio,
                fixed(number(spread, "min"), 2), fixed(number(spread, "max"), 2), rounds(spread.get("rounds")));
    }

    private static String rounds(Object n) {
        return n + (n instanceof Number k && k.intValue() == 1 ? " round" : " rounds");
    }
}
