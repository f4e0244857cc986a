package io.github.visionzoo.imagenette;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The label-noise levels of fast.ai's {@code noisy_imagenette.csv}: the training labels of column
 * {@code noisy_labels_P}, in which about P % of the training images carry a wrong label. Validation labels are always
 * the clean folder labels, as in the table's {@code is_valid} rows.
 */
public enum LabelNoise {
    /** Clean labels (the folder labels; {@code noisy_labels_0} equals them). */
    NONE(0),
    /** 1 % noisy training labels. */
    PCT_1(1),
    /** 5 % noisy training labels. */
    PCT_5(5),
    /** 25 % noisy training labels. */
    PCT_25(25),
    /** 50 % noisy training labels. */
    PCT_50(50);

    private final int percent;

    LabelNoise(int percent) {
        this.percent = percent;
    }

    /** The noise level in percent. */
    public int percent() {
        return percent;
    }

    /** The column of {@code noisy_imagenette.csv} holding these labels. */
    public String column() {
        return "noisy_labels_" + percent;
    }

    /**
     * The level for a percentage.
     *
     * @throws IllegalArgumentException unless {@code percent} is 0, 1, 5, 25 or 50
     */
    public static LabelNoise ofPercent(int percent) {
        for (LabelNoise n : values()) {
            if (n.percent == percent) {
                return n;
            }
        }
        throw new IllegalArgumentException("Unknown label-noise level " + percent + " %; the official levels are "
                + Arrays.stream(values()).map(n -> n.percent + "").collect(Collectors.joining(", ")) + " %");
    }
}
