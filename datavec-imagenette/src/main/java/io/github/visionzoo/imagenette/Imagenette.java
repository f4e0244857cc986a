package io.github.visionzoo.imagenette;

import java.util.List;

/**
 * The ten Imagenette classes and their label indices.
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
