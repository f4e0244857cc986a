package io.github.visionzoo.zoo.train;

import java.nio.file.Path;

/** A checkpoint file that is truncated, damaged, no checkpoint at all, or holds NaN or infinite parameters. */
public final class CorruptCheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    CorruptCheckpointException(Path file, String reason, Throwable cause) {
        this(file, cause, "checkpoint " + file + " is damaged or incomplete (" + reason + "); give a checkpoint"
                + " written by train, finetune or import (a run directory's best.zip or ckpt-*.zip)");
    }

    private CorruptCheckpointException(Path file, Throwable cause, String message) {
        super(message, cause);
        this.file = file;
    }

    /** A checkpoint whose {@code what} (as {@link Checkpoint#nonFinite} names it) holds NaN or infinite values. */
    static CorruptCheckpointException nonFinite(Path file, String what) {
        return new CorruptCheckpointException(file, null, "checkpoint " + file + " is unusable: its " + what
                + " holds NaN or infinite values, so the training that wrote it had diverged; use an earlier"
                + " checkpoint of that run, or train again with a lower learning rate");
    }

    public Path file() {
        return file;
    }
}
