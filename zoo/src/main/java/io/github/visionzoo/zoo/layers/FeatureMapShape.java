package io.github.visionzoo.zoo.layers;

/**
 * A layer configuration over images {@code [b, C, H, W]} of one size, which {@link FeatureMapRowsImpl} runs as the
 * matrix of their positions: {@link FeatureMapLayer}'s and {@link LayerNorm}'s over an image.
 */
interface FeatureMapShape {
    /** {@code [C, H, W]} of the input, as {@code setNIn} read it. */
    long[] featureMapShape();
}
