package io.github.visionzoo.imagenette;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The label-noise levels of fast.ai's {@code noisy_imagenette.csv}: the training labels of column
 * {@code noisy_labels_P}, in which about P % of the training images carry a wrong label. Validation labels are always
 * the clean folder labels, as in the table's {@code is_valid} rows. {@link Imagenette#open(Path, Split, LabelNoise)}
 * reads them.
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

    /**
     * The training samples with this level's labels from {@code ROOT/noisy_imagenette.csv}.
     *
     * @throws ImagenetteLayoutException when the table is missing or malformed, or lacks a row of a sample
     */
    List<Sample> relabel(Path root, List<Sample> samples) {
        Map<String, String> table = table(root);
        List<Sample> out = new ArrayList<>(samples.size());
        List<String> notInTable = new ArrayList<>();
        for (Sample s : samples) {
            String wnid = table.get(s.relativePath());
            if (wnid == null) {
                notInTable.add(s.relativePath());
                continue;
            }
            out.add(new Sample(s.index(), s.file(), s.relativePath(), s.folderLabel(), Imagenette.WNIDS.indexOf(wnid)));
        }
        if (!notInTable.isEmpty()) {
            throw new ImagenetteLayoutException(notInTable.size() + " training image(s) have no row in "
                    + root.resolve(Imagenette.NOISY_LABELS_CSV) + ", e.g. "
                    + notInTable.subList(0, Math.min(3, notInTable.size()))
                    + "; the table must list every training image to train with label noise.");
        }
        return out;
    }

    /** This level's column of the table for the training rows: {@code path -> wnid}. */
    Map<String, String> table(Path root) {
        Path csv = root.resolve(Imagenette.NOISY_LABELS_CSV);
        if (!Files.isRegularFile(csv)) {
            throw new ImagenetteLayoutException("Label noise " + percent + " % needs " + csv
                    + ", which is missing. Found in the root: " + ImageFolder.describe(root) + ".");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + csv, e);
        }
        if (lines.isEmpty()) {
            throw new ImagenetteLayoutException(csv + " is empty.");
        }
        List<String> header = splitCsv(lines.get(0));
        int pathCol = header.indexOf("path");
        int labelCol = header.indexOf(column());
        if (pathCol < 0 || labelCol < 0) {
            throw new ImagenetteLayoutException(csv + " lacks column 'path' or '" + column()
                    + "'; its header is " + header + ".");
        }
        Map<String, String> out = new HashMap<>();
        Set<String> bad = new LinkedHashSet<>();
        String prefix = Split.TRAIN.folder() + "/";
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            List<String> cells = splitCsv(line);
            if (cells.size() <= Math.max(pathCol, labelCol)) {
                throw new ImagenetteLayoutException(csv + " line " + (i + 1) + " has " + cells.size()
                        + " columns, expected " + header.size() + ": " + line);
            }
            String path = cells.get(pathCol).replace('\\', '/');
            if (!path.startsWith(prefix)) {
                continue;
            }
            String wnid = cells.get(labelCol);
            if (!Imagenette.WNIDS.contains(wnid)) {
                bad.add(wnid);
            }
            out.put(path, wnid);
        }
        if (!bad.isEmpty()) {
            throw new ImagenetteLayoutException(csv + " column " + column() + " has label(s) " + bad
                    + " that are not Imagenette classes.");
        }
        return out;
    }

    private static List<String> splitCsv(String line) {
        List<String> cells = new ArrayList<>(Arrays.asList(line.split(",", -1)));
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i).trim();
            if (c.length() >= 2 && c.startsWith("\"") && c.endsWith("\"")) {
                c = c.substring(1, c.length() - 1);
            }
            cells.set(i, c);
        }
        return cells;
    }
}
