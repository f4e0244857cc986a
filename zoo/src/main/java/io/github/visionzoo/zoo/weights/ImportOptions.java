package io.github.visionzoo.zoo.weights;

/**
 * How strictly {@link WeightImporter} matches a file to a model.
 *
 * @param allowHeadMismatch skip the classifier ({@code fc}, {@code classifier.6}, {@code heads.head}) when the file's
 *                          has another class count or is missing, leaving the model's own initialization there: how
 *                          ImageNet weights start a fine-tuning on 10 classes. Everything else stays strict.
 */
public record ImportOptions(boolean allowHeadMismatch) {
    /** Every tensor must match: nothing missing, nothing unexpected, every shape equal. */
    public static ImportOptions strict() {
        return new ImportOptions(false);
    }

    /** Strict except for the classifier, which is skipped when it does not fit. */
    public static ImportOptions allowingHeadMismatch() {
        return new ImportOptions(true);
    }
}
