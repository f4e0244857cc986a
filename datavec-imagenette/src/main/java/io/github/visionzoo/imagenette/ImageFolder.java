package io.github.visionzoo.imagenette;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * One split of an image folder of classes, with labels, as torchvision's and DJL's {@code ImageFolder} read it
 * ({@code ROOT/train/<class>/*.jpg}, {@code ROOT/val/<class>/*.png}): any class folders, Imagenette's being one.
 *
 * <p>The listing rule follows torchvision: classes are the sorted class folders (any names), files are found
 * recursively under each class folder (following links) and sorted by folder then name, and only files with the
 * extensions {@code ImageFolder} accepts (.jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp, any case) are listed. Hidden
 * entries (names starting with '.') are ignored. It departs from torchvision in being strict where a mistake would
 * silently change the label indices: a split needs at least two class folders, and a split whose folders include an
 * Imagenette class must be Imagenette's ({@link Imagenette#checkClassFolders}). {@link #list(Tree, String, Split)} is
 * that rule for any file system: {@link #open} reads the local one, the Spark source Hadoop's.
 *
 * <p>Imagenette's noisy training labels come with {@link Imagenette#open(Path, Split, LabelNoise)}.
 *
 * <p>Instances are immutable; {@link #selectClasses} and {@link #limitPerClass} return new ones.
 */
public final class ImageFolder {

    /** File extensions torchvision's {@code ImageFolder} accepts (lower case, without the dot). */
    public static final Set<String> IMAGE_EXTENSIONS =
            Set.of("jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp");

    /**
     * {@code ImageFolder}'s order of the images of a class ({@code sorted(os.walk(...))}, then {@code sorted(fnames)}),
     * on their '/'-separated paths inside the class folder: by folder, then by name.
     */
    public static final Comparator<String> IMAGE_ORDER = Comparator.comparing(ImageFolder::parentOf)
            .thenComparing(p -> p.substring(p.lastIndexOf('/') + 1));

    /**
     * What the listing reads of a file system, so that every source lists a folder by the same rule: the local one
     * ({@link #LOCAL}), or Hadoop's for the Spark source. Paths and locations are strings in the file system's own
     * form.
     */
    public interface Tree {
        /** Whether anything is at {@code path}. */
        boolean exists(String path) throws IOException;

        /** Whether {@code path} is a folder (following links). */
        boolean isFolder(String path) throws IOException;

        /** The names in {@code folder}, those of folders with a trailing '/', in any order. */
        List<String> list(String folder) throws IOException;

        /**
         * Every regular file at any depth below {@code folder} (following links): its '/'-separated path relative to
         * {@code folder}, and the location the readers open.
         */
        Map<String, String> files(String folder) throws IOException;

        /** The path of {@code name} in {@code folder}. */
        String resolve(String folder, String name);
    }

    /** The local file system; its locations are paths. */
    public static final Tree LOCAL = new Tree() {
        @Override
        public boolean exists(String path) {
            return Files.exists(Path.of(path));
        }

        @Override
        public boolean isFolder(String path) {
            return Files.isDirectory(Path.of(path));
        }

        @Override
        public List<String> list(String folder) throws IOException {
            try (Stream<Path> s = Files.list(Path.of(folder))) {
                return s.map(p -> p.getFileName() + (Files.isDirectory(p) ? "/" : "")).toList();
            }
        }

        @Override
        public Map<String, String> files(String folder) throws IOException {
            Path dir = Path.of(folder);
            Map<String, String> out = new LinkedHashMap<>();
            try (Stream<Path> s = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
                s.filter(Files::isRegularFile).forEach(p -> out.put(dir.relativize(p).toString().replace('\\', '/'),
                        p.toString()));
            }
            return out;
        }

        @Override
        public String resolve(String folder, String name) {
            return Path.of(folder).resolve(name).toString();
        }
    };

    /**
     * One image as listed.
     *
     * @param index        position in the split's sorted file list, as {@link Sample#index()}
     * @param relativePath path relative to the root, '/'-separated, as {@link Sample#relativePath()}
     * @param location     where the readers open it: a path, or a URI for Hadoop
     * @param label        index of its class folder
     */
    public record Entry(int index, String relativePath, String location, int label) implements Serializable {
    }

    /** A split as listed: its class folders in label order, and its images in file order. */
    public record Listing(List<String> classes, List<Entry> entries) {
        public Listing {
            classes = List.copyOf(classes);
            entries = List.copyOf(entries);
        }
    }

    private final Path root;
    private final Split split;
    private final LabelNoise noise;
    private final List<String> classes;
    private final List<Sample> samples;

    private ImageFolder(Path root, Split split, LabelNoise noise, List<String> classes, List<Sample> samples) {
        this.root = root;
        this.split = split;
        this.noise = noise;
        this.classes = List.copyOf(classes);
        this.samples = Collections.unmodifiableList(samples);
    }

    /**
     * Opens a split, checking the layout.
     *
     * @param root  the data set root, e.g. the {@code imagenette2-320} folder of the extracted archive
     * @param split which split
     * @throws ImagenetteLayoutException if the root or the split folder is missing, the split has fewer than two
     *                                   class folders, Imagenette's folders are incomplete or mixed with others, or
     *                                   the split has no image file
     * @throws UncheckedIOException      if the folders cannot be listed
     */
    public static ImageFolder open(Path root, Split split) {
        Path r = root.toAbsolutePath().normalize();
        Listing listing = list(LOCAL, r.toString(), split);
        List<Sample> samples = new ArrayList<>(listing.entries().size());
        for (Entry e : listing.entries()) {
            samples.add(new Sample(e.index(), Path.of(e.location()), e.relativePath(), e.label(), e.label()));
        }
        return new ImageFolder(r, split, LabelNoise.NONE, listing.classes(), samples);
    }

    /**
     * Lists a split of the folder at {@code root} in {@code tree}: the one listing rule of every source.
     *
     * @throws ImagenetteLayoutException as {@link #open}
     * @throws UncheckedIOException      if the folders cannot be listed
     */
    public static Listing list(Tree tree, String root, Split split) {
        try {
            List<String> classes = classes(tree, root, split);
            String splitDir = tree.resolve(root, split.folder());
            List<Entry> entries = new ArrayList<>();
            for (int c = 0; c < classes.size(); c++) {
                Map<String, String> files = tree.files(tree.resolve(splitDir, classes.get(c)));
                List<String> images = files.keySet().stream().filter(ImageFolder::isImagePath).sorted(IMAGE_ORDER)
                        .toList();
                for (String image : images) {
                    entries.add(new Entry(entries.size(), split.folder() + "/" + classes.get(c) + "/" + image,
                            files.get(image), c));
                }
            }
            if (entries.isEmpty()) {
                throw new ImagenetteLayoutException("Data folder " + root + ": the " + split.folder()
                        + " split has no image file (extensions " + new TreeSet<>(IMAGE_EXTENSIONS) + ").");
            }
            return new Listing(classes, entries);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks that {@code ROOT/<split>} holds class folders ({@link #classesOf}) and returns them in label order.
     *
     * @throws ImagenetteLayoutException describing what is missing or unexpected, and what was found
     */
    public static List<String> checkLayout(Path root, Split split) {
        try {
            return classes(LOCAL, root.toString(), split);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    private static List<String> classes(Tree tree, String root, Split split) throws IOException {
        if (!tree.isFolder(root)) {
            String found = tree.exists(root) ? "a file, not a folder" : "nothing (it does not exist)";
            throw new ImagenetteLayoutException("Data folder " + root + " is missing: found " + found + ".");
        }
        String splitDir = tree.resolve(root, split.folder());
        if (!tree.isFolder(splitDir)) {
            List<String> entries = entries(tree, root);
            String hint = "";
            for (String e : entries) {
                String child = e.endsWith("/") ? tree.resolve(root, e.substring(0, e.length() - 1)) : null;
                if (child != null && tree.isFolder(tree.resolve(child, split.folder()))) {
                    hint = "\nDid you mean the root " + child + " ?";
                    break;
                }
            }
            throw new ImagenetteLayoutException("Data folder " + root + " has no '" + split.folder()
                    + "' split folder. Found in the root: " + describe(entries) + "." + hint);
        }
        return classesOf(splitDir, entries(tree, splitDir));
    }

    /**
     * The classes of a split folder, in label order, from what it holds: its sub-folders, sorted as Python sorts
     * strings ({@code ImageFolder}'s order); Imagenette's when they are ({@link Imagenette#checkClassFolders}). Files
     * in the split folder itself are not images of any class and are ignored, as {@code ImageFolder} does.
     *
     * @param splitDir the split folder, for messages
     * @param entries  its non-hidden entries, sorted, folders with a trailing '/'
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
        if (Imagenette.checkClassFolders(splitDir, folders, describe(entries))) {
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

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    /** Non-hidden entries of a folder, sorted, folders with a trailing '/'. */
    private static List<String> entries(Tree tree, String folder) throws IOException {
        return tree.list(folder).stream().filter(e -> !e.startsWith(".")).sorted().toList();
    }

    /** What a local folder holds, for messages. */
    static String describe(Path folder) {
        try {
            return describe(entries(LOCAL, folder.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + folder, e);
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

    /** This split with other training labels, as {@link Imagenette#open(Path, Split, LabelNoise)} reads them. */
    ImageFolder withLabels(LabelNoise noise, List<Sample> relabelled) {
        return new ImageFolder(root, split, noise, classes, new ArrayList<>(relabelled));
    }

    /**
     * Keeps only the images whose training label is one of {@code names}, and re-indexes the labels to the sorted
     * subset: label {@code i} of the result is the {@code i}-th of the selected classes in sorted order. With label
     * noise the selection goes by the noisy label, so an image from another folder that carries a selected noisy
     * label is kept, as it would be when training on that table.
     *
     * @throws IllegalArgumentException if {@code names} is empty or names a class that is not in this data set
     */
    public ImageFolder selectClasses(Collection<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("The class subset is empty; choose among " + classes);
        }
        TreeSet<String> sel = new TreeSet<>();
        for (String w : names) {
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
        return new ImageFolder(root, split, noise, newClasses, out);
    }

    /** Keeps the first {@code n} images (in file order) of each training label. */
    public ImageFolder limitPerClass(int n) {
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
        return new ImageFolder(root, split, noise, classes, out);
    }

    /** The data set root (absolute, normalized). */
    public Path root() {
        return root;
    }

    public Split split() {
        return split;
    }

    /** The label noise the training labels were taken with: {@link LabelNoise#NONE} but for Imagenette's. */
    public LabelNoise noise() {
        return noise;
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
        return "ImageFolder[" + root + ", " + split.folder() + ", " + size() + " images, " + numClasses()
                + " classes, noise " + noise.percent() + " %]";
    }
}
