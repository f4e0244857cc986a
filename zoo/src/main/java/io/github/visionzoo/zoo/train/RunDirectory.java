package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.AtomicFiles;
import io.github.visionzoo.zoo.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory of one training run, as {@link Trainer} and {@link SparkTrainer} write it and as {@code resume},
 * {@link Checkpoint#load} and the command line read it:
 * <ul>
 * <li>{@code ckpt-e<epochs done>-i<iteration>.zip}: the {@link Checkpoint}s, newest by iteration (and, at equal
 * iterations, by epochs done) first; the trainers keep the newest few ({@link #prune});
 * <li>{@value #BEST}: the epoch-end checkpoint with the best validation top-1 (a hard link where the file system
 * allows);
 * <li>{@value #METRICS} ({@link Metrics}), {@value #SUMMARY} ({@link TrainingResult}), {@value #RECIPE}, and
 * {@value #CONFUSION_JSON} with the charts {@code loss.png}, {@code accuracy.png}, {@code confusion.png} of the
 * latest epoch; every file but the metrics log is replaced atomically;
 * <li>{@value RunLock#FILE}: the {@link RunLock} a trainer holds while it trains, so that a second process cannot
 * train into the directory at the same time.
 * </ul>
 *
 * <pre>{@code
 * RunDirectory run = new RunDirectory(Path.of("runs/resnet18"));
 * ComputationGraph best = run.best().graph();
 * Checkpoint.Info where = run.latestInfo(); // recipe, position and classes, without loading the model
 * }</pre>
 */
public final class RunDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(RunDirectory.class);

    /** The best epoch-end checkpoint of a run. */
    public static final String BEST = "best.zip";
    public static final String METRICS = "metrics.jsonl";
    public static final String SUMMARY = "summary.json";
    public static final String RECIPE = "recipe.json";
    public static final String CONFUSION_JSON = "confusion.json";
    /** Suffix given to a damaged checkpoint that resuming skipped, so that later listings leave it out. */
    public static final String CORRUPT_SUFFIX = ".corrupt";
    private static final Pattern CHECKPOINT = Pattern.compile("ckpt-e(\\d+)-i(\\d+)\\.zip");

    private final Path path;

    public RunDirectory(Path path) {
        this.path = Objects.requireNonNull(path, "path");
    }

    public Path path() {
        return path;
    }

    /** The file of {@code name} in the directory, e.g. {@code file(RunDirectory.BEST)}. */
    public Path file(String name) {
        return path.resolve(name);
    }

    /** The checkpoint written after {@code epochsCompleted} epochs at optimizer step {@code iteration}. */
    public Path checkpointFile(int epochsCompleted, int iteration) {
        return path.resolve(String.format(Locale.ROOT, "ckpt-e%03d-i%08d.zip", epochsCompleted, iteration));
    }

    /** The checkpoints, newest first; empty when there is no such directory. */
    public List<Path> checkpoints() {
        if (!Files.isDirectory(path)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(path)) {
            return files.filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(RunDirectory::order).reversed())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + path + ": " + e.getMessage(), e);
        }
    }

    private static long order(Path file) {
        Matcher m = CHECKPOINT.matcher(file.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a checkpoint name: " + file);
        }
        return Long.parseLong(m.group(2)) * 100_000L + Long.parseLong(m.group(1));
    }

    /** Whether the directory holds a run (checkpoints or a best model), which only {@code resume} continues. */
    public boolean holdsRun() {
        return !checkpoints().isEmpty() || Files.exists(file(BEST));
    }

    /**
     * The newest checkpoint that loads: after {@code fit} or {@code resume}, the trained network. Damaged ones, those
     * with NaN or infinite parameters and those without a recipe are logged, renamed with {@value #CORRUPT_SUFFIX}
     * and skipped.
     *
     * @throws IllegalStateException when the directory holds no loadable checkpoint
     */
    public Checkpoint latest() {
        List<Path> files = checkpoints();
        if (files.isEmpty()) {
            throw new IllegalStateException("no checkpoint (ckpt-*.zip) in " + path + " to resume from; start the"
                    + " run with Trainer.fit instead");
        }
        for (Path file : files) {
            try {
                Checkpoint checkpoint = Checkpoint.load(file);
                if (checkpoint.info().recipe() == null) {
                    checkpoint.graph().close();
                    throw new CorruptCheckpointException(file, "no training recipe, so not written by the trainer",
                            null);
                }
                return checkpoint;
            } catch (CorruptCheckpointException e) {
                LOG.warn("{}; it is renamed {}{} and resuming falls back to the previous checkpoint", e.getMessage(),
                        file.getFileName(), CORRUPT_SUFFIX);
                moveAside(file);
            }
        }
        throw new IllegalStateException("every checkpoint in " + path + " is damaged (now renamed *"
                + CORRUPT_SUFFIX + "); start the run anew");
    }

    private static void moveAside(Path file) {
        try {
            Files.move(file, file.resolveSibling(file.getFileName() + CORRUPT_SUFFIX),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename damaged checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** The epoch-end checkpoint with the best validation top-1 ({@value #BEST}). */
    public Checkpoint best() {
        return Checkpoint.load(file(BEST));
    }

    /**
     * The metadata (recipe, position, classes) of the newest readable checkpoint, without loading the model: what a
     * caller needs to rebuild the run's data before {@code resume}.
     *
     * @throws IllegalArgumentException when the directory has no readable checkpoint
     */
    public Checkpoint.Info latestInfo() {
        String newestProblem = null;
        for (Path file : checkpoints()) {
            try {
                return Checkpoint.readInfo(file);
            } catch (RuntimeException e) {
                // not logged: resume() reports a damaged checkpoint once, when it sets the file aside
                newestProblem = newestProblem != null ? newestProblem : e.getMessage();
            }
        }
        if (newestProblem != null) {
            throw new IllegalArgumentException("every checkpoint (ckpt-*.zip) in " + path + " is damaged, so the run"
                    + " cannot be resumed; the newest: " + newestProblem);
        }
        if (Files.exists(file(RECIPE))) {
            throw new IllegalArgumentException(path + " has no checkpoint: its run stopped before writing the first"
                    + " one, so there is nothing to resume; start it again with train --run-dir " + path
                    + " and the same options");
        }
        throw new IllegalArgumentException(path + " holds no run (no ckpt-*.zip); give the run directory of a run"
                + " started with train");
    }

    /**
     * Whether the run whose newest checkpoint records {@code info} has finished and is to stay so: resumed to
     * {@code epochs} epochs in all, null meaning the recipe's.
     */
    static boolean isFinished(Checkpoint.Info info, Integer epochs) {
        return info.epochsCompleted() >= info.recipe().epochs()
                && (epochs == null || epochs == info.recipe().epochs());
    }

    /**
     * The {@value #SUMMARY} of the run: its result after the latest epoch.
     *
     * @throws IllegalStateException when the run has not finished an epoch, or the file is gone
     */
    public TrainingResult summary() {
        if (!Files.exists(file(SUMMARY))) {
            throw new IllegalStateException("the run in " + path + " has no " + SUMMARY + " (written at each epoch"
                    + " end)");
        }
        return Json.read(file(SUMMARY), TrainingResult.class);
    }

    /** Locks the directory, creating it when it does not exist ({@link RunLock#acquire}). */
    public RunLock lock() {
        return RunLock.acquire(path);
    }

    /** Writes {@value #RECIPE}, creating the directory when it does not exist. */
    void writeRecipe(TrainingRecipe recipe) {
        try {
            Files.createDirectories(path);
            AtomicFiles.writeString(file(RECIPE), recipe.toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to run directory " + path + ": " + e.getMessage(), e);
        }
    }

    /** Deletes all but the newest {@code keep} checkpoints ({@value #BEST} is a separate link or copy). */
    void prune(int keep) {
        List<Path> files = checkpoints();
        for (Path old : files.subList(Math.min(keep, files.size()), files.size())) {
            try {
                Files.deleteIfExists(old);
            } catch (IOException e) {
                LOG.warn("cannot delete old checkpoint {}: {}", old, e.getMessage());
            }
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
