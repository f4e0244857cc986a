package io.github.visionzoo.zoo.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoints of a run directory: {@code ckpt-e<epochs done>-i<iteration>.zip}, newest by iteration (and, at equal
 * iterations, by epochs done) first.
 */
final class Checkpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
    private static final Pattern NAME = Pattern.compile("ckpt-e(\\d+)-i(\\d+)\\.zip");
    /** Suffix given to a damaged checkpoint that resuming skipped, so that later listings leave it out. */
    static final String CORRUPT_SUFFIX = ".corrupt";

    private Checkpoints() {
    }

    static String fileName(int epochsCompleted, int iteration) {
        return String.format(Locale.ROOT, "ckpt-e%03d-i%08d.zip", epochsCompleted, iteration);
    }

    /** The checkpoints in {@code runDir}, newest first; empty when there is no such directory. */
    static List<Path> list(Path runDir) {
        if (!Files.isDirectory(runDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(runDir)) {
            return files.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(Checkpoints::order).reversed())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + runDir + ": " + e.getMessage(), e);
        }
    }

    private static long order(Path file) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a checkpoint name: " + file);
        }
        return Long.parseLong(m.group(2)) * 100_000L + Long.parseLong(m.group(1));
    }

    /**
     * The newest checkpoint of {@code runDir} that loads; damaged ones, those with NaN or infinite parameters and
     * those without a recipe are logged, renamed with {@value #CORRUPT_SUFFIX} and skipped.
     *
     * @throws IllegalStateException when the directory holds no loadable checkpoint
     */
    static Checkpoint newestGood(Path runDir) {
        List<Path> files = list(runDir);
        if (files.isEmpty()) {
            throw new IllegalStateException("no checkpoint (ckpt-*.zip) in " + runDir + " to resume from; start the"
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
        throw new IllegalStateException("every checkpoint in " + runDir + " is damaged (now renamed *"
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

    /** Deletes all but the newest {@code keep} checkpoints ({@code best.zip} is a separate link or copy). */
    static void retain(Path runDir, int keep) {
        List<Path> files = list(runDir);
        for (Path old : files.subList(Math.min(keep, files.size()), files.size())) {
            try {
                Files.deleteIfExists(old);
            } catch (IOException e) {
                LOG.warn("cannot delete old checkpoint {}: {}", old, e.getMessage());
            }
        }
    }
}
