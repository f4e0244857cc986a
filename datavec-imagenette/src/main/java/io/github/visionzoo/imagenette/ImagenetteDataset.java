package io.github.visionzoo.imagenette;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The file list of one split of an Imagenette folder, with labels.
 *
 * <p>Follows torchvision's {@code ImageFolder}: classes are the sorted class folders, files are found recursively
 * under each class folder (following links) and sorted by folder then name, and only files with the extensions
 * {@code ImageFolder} accepts (.jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp, any case) are listed. Hidden entries
 * (names starting with '.') are ignored. Departs from {@code ImageFolder} in being strict about the layout: the split
 * folder must hold exactly the ten Imagenette class folders, so a wrong root, a missing class or a stray folder
 * fails at once with an {@link ImagenetteLayoutException} instead of silently changing the label indices.
 *
 * <p>With label noise, the training labels come from column {@code noisy_labels_P} of
 * {@code ROOT/noisy_imagenette.csv} (fast.ai's table: {@code path, noisy_labels_0, noisy_labels_1, noisy_labels_5,
 * noisy_labels_25, noisy_labels_50, is_valid}). Validation images always keep their folder label.
 *
 * <p>Instances are immutable; {@link #selectClasses} and {@link #limitPerClass} return new ones.
 */
public final class ImagenetteDataset {

    /** File extensions torchvision's {@code ImageFolder} accepts (lower case, without the dot). */
    public static final Set<String> IMAGE_EXTENSIONS =
            Set.of("jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp");

    private final Path root;
    private final Split split;
    private final LabelNoise noise;
    private final List<String> classes;
    private final List<Sample> samples;

    private ImagenetteDataset(Path root, Split split, LabelNoise noise, List<String> classes, List<Sample> samples) {
        this.root = root;
        this.split = split;
        this.noise = noise;
        this.classes = List.copyOf(classes);
        this.samples = Collections.unmodifiableList(samples);
    }

    /** Opens a split with clean labels. */
    public static ImagenetteDataset open(Path root, Split split) {
        return open(root, split, LabelNoise.NONE);
    }

    /**
     * Opens a split, checking the layout.
     *
     * @param root  the data set root, e.g. the {@code imagenette2-320} folder of the extracted archive
     * @param split which split
     * @param noise training-label noise; needs {@code ROOT/noisy_imagenette.csv} unless {@link LabelNoise#NONE};
     *              ignored for {@link Split#VAL}, whose labels are always clean
     * @throws ImagenetteLayoutException if the root, the split folder or a class folder is missing, a folder that is
     *                                   not an Imagenette class is present, the split has no image file, or the
     *                                   noisy-label table is missing or does not cover the training images
     * @throws UncheckedIOException      if the folders cannot be listed
     */
    public static ImagenetteDataset open(Path root, Split split, LabelNoise noise) {
        Path r = root.toAbsolutePath().normalize();
        checkLayout(r, split);
        List<Sample> raw = listFiles(r, split);
        if (raw.isEmpty()) {
            throw new ImagenetteLayoutException("Imagenette folder " + r + ": the " + split.folder()
                    + " split has no image file (extensions " + new TreeSet<>(IMAGE_EXTENSIONS) + ").");
        }
        List<Sample> labelled = raw;
        if (noise != LabelNoise.NONE && split == Split.TRAIN) {
            labelled = applyNoisyLabels(r, noise, raw);
        }
        return new ImagenetteDataset(r, split, noise, Imagenette.WNIDS, new ArrayList<>(labelled));
    }

    /**
     * Checks that {@code ROOT/<split>} holds exactly the ten class folders.
     *
     * @throws ImagenetteLayoutException describing what is missing or unexpected, and what was found
     */
    public static void checkLayout(Path root, Split split) {
        if (!Files.isDirectory(root)) {
            String found = Files.exists(root) ? "a file, not a folder" : "nothing (it does not exist)";
            throw new ImagenetteLayoutException("Imagenette root " + root + " is missing: found " + found + ".");
        }
        Path splitDir = root.resolve(split.folder());
        if (!Files.isDirectory(splitDir)) {
            List<String> entries = entries(root);
            String hint = "";
            for (String e : entries) {
                if (e.endsWith("/") && Files.isDirectory(root.resolve(e).resolve(split.folder()))) {
                    hint = "\nDid you mean the root " + root.resolve(e.substring(0, e.length() - 1)) + " ?";
                    break;
                }
            }
            throw new ImagenetteLayoutException("Imagenette root " + root + " has no '" + split.folder()
                    + "' split folder. Found in the root: " + describe(entries) + "." + hint);
        }
        List<String> entries = entries(splitDir);
        Set<String> folders = new TreeSet<>();
        for (String e : entries) {
            if (e.endsWith("/")) {
                folders.add(e.substring(0, e.length() - 1));
            }
        }
        List<String> missing = new ArrayList<>();
        for (String w : Imagenette.WNIDS) {
            if (!folders.contains(w)) {
                missing.add(w);
            }
        }
        List<String> unknown = folders.stream().filter(f -> !Imagenette.WNIDS.contains(f)).collect(Collectors.toList());
        if (!missing.isEmpty() || !unknown.isEmpty()) {
            StringBuilder sb = new StringBuilder("Imagenette split folder ").append(splitDir).append(":");
            if (!missing.isEmpty()) {
                sb.append(" missing class folder(s) ").append(missing).append(";");
            }
            if (!unknown.isEmpty()) {
                sb.append(" unknown folder(s) ").append(unknown).append(" (not Imagenette classes);");
            }
            sb.append(" found: ").append(describe(entries)).append(".");
            throw new ImagenetteLayoutException(sb.toString());
        }
    }

    /** Non-hidden entries of a folder, sorted, folders with a trailing '/'. */
    private static List<String> entries(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .map(p -> p.getFileName().toString() + (Files.isDirectory(p) ? "/" : ""))
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
    }

    private static String describe(List<String> entries) {
        if (entries.isEmpty()) {
            return "nothing (empty folder)";
        }
        int max = 20;
        String shown = String.join(", ", entries.subList(0, Math.min(max, entries.size())));
        return "[" + shown + (entries.size() > max ? ", ... (" + entries.size() + " entries)" : "") + "]";
    }

    private static List<Sample> listFiles(Path root, Split split) {
        List<Sample> out = new ArrayList<>();
        Path splitDir = root.resolve(split.folder());
        for (int c = 0; c < Imagenette.NUM_CLASSES; c++) {
            Path classDir = splitDir.resolve(Imagenette.WNIDS.get(c));
            List<Path> files;
            try (Stream<Path> s = Files.walk(classDir, FileVisitOption.FOLLOW_LINKS)) {
                files = s.filter(p -> isImageFile(classDir, p)).collect(Collectors.toList());
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot list " + classDir, e);
            }
            // ImageFolder: sorted(os.walk(...)) then sorted(fnames): by folder, then by name.
            files.sort(Comparator.comparing((Path p) -> classDir.relativize(p.getParent()).toString())
                    .thenComparing(p -> p.getFileName().toString()));
            for (Path f : files) {
                String rel = root.relativize(f).toString().replace('\\', '/');
                out.add(new Sample(out.size(), f, rel, c, c));
            }
        }
        return out;
    }

    private static boolean isImageFile(Path classDir, Path p) {
        for (Path part : classDir.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return false;
            }
        }
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot >= 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT))
                && Files.isRegularFile(p);
    }

    private static List<Sample> applyNoisyLabels(Path root, LabelNoise noise, List<Sample> raw) {
        Map<String, String> table = readNoisyTable(root, noise);
        List<Sample> out = new ArrayList<>(raw.size());
        List<String> notInTable = new ArrayList<>();
        for (Sample s : raw) {
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

    /** Reads {@code path -> wnid} of one noise column for the training rows. */
    static Map<String, String> readNoisyTable(Path root, LabelNoise noise) {
        Path csv = root.resolve(Imagenette.NOISY_LABELS_CSV);
        if (!Files.isRegularFile(csv)) {
            throw new ImagenetteLayoutException("Label noise " + noise.percent() + " % needs " + csv
                    + ", which is missing. Found in the root: " + describe(entries(root)) + ".");
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
        int labelCol = header.indexOf(noise.column());
        if (pathCol < 0 || labelCol < 0) {
            throw new ImagenetteLayoutException(csv + " lacks column 'path' or '" + noise.column()
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
            throw new ImagenetteLayoutException(csv + " column " + noise.column() + " has label(s) " + bad
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

    /**
     * Keeps only the images whose training label is one of {@code wnids}, and re-indexes the labels to the sorted
     * subset: label {@code i} of the result is the {@code i}-th of the selected WordNet ids in sorted order. With
     * label noise the selection goes by the noisy label, so an image from another folder that carries a selected
     * noisy label is kept, as it would be when training on that table.
     *
     * @throws IllegalArgumentException if {@code wnids} is empty or names a class that is not in this data set
     */
    public ImagenetteDataset selectClasses(Collection<String> wnids) {
        if (wnids.isEmpty()) {
            throw new IllegalArgumentException("The class subset is empty; choose among " + classes);
        }
        TreeSet<String> sel = new TreeSet<>();
        for (String w : wnids) {
            if (!classes.contains(w)) {
                throw new IllegalArgumentException("'" + w + "' is not a class of this data set; classes: " + classes);
            }
            sel.add(w);
        }
        List<String> newClasses = new ArrayList<>(sel);
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            int j = newClasses.indexOf(classes.get(s.label()));
            if (j >= 0) {
                out.add(new Sample(s.index(), s.file(), s.relativePath(), s.folderLabel(), j));
            }
        }
        return new ImagenetteDataset(root, split, noise, newClasses, out);
    }

    /** Keeps the first {@code n} images (in file order) of each training label. */
    public ImagenetteDataset limitPerClass(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("limitPerClass must be >= 1, was " + n);
        }
        int[] taken = new int[classes.size()];
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (taken[s.label()]++ < n) {
                out.add(s);
            }
        }
        return new ImagenetteDataset(root, split, noise, classes, out);
    }

    /** The data set root (absolute, normalized). */
    public Path root() {
        return root;
    }

    public Split split() {
        return split;
    }

    /** The label noise the training labels were taken with ({@link LabelNoise#NONE} for val, whatever was asked). */
    public LabelNoise noise() {
        return split == Split.VAL ? LabelNoise.NONE : noise;
    }

    /** WordNet ids of the label indices: all ten, or the selected subset. */
    public List<String> classes() {
        return classes;
    }

    public int numClasses() {
        return classes.size();
    }

    /** The images, in file order (class folder, then path). */
    public List<Sample> samples() {
        return samples;
    }

    public int size() {
        return samples.size();
    }

    /** Number of images per training label. */
    public int[] classCounts() {
        int[] counts = new int[classes.size()];
        for (Sample s : samples) {
            counts[s.label()]++;
        }
        return counts;
    }

    @Override
    public String toString() {
        return "ImagenetteDataset[" + root + ", " + split.folder() + ", " + size() + " images, " + numClasses()
                + " classes, noise " + noise().percent() + " %]";
    }
}
