package io.github.visionzoo.zoo.train;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The console view of training: a progress bar per epoch (me.tongfei:progressbar, with its ETA) on a terminal,
 * a plain line every {@code plainEvery} batches elsewhere (logs, IDEs, CI), or nothing; an end-of-epoch line in the
 * first two modes.
 */
final class Progress implements AutoCloseable {
    private final RunTrainer.Console mode;
    private final int plainEvery;
    private final PrintStream out;
    private ProgressBar bar;
    private String label;
    private int total;
    private int startDone;
    private long startNanos;

    /** @param console {@link RunTrainer.Console#AUTO} becomes a bar when {@code System.console()} exists */
    Progress(RunTrainer.Console console, int plainEvery, PrintStream out) {
        this.mode = console == RunTrainer.Console.AUTO
                ? (System.console() != null ? RunTrainer.Console.BAR : RunTrainer.Console.PLAIN)
                : console;
        this.plainEvery = Math.max(1, plainEvery);
        this.out = out;
    }

    /** @param done batches of this epoch already trained (a resumed epoch) */
    void startEpoch(int epoch, int epochs, int batches, int done) {
        close();
        label = "epoch " + epoch + "/" + epochs;
        total = batches;
        startDone = done;
        startNanos = System.nanoTime();
        if (mode == RunTrainer.Console.BAR) {
            bar = new ProgressBarBuilder().setTaskName(label).setInitialMax(batches).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(500).build();
            bar.stepTo(done);
        }
    }

    void step(int done, double loss, double accuracy, double imagesPerSecond) {
        String stats = String.format(Locale.ROOT, "loss %.4f  acc %s  %.0f img/s", loss,
                Double.isNaN(accuracy) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * accuracy), imagesPerSecond);
        if (bar != null) {
            bar.stepTo(done);
            bar.setExtraMessage(stats);
        } else if (mode == RunTrainer.Console.PLAIN && (done % plainEvery == 0 || done == total)) {
            out.printf(Locale.ROOT, "%s [%d/%d] %s  ETA %s%n", label, done, total, stats, eta(done));
        }
    }

    private String eta(int done) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        int trained = done - startDone;
        if (trained <= 0 || total <= done) {
            return "0:00:00";
        }
        Duration left = Duration.ofSeconds(Math.round(seconds / trained * (total - done)));
        return String.format(Locale.ROOT, "%d:%02d:%02d", left.toHours(), left.toMinutesPart(),
                left.toSecondsPart());
    }

    /** The epoch's summary line, after its bar. */
    void endEpoch(String summary) {
        close();
        if (mode != RunTrainer.Console.QUIET) {
            out.println(label + ": " + summary);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
