package io.github.visionzoo.zoo.weights;

import java.util.List;

/**
 * What an import did.
 *
 * @param source      the file
 * @param format      its format
 * @param loaded      state-dict names that were loaded, in order
 * @param skippedHead state-dict names of the classifier that were skipped ({@link ImportOptions#allowHeadMismatch()})
 * @param ignored     tensors of the file that were expected and not needed ({@code num_batches_tracked})
 */
public record ImportReport(String source, StateDict.Format format, List<String> loaded, List<String> skippedHead,
                           List<String> ignored) {
    public ImportReport {
        loaded = List.copyOf(loaded);
        skippedHead = List.copyOf(skippedHead);
        ignored = List.copyOf(ignored);
    }

    @Override
    public String toString() {
        return "loaded " + loaded.size() + " tensors from " + source + " (" + format + ")"
                + (skippedHead.isEmpty() ? "" : "; kept the model's own classifier instead of " + skippedHead)
                + (ignored.isEmpty() ? "" : "; ignored " + ignored.size() + " num_batches_tracked-like tensors");
    }
}
