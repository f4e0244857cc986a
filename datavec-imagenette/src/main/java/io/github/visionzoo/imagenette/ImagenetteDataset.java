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
 * The file list of one split of an image folder, with labels: Imagenette, or any folder of classes laid out as
 * torchvision's {@code ImageFolder} reads it ({@code ROOT/train/<class>/*.jpg}, {@code ROOT/val/<class>/*.png}).
 *
 * <p>Follows {@code ImageFolder}: classes are the sorted class folders (any names), files are found recursively
 * under each class folder (following links) and sorted by folder then name, and only files with the extensions
 * {@code ImageFolder} accepts (.jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp, any case) are listed. Hidden entries
 * (names starting with '.') are ignored. Departs from {@code ImageFolder} in being strict where a mistake would
 * silently change the label indices: a split needs at least two class folders, and a split whose folders include
 * an Imagenette class (a WordNet id of {@link Imagenette#WNIDS}) is Imagenette's and must hold exactly its ten class
 * folders, so a missing class or a stray folder fails at once with an {@link ImagenetteLayoutException}.
 * {@link #classesOf} and {@link #isImagePath} are that rule for other file systems (the Spark source lists Hadoop
 * paths with them).
 *
 * <p>With label noise (Imagenette only), the training labels come from column {@code noisy_labels_P} of
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
     * @param noise training-label noise; needs Imagenette's folders and {@code ROOT/noisy_imagenette.csv} unless
     *              {@link LabelNoise#NONE}; ignored for {@link Split#VAL}, whose labels are always clean
     * @throws ImagenetteLayoutException if the root or the split folder is missing, the split has fewer than two
     *                                   class folders, Imagenette's folders are incomplete or mixed with others, the
     *                                   split has no image file, or label noise is asked of a folder without
     *                                   Imagenette's noisy-label table for its training images
     * @throws UncheckedIOException      if the folders cannot be listed
     */
    public static ImagenetteDataset open(Path root, Split split, LabelNoise noise) {
        Path r = root.toAbsolutePath().normalize();
        List<String> classes = checkLayout(r, split);
        List<Sample> raw = listFiles(r, split, classes);
        requireImages(r.toString(), split, raw.size());
        List<Sample> labelled = raw;
        if (noise != LabelNoise.NONE && split == Split.TRAIN) {
            if (!classes.equals(Imagenette.WNIDS)) {
                throw new ImagenetteLayoutException("Label noise " + noise.percent() + " % relabels Imagenette's"
                        + " training images from " + Imagenette.NOISY_LABELS_CSV + "; " + r.resolve(split.folder())
                        + " holds other classes " + describe(classes) + ", so train it with label noise 0.");
            }
            labelled = applyNoisyLabels(r, noise, raw);
        }
        return new ImagenetteDataset(r, split, noise, classes, new ArrayList<>(labelled));
    }

    /**
     * Checks that {@code ROOT/<split>} holds class folders ({@link #classesOf}) and returns them in label order.
     *
     * @throws ImagenetteLayoutException describing what is missing or unexpected, and what was found
     */
    public static List<String> checkLayout(Path root, Split split) {
        if (!Files.isDirectory(root)) {
            String found = Files.exists(root) ? "a file, not a folder" : "nothing (it does not exist)";
            throw new ImagenetteLayoutException("Data folder " + root + " is missing: found " + found + ".");
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
            throw new ImagenetteLayoutException("Data folder " + root + " has no '" + split.folder()
                    + "' split folder. Found in the root: " + describe(entries) + "." + hint);
        }
        return classesOf(splitDir.toString(), entries(splitDir));
    }

    /**
     * The classes of a split folder, in label order, from what it holds: its sub-folders, sorted as Python sorts
     * strings ({@code ImageFolder}'s order); exactly {@link Imagenette#WNIDS} when any of them is an Imagenette class.
     * Files in the split folder itself are not images of any class and are ignored, as {@code ImageFolder} does.
     *
     * @param splitDir the split folder, for messages
     * @param entries  its non-hidden entries, folders with a trailing '/'
     * @throws ImagenetteLayoutException when there are fewer than two class folders, or Imagenette's class folders
     *                                   are incomplete or beside others
     */
    public static List<String> classesOf(String splitDir, List<String> entries) {
        List<String> folders = new ArrayList<>();
        for (String e : entries) {
            if (e.endsWith("/")) {
                folders.add(e.substring(0, e.length() - 1));
            }
        }
        folders.sort(null);
        if (folders.stream().anyMatch(Imagenette.WNIDS::contains)) {
            List<String> missing = Imagenette.WNIDS.stream().filter(w -> !folders.contains(w)).toList();
            List<String> unknown = folders.stream().filter(f -> !Imagenette.WNIDS.contains(f)).toList();
            if (!missing.isEmpty() || !unknown.isEmpty()) {
                throw new ImagenetteLayoutException("Imagenette split folder " + splitDir + ":"
                        + (missing.isEmpty() ? "" : " missing class folder(s) " + missing + ";")
                        + (unknown.isEmpty() ? "" : " unknown folder(s) " + unknown + " (not Imagenette classes);")
                        + " found: " + describe(entries) + ".");
            }
            return Imagenette.WNIDS;
        }
        if (folders.size() < 2) {
            throw new ImagenetteLayoutException("Split folder " + splitDir + " has "
                    + (folders.isEmpty() ? "no class folder" : "one class folder only")
                    + ": a classifier needs a folder of images per class, at least two. Found: " + describe(entries)
                    + ".");
        }
        return List.copyOf(folders);
    }

    /**
     * Whether a file, by its '/'-separated path inside a class folder, is listed as an image: no hidden part and one
     * of {@link #IMAGE_EXTENSIONS}.
     */
    public static boolean isImagePath(String pathInClass) {
        for (String part : pathInClass.split("/")) {
            if (part.startsWith(".")) {
                return false;
            }
        }
        int dot = pathInClass.lastIndexOf('.');
        return dot >= 0 && IMAGE_EXTENSIONS.contains(pathInClass.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * {@code ImageFolder}'s order of the images of a class ({@code sorted(os.walk(...))}, then {@code sorted(fnames)}),
     * on their '/'-separated paths inside the class folder: by folder, then by name.
     */
    public static final Comparator<String> IMAGE_ORDER = Comparator.comparing(ImagenetteDataset::parentOf)
            .thenComparing(p -> p.substring(p.lastIndexOf('/') + 1));

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    /**
     * Refuses a split in which no image was listed.
     *
     * @param root   the data root, for the message
     * @param images the images listed
     */
    public static void requireImages(String root, Split split, int images) {
        if (images == 0) {
            throw new ImagenetteLayoutException("Data folder " + root + ": the " + split.folder()
                    + " split has no image file (extensions " + new TreeSet<>(IMAGE_EXTENSIONS) + ").");
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

    private static List<Sample> listFiles(Path root, Split split, List<String> classes) {
        List<Sample> out = new ArrayList<>();
        Path splitDir = root.resolve(split.folder());
        for (int c = 0; c < classes.size(); c++) {
            Path classDir = splitDir.resolve(classes.get(c));
            List<String> files;
            try (Stream<Path> s = Files.walk(classDir, FileVisitOption.FOLLOW_LINKS)) {
                files = s.filter(Files::isRegularFile)
                        .map(p -> classDir.relativize(p).toString().replace('\\', '/'))
                        .filter(ImagenetteDataset::isImagePath)
                        .sorted(IMAGE_ORDER)
                        .collect(Collectors.toList());
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot list " + classDir, e);
            }
            for (String f : files) {
                String rel = split.folder() + "/" + classes.get(c) + "/" + f;
                out.add(new Sample(out.size(), classDir.resolve(f), rel, c, c));
            }
        }
        return out;
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

    /** The class folders' names in label order (WordNet ids for Imagenette): all, or the selected subset. */
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
