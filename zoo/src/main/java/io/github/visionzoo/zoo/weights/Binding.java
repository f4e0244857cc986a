package io.github.visionzoo.zoo.weights;

/**
 * One DL4J parameter and the state-dict tensor that fills it.
 *
 * @param key    the tensor's name in a torchvision state dict, such as {@code layer1.0.bn1.running_var}
 * @param vertex the graph vertex, such as {@code layer1.0.bn1}
 * @param param  the DL4J parameter key of that layer, such as {@code log10stdev}
 * @param layout how the two are laid out
 * @param head   whether it belongs to the classifier, which {@link ImportOptions#allowHeadMismatch()} may skip
 */
public record Binding(String key, String vertex, String param, Layout layout, boolean head) {
}
