package io.github.visionzoo.imagenette;

import java.nio.file.Path;
import java.util.List;

/**
 * Imagenette, one image folder of classes ({@link ImageFolder}): its ten classes and their label indices, the check
 * of its layout, and its noisy training labels. {@link ImagenetteDownloader} fetches the official archives and
 * {@link SyntheticImagenette} writes a stand-in in the same layout.
 *
 * <p>Indices follow torchvision's {@code ImageFolder}: the class folders (WordNet ids) sorted as strings, so index
 * {@code i} here is the label torchvision, fastai and timm give the same image. The human-readable names are those of
 * the Imagenette README.
 */
public final class Imagenette {

    /** Number of classes. */
    public static final int NUM_CLASSES = 10;

    /** The WordNet ids, sorted, which is the label order. */
    public static final List<String> WNIDS = List.of(
            "n01440764", "n02102040", "n02979186", "n03000684", "n03028079",
            "n03394916", "n03417042", "n03425413", "n03445777", "n03888257");

    /** The class names, in label order. */
    public static final List<String> CLASS_NAMES = List.of(
            "tench", "English springer", "cassette player", "chain saw", "church",
            "French horn", "garbage truck", "gas pump", "golf ball", "parachute");

    /** Name of the noisy-label table at the root of the official archives. */
    public static final String NOISY_LABELS_CSV = "noisy_imagenette.csv";

    private Imagenette() {
    }

    /**
     * Opens a split with the training labels of a label-noise level: column {@code noisy_labels_P} of
     * {@code ROOT/noisy_imagenette.csv} (fast.ai's table: {@code path, noisy_labels_0, noisy_labels_1, noisy_labels_5,
     * noisy_labels_25, noisy_labels_50, is_valid}). Validation images always keep their folder label.
     *
     * @param noise training-label noise; {@link LabelNoise#NONE} reads any image folder as {@link ImageFolder#open}
     * @throws ImagenetteLayoutException as {@link ImageFolder#open}, and when label noise is asked of a folder that is
     *                                   not Imagenette's or lacks its noisy-label table for its training images
     */
    public static ImageFolder open(Path root, Split split, LabelNoise noise) {
        ImageFolder folder = ImageFolder.open(root, split);
        if (noise == LabelNoise.NONE || split == Split.VAL) {
            return folder;
        }
        if (!folder.classes().equals(WNIDS)) {
            throw new ImagenetteLayoutException("Label noise " + noise.percent() + " % relabels Imagenette's"
                    + " training images from " + NOISY_LABELS_CSV + "; " + folder.root().resolve(split.folder())
                    + " holds other classes " + folder.classes() + ", so train it with label noise 0.");
        }
        return folder.withLabels(noise, noise.relabel(folder.root(), folder.samples()));
    }

    /**
     * Imagenette's layout check, which {@link ImageFolder#classesOf} applies to every split folder: class folders
     * among which one is an Imagenette class must be exactly Imagenette's ten, so that a missing class or a stray
     * folder fails at once instead of shifting the label indices.
     *
     * @param splitDir the split folder, for messages
     * @param folders  its class folders, sorted
     * @param found    what it holds, for messages
     * @return whether the folders are Imagenette's ten; {@code false} when none of them is an Imagenette class
     * @throws ImagenetteLayoutException when some are Imagenette classes but not all ten, or others are beside them
     */
    public static boolean checkClassFolders(String splitDir, List<String> folders, String found) {
        if (folders.stream().noneMatch(WNIDS::contains)) {
            return false;
        }
        List<String> missing = WNIDS.stream().filter(w -> !folders.contains(w)).toList();
        List<String> unknown = folders.stream().filter(f -> !WNIDS.contains(f)).toList();
        if (!missing.isEmpty() || !unknown.isEmpty()) {
            throw new ImagenetteLayoutException("Imagenette split folder " + splitDir + ":"
                    + (missing.isEmpty() ? "" : " missing class folder(s) " + missing + ";")
                    + (unknown.isEmpty() ? "" : " unknown folder(s) " + unknown + " (not Imagenette classes);")
                    + " found: " + found + ".");
        }
        return true;
    }

    /**
     * Label index of a WordNet id.
     *
     * @throws IllegalArgumentException if {@code wnid} is not one of the ten Imagenette classes
     */
    public static int indexOf(String wnid) {
        int i = WNIDS.indexOf(wnid);
        if (i < 0) {
            throw new IllegalArgumentException("'" + wnid + "' is not an Imagenette class; the classes are " + WNIDS);
        }
        return i;
    }

    /** Human-readable name of label {@code index}. */
    public static String className(int index) {
        return CLASS_NAMES.get(index);
    }

    /** Human-readable name of a WordNet id. */
    public static String className(String wnid) {
        return CLASS_NAMES.get(indexOf(wnid));
    }
}
