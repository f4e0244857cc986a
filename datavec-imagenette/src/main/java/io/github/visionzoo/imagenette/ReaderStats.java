package io.github.visionzoo.imagenette;

import java.nio.file.Path;
import java.util.Map;

/**
 * Counts of a loader since it was built.
 *
 * @param imagesRead    images decoded and transformed
 * @param imagesSkipped images skipped because their file could not be decoded (each time one was met, so a bad file
 *                      counts once per epoch)
 * @param skippedFiles  each unreadable file, once, with the reason
 */
public record ReaderStats(long imagesRead, long imagesSkipped, Map<Path, String> skippedFiles) {
    public ReaderStats {
        skippedFiles = Map.copyOf(skippedFiles);
    }
}
