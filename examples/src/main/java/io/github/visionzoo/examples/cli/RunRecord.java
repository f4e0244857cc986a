package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.AtomicFiles;
import io.github.visionzoo.zoo.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code train} and {@code spark-train} record in a run directory besides the trainer's files, as
 * {@value #FILE}: where the run's data came from, with what tells a changed set (the class list and the images of each
 * split), and {@code train}'s workers. {@code --resume} trains on that data again, and refuses to go on when it is
 * gone or no longer the same.
 *
 * @param data        the data root: an absolute path or a Hadoop URI, or, for the synthetic set written into the run
 *                    directory, its folder relative to the run directory (so the run directory can move)
 * @param synthetic   whether {@code data} is that synthetic set
 * @param classes     the class names in label order
 * @param trainImages images in the training split
 * @param valImages   images in the validation split
 * @param workers     {@code train --workers}; null for {@code spark-train}, whose workers are in the recipe
 */
public record RunRecord(String data, boolean synthetic, List<String> classes, int trainImages, int valImages,
                        Integer workers) {
    /** The file in the run directory. */
    public static final String FILE = "run.json";

    public RunRecord {
        classes = classes == null ? List.of() : List.copyOf(classes);
    }

    /** The record of data found at {@code root}: the synthetic set of the run directory, or a folder or URI. */
    static RunRecord of(String root, boolean synthetic, List<String> classes, int trainImages, int valImages,
                        Integer workers) {
        String data = synthetic ? ImagenetteData.SYNTHETIC_FOLDER
                : isUri(root) ? root : Path.of(root).toAbsolutePath().normalize().toString();
        return new RunRecord(data, synthetic, classes, trainImages, valImages, workers);
    }

    /** The record in {@code runDir}, or null when it has none (a run of a visionzoo before this file). */
    static RunRecord read(Path runDir) {
        Path file = runDir.resolve(FILE);
        return Files.exists(file) ? Json.read(file, RunRecord.class) : null;
    }

    void write(Path runDir) {
        try {
            AtomicFiles.writeString(runDir.resolve(FILE), Json.write(this));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runDir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /** Where the data is: {@link #data()}, the synthetic folder resolved against {@code runDir}. */
    String root(Path runDir) {
        return synthetic ? runDir.resolve(data).toString() : data;
    }

    /**
     * Refuses {@code found}, the data found where the run is resumed, unless it has this record's classes and images
     * per split.
     */
    void requireSameData(RunRecord found, Path runDir) {
        List<String> differences = new ArrayList<>();
        if (!found.classes.equals(classes)) {
            differences.add("classes " + found.classes + " where the run had " + classes);
        }
        if (found.trainImages != trainImages) {
            differences.add(found.trainImages + " train images where the run had " + trainImages);
        }
        if (found.valImages != valImages) {
            differences.add(found.valImages + " val images where the run had " + valImages);
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("the data at " + found.root(runDir) + " is not the data the run in "
                    + runDir + " trained on (" + runDir.resolve(FILE) + "): " + String.join(", ", differences)
                    + "; resume with that data, giving --data where it is now if it has moved");
        }
    }

    /** Whether {@code root} is a Hadoop URI ({@code hdfs://...}) rather than a local path. */
    static boolean isUri(String root) {
        return root.contains(":");
    }
}
