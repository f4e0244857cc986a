package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.AtomicFiles;
import io.github.visionzoo.zoo.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one session of a run stands and what it writes into the {@link RunDirectory}, shared by {@link Trainer} and
 * {@link SparkTrainer} so that both leave the same files: the {@value RunDirectory#METRICS} log (windows of steps and
 * epoch ends), the epoch-end evaluation with {@value RunDirectory#CONFUSION_JSON}, the charts and
 * {@value RunDirectory#SUMMARY}, the checkpoints with {@value RunDirectory#BEST}, and the console progress.
 */
final class RunState implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunState.class);

    private final RunDirectory run;
    private final Checkpoint.Info start;
    private final TrainingRecipe recipe;
    private final int batches;
    private final int workers;
    private final int keepLast;
    private final int metricsWindow;
    private final Metrics metrics;
    private final Progress progress;
    private final long startNanos = System.nanoTime();
    private int epochsCompleted;
    private int batchesInEpoch;
    private double bestTop1 = -1;
    private double bestTop5 = Double.NaN;
    private int bestEpoch;
    private Window window = new Window(System.nanoTime());
    private Window epochTotals = new Window(System.nanoTime());

    /**
     * Opens the run's metrics log (dropping lines after the start's iteration) and reads the best epoch so far.
     *
     * @param start   the checkpoint info the session starts from (a fresh one for a new run)
     * @param batches batches per epoch, for the progress and the epoch fraction in the metrics
     * @param workers workers of this session, recorded in the summary
     */
    RunState(RunDirectory run, Checkpoint.Info start, int batches, int workers, int keepLast, int metricsWindow,
             RunTrainer.Console console) {
        this.run = run;
        this.start = start;
        this.recipe = start.recipe();
        this.batches = batches;
        this.workers = workers;
        this.keepLast = keepLast;
        this.metricsWindow = metricsWindow;
        this.epochsCompleted = start.epochsCompleted();
        this.batchesInEpoch = start.batchesInEpoch();
        Path best = run.file(RunDirectory.BEST);
        if (Files.exists(best)) {
            try {
                Checkpoint.Info b = Checkpoint.readInfo(best);
                bestTop1 = b.valTop1();
                bestTop5 = b.valTop5();
                bestEpoch = b.epochsCompleted();
            } catch (CorruptCheckpointException e) {
                LOG.warn("{}; the best accuracy is tracked anew", e.getMessage());
            }
        }
        this.metrics = Metrics.open(run.file(RunDirectory.METRICS), start.iteration());
        this.progress = new Progress(console, metricsWindow, System.out);
    }

    TrainingRecipe recipe() {
        return recipe;
    }

    Checkpoint.Info start() {
        return start;
    }

    /** Epochs finished, counting those of earlier sessions. */
    int epochsCompleted() {
        return epochsCompleted;
    }

    /** Batches of the current epoch trained so far (those before a resumption included). */
    int batchesInEpoch() {
        return batchesInEpoch;
    }

    /**
     * Starts epoch {@code epoch} (0-based) at the batch this session resumes from; the epoch's sums go on from those
     * the checkpoint saved.
     */
    void startEpoch(int epoch) {
        progress.startEpoch(epoch + 1, recipe.epochs(), batches, batchesInEpoch);
        long now = System.nanoTime();
        window = new Window(now);
        Checkpoint.EpochTotals before = batchesInEpoch > 0 ? start.epochTotals() : null;
        epochTotals = before == null ? new Window(now) : Window.of(before, now);
    }

    /** Seconds since {@link #startEpoch}. */
    double epochSeconds() {
        return (System.nanoTime() - epochTotals.startNanos) / 1e9;
    }

    /**
     * Takes steps measured since the last call into the window and the epoch, writing a metrics line when the window
     * is full.
     *
     * @param trainedBatches batches these steps trained (with several workers, more than the steps)
     */
    void record(BatchStats.Totals t, int trainedBatches, ComputationGraph graph) {
        batchesInEpoch += trainedBatches;
        if (t.steps() == 0) {
            return;
        }
        window.add(t);
        epochTotals.add(t);
        if (window.steps >= metricsWindow) {
            flushWindow(graph);
        }
        progress.step(batchesInEpoch, epochTotals.meanLoss(), epochTotals.accuracy(), epochTotals.imagesPerSecond());
    }

    /** Writes the window's line, if it has steps, and starts a new window. */
    void flushWindow(ComputationGraph graph) {
        if (window.steps > 0) {
            double fraction = epochsCompleted + Math.min(1.0, (double) batchesInEpoch / batches);
            metrics.append(new Metrics.Iterations(epochsCompleted + 1, graph.getConfiguration().getIterationCount(),
                    fraction, window.meanLoss(), nullIfNaN(window.accuracy()), window.learningRate,
                    window.imagesPerSecond()));
        }
        window = new Window(System.nanoTime());
    }

    /** The mean training loss of the epoch so far (NaN before any step). */
    double epochLoss() {
        return epochTotals.meanLoss();
    }

    /**
     * Ends the epoch: evaluates {@code graph} on {@code val}, appends the epoch's line, writes the confusion matrix,
     * the charts and the summary, and a checkpoint, linked as {@value RunDirectory#BEST} when its top-1 is the best.
     *
     * @param trainSeconds the epoch's training time, evaluation left out
     */
    TrainingResult endEpoch(ComputationGraph graph, DataSetIterator val, double trainSeconds) {
        flushWindow(graph);
        requireFinite(graph);
        graph.incrementEpochCount();
        epochsCompleted++;
        batchesInEpoch = 0;
        int iteration = graph.getConfiguration().getIterationCount();
        EvalReport report = EvalReport.of(graph, val, start.classNames());
        List<Double> perClass = Arrays.stream(report.perClassAccuracy()).mapToObj(RunState::nullIfNaN).toList();
        double ips = epochTotals.examples / Math.max(trainSeconds, 1e-9);
        metrics.append(new Metrics.Epoch(epochsCompleted, iteration, epochTotals.meanLoss(),
                nullIfNaN(epochTotals.accuracy()), report.loss(), report.top1(), report.top5(), perClass,
                epochTotals.learningRate, ips, trainSeconds));
        try {
            AtomicFiles.writeString(run.file(RunDirectory.CONFUSION_JSON), Json.write(new Confusion(epochsCompleted,
                    report.classNames(), report.confusion())));
            Charts.write(run.path(), metrics.lines(), report);
        } catch (IOException | RuntimeException | Error e) { // e.g. AWT without fonts: charts are not worth a run
            LOG.warn("cannot draw the charts in {}: {}", run, e.toString());
        }
        boolean best = report.top1() > bestTop1;
        if (best) {
            bestTop1 = report.top1();
            bestTop5 = report.top5();
            bestEpoch = epochsCompleted;
        }
        TrainingResult result = summary(graph, report);
        Path summary = run.file(RunDirectory.SUMMARY);
        try {
            AtomicFiles.writeString(summary, Json.write(result));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + summary + ": " + e.getMessage(), e);
        }
        Path saved = save(graph, report.top1(), report.top5());
        if (best) {
            Path bestFile = run.file(RunDirectory.BEST);
            try {
                AtomicFiles.linkOrCopy(saved, bestFile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + bestFile + ": " + e.getMessage(), e);
            }
        }
        progress.endEpoch(String.format(Locale.ROOT,
                "train loss %.4f, val loss %.4f, val top-1 %.2f%%, top-5 %.2f%%, %.0f img/s%s",
                epochTotals.meanLoss(), report.loss(), 100 * report.top1(), 100 * report.top5(), ips,
                best ? " (best)" : ""));
        return result;
    }

    private TrainingResult summary(ComputationGraph graph, EvalReport report) {
        double images = 0;
        double seconds = 0;
        for (Metrics.Line line : metrics.lines()) {
            if (line instanceof Metrics.Epoch e) {
                images += e.imagesPerSecond() * e.seconds();
                seconds += e.seconds();
            }
        }
        return new TrainingResult(start.model(), recipe, epochsCompleted, graph.getConfiguration()
                .getIterationCount(), bestTop1, bestTop5, bestEpoch, report.top1(), report.top5(),
                images / Math.max(seconds, 1e-9), wallSeconds(), workers);
    }

    private double wallSeconds() {
        return start.wallSeconds() + (System.nanoTime() - startNanos) / 1e9;
    }

    /**
     * Writes a checkpoint of {@code graph} where the run stands and prunes old ones; returns its file.
     *
     * @throws TrainingDivergedException when a parameter or the updater state is not finite; nothing is written
     */
    Path save(ComputationGraph graph, Double valTop1, Double valTop5) {
        requireFinite(graph);
        int iteration = graph.getConfiguration().getIterationCount();
        Path file = run.checkpointFile(epochsCompleted, iteration);
        Checkpoint.EpochTotals totals = batchesInEpoch == 0 ? null : new Checkpoint.EpochTotals(
                epochTotals.examples, epochTotals.lossSum, epochTotals.correct, epochTotals.measured, epochSeconds());
        Checkpoint.write(file, graph, start.with(b -> {
            b.format = Checkpoint.FORMAT;
            b.epochsCompleted = epochsCompleted;
            b.batchesInEpoch = batchesInEpoch;
            b.iteration = iteration;
            b.dataSeed = recipe.seed();
            b.valTop1 = valTop1;
            b.valTop5 = valTop5;
            b.wallSeconds = wallSeconds();
            b.modelSha256 = null;
            b.epochTotals = totals;
        }));
        run.prune(keepLast);
        return file;
    }

    /**
     * Stops the run when the parameters or the updater state hold NaN or infinite values, which a finite loss does
     * not rule out (a batch norm's variance overflows first), so that they are neither evaluated nor saved.
     */
    private static void requireFinite(ComputationGraph graph) {
        String bad = Checkpoint.nonFinite(graph);
        if (bad != null) {
            Double rate = graph.getLearningRate(graph.getConfiguration().getNetworkOutputs().get(0));
            throw TrainingDivergedException.nonFinite(graph.getConfiguration().getIterationCount(), bad,
                    rate == null ? Double.NaN : rate);
        }
    }

    @Override
    public void close() throws IOException {
        try (Metrics m = metrics; Progress p = progress) {
            // closes both
        }
    }

    /** Sums over some optimizer steps. */
    private static final class Window {
        final long startNanos;
        int steps;
        long examples;
        double lossSum;
        long correct;
        long measured;
        double learningRate = Double.NaN;

        Window(long startNanos) {
            this.startNanos = startNanos;
        }

        /** The sums of an epoch begun in an earlier session, going on at {@code now}. */
        static Window of(Checkpoint.EpochTotals t, long now) {
            Window w = new Window(now - (long) (t.seconds() * 1e9));
            w.examples = t.examples();
            w.lossSum = t.lossSum();
            w.correct = t.correct();
            w.measured = t.measuredExamples();
            return w;
        }

        void add(BatchStats.Totals t) {
            steps += t.steps();
            examples += t.examples();
            lossSum += t.lossSum();
            correct += t.correct();
            measured += t.measuredExamples();
            learningRate = t.learningRate();
        }

        double meanLoss() {
            return examples == 0 ? Double.NaN : lossSum / examples;
        }

        double accuracy() {
            return measured == 0 ? Double.NaN : (double) correct / measured;
        }

        double imagesPerSecond() {
            return examples / Math.max((System.nanoTime() - startNanos) / 1e9, 1e-9);
        }
    }

    /** The latest epoch's confusion matrix, as {@value RunDirectory#CONFUSION_JSON}. */
    record Confusion(int epoch, List<String> classNames, int[][] counts) {
    }

    static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
