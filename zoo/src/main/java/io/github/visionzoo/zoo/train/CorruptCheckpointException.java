package io.github.visionzoo.zoo.train;

import java.nio.file.Path;

/** A checkpoint file that is truncated, damaged or no checkpoint at all. */
public final class CorruptCheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    CorruptCheckpointException(Path file, String reason, Throwable cause) {
        super("checkpoint " + file + " is damaged or incomplete (" + reason + "); give a checkpoint written by the"
                + " trainer (a run directory's best.zip or ckpt-*.zip)", cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
