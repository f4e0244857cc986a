package io.github.visionzoo.imagenette;

import java.util.Locale;

/** The two splits of the official archives, each a folder under the data set root. */
public enum Split {
    /** {@code ROOT/train}: 9,469 images in the real data set. */
    TRAIN("train"),
    /** {@code ROOT/val}: 3,925 images in the real data set. */
    VAL("val");

    private final String folder;

    Split(String folder) {
        this.folder = folder;
    }

    /** The folder name under the root. */
    public String folder() {
        return folder;
    }

    /** Parses {@code train}/{@code val} (case-insensitive; {@code valid} and {@code validation} also mean val). */
    public static Split parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "train":
                return TRAIN;
            case "val":
            case "valid":
            case "validation":
                return VAL;
            default:
                throw new IllegalArgumentException("Unknown split '" + s + "'; known: train, val");
        }
    }
}
