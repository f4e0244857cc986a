package io.github.visionzoo.imagenette;

import java.nio.file.Path;

/**
 * One image of a split.
 *
 * @param index        position in the split's full sorted file list (all classes, no subset or limit applied);
 *                     stable for a given folder, and what each image's random augmentation is seeded from
 * @param file         the image file
 * @param relativePath path relative to the data set root with '/' separators, as in {@code noisy_imagenette.csv}
 *                     (e.g. {@code train/n02979186/n02979186_9036.JPEG})
 * @param folderLabel  the clean label: index of the class folder among the split's sorted class folders
 * @param label        the training label in the data set's class list: the folder label, or the noisy label when
 *                     label noise is selected, re-indexed when a class subset is selected
 */
public record Sample(int index, Path file, String relativePath, int folderLabel, int label) {
}
