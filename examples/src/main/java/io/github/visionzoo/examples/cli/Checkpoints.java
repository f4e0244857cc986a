package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loading the checkpoints the commands are given, with errors that name the option. */
final class Checkpoints {
    private Checkpoints() {
    }

    static Checkpoint load(String option, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + " " + file + " is not a file; give a checkpoint written by "
                    + "train (a run directory's best.zip or ckpt-*.zip)");
        }
        return Checkpoint.load(file);
    }
}
