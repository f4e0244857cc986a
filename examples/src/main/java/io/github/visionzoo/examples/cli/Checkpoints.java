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
                    + "train, finetune or import (a run directory's best.zip or ckpt-*.zip)");
        }
        return Checkpoint.load(file);
    }

    /** The input size the checkpoint's model was trained or imported at. */
    static int inputSize(String option, Checkpoint checkpoint) {
        Integer size = checkpoint.info().inputSize();
        if (size == null) {
            throw new IllegalArgumentException(option + " " + checkpoint.file() + " is a plain DL4J model zip, which"
                    + " records neither the model's spec nor its input size; make it a checkpoint with 'export"
                    + " --checkpoint " + checkpoint.file() + " --to FILE.safetensors' and 'import --from"
                    + " FILE.safetensors --model NAME --to CHECKPOINT'");
        }
        return size;
    }
}
