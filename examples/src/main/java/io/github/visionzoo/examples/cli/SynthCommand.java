package io.github.visionzoo.examples.cli;

import io.github.visionzoo.imagenette.SyntheticImagenette;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code synth --to DIR}: writes the synthetic Imagenette (real JPEGs in the official layout). */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write the synthetic Imagenette: 10 learnable classes of drawn shapes as JPEG files in the "
                + "official imagenette2 layout (train/val/<wnid>/*.JPEG and noisy_imagenette.csv).")
public final class SynthCommand implements Callable<Integer> {
    /** Ten times Imagenette's training images per class: enough for any experiment, and a bound on the disk used. */
    static final int MAX_PER_CLASS = 10_000;

    @Option(names = "--to", required = true, paramLabel = "DIR", description = "A new or empty folder.")
    Path to;

    @Option(names = "--train-per-class", defaultValue = "" + DataDefaults.TRAIN_PER_CLASS,
            description = "Training images per class (default: ${DEFAULT-VALUE}).")
    int trainPerClass;

    @Option(names = "--val-per-class", defaultValue = "" + DataDefaults.VAL_PER_CLASS,
            description = "Validation images per class (default: ${DEFAULT-VALUE}).")
    int valPerClass;

    @Option(names = "--size", defaultValue = "" + DataDefaults.SYNTH_SIZE,
            description = "Image side in pixels (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // a class without training or validation images makes a set that train cannot use
        Limits.range("--train-per-class", trainPerClass, 1, MAX_PER_CLASS, "Imagenette has about 950");
        Limits.range("--val-per-class", valPerClass, 1, MAX_PER_CLASS, "Imagenette has about 390");
        Limits.range("--size", size, SyntheticImagenette.MIN_SIZE, Limits.MAX_IMAGE_SIZE, "");
        if (Files.exists(to) && (!Files.isDirectory(to) || hasEntries(to))) {
            throw new IllegalArgumentException("--to " + to + " is not a new or empty folder; give one that is");
        }
        Path root = DataDefaults.synthetic(trainPerClass, valPerClass, size, seed).writeTo(to);
        spec.commandLine().getOut().printf("synthetic Imagenette (%d train + %d val images of %d px) written to %s%n",
                10 * trainPerClass, 10 * valPerClass, size, root);
        return 0;
    }

    private static boolean hasEntries(Path dir) throws java.io.IOException {
        try (var entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        }
    }

    /** The defaults of the embedded data set, shared with {@code train}. */
    public static final class DataDefaults {
        public static final int TRAIN_PER_CLASS = 200;
        public static final int VAL_PER_CLASS = 50;
        public static final int SYNTH_SIZE = 80;

        private DataDefaults() {
        }

        public static SyntheticImagenette synthetic(int trainPerClass, int valPerClass, int size, long seed) {
            return SyntheticImagenette.builder().trainPerClass(trainPerClass).valPerClass(valPerClass)
                    .imageSize(size).seed(seed).build();
        }
    }
}
