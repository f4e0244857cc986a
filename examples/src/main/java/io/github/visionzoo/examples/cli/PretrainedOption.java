package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.weights.Pretrained;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.zoo.weights.WeightsCache;
import java.io.IOException;

/** The {@code --weights MODEL[:TAG]} option of {@code predict}, {@code evaluate} and {@code finetune}. */
final class PretrainedOption {
    static final String OPTION = "--weights";
    static final String DESCRIPTION = "Published weights, MODEL:TAG as 'list --weights' shows them (e.g. "
            + "resnet50:IMAGENET1K_V2; MODEL alone is its first, torchvision's DEFAULT), downloaded once into the cache"
            + " ($VISIONZOO_HOME or ~/.cache/visionzoo).";

    private PretrainedOption() {
    }

    /** The catalogue entry {@code ref} names; an error names the option and the known models or tags. */
    static PretrainedWeights resolve(String ref) {
        int colon = ref.indexOf(':');
        String model = colon < 0 ? ref : ref.substring(0, colon);
        String tag = colon < 0 ? Zoo.DEFAULT_WEIGHTS : ref.substring(colon + 1);
        try {
            return Zoo.weights(model, tag);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(OPTION + " " + ref + ": " + e.getMessage() + "; 'list --weights' shows"
                    + " the catalogue", e);
        }
    }

    /** The model with the weights {@code ref} names, with their head, from the default cache. */
    static Pretrained load(String ref) throws IOException {
        PretrainedWeights w = resolve(ref);
        return Zoo.pretrained(w, w.numClasses(), WeightsCache.defaults());
    }

    /** Refuses both or neither of {@code --checkpoint} and {@code --weights}. */
    static void requireOne(Object checkpoint, String weights) {
        if ((checkpoint == null) == (weights == null)) {
            throw new IllegalArgumentException(checkpoint == null ? "give --checkpoint FILE or " + OPTION
                    + " MODEL:TAG" : "give --checkpoint or " + OPTION + ", not both");
        }
    }
}
