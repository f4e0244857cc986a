package io.github.visionzoo.zoo.layers;

/**
 * A layer that stores its parameters under PyTorch's names and in PyTorch's shapes, so that importing a torchvision
 * state dict into it is a copy.
 *
 * <p>DL4J joins a vertex name and a parameter key with {@code _} and splits them at the last {@code _}
 * ({@code ComputationGraph.getParam}, the updaters), so a parameter key must not contain {@code _}. Keys are
 * therefore PyTorch's names with every {@code _} written as {@code -} ({@code in_proj_weight} is
 * {@code in-proj-weight}); PyTorch's names never contain {@code -}, so the mapping is one-to-one. Vertex names may
 * keep their {@code _} ({@code encoder.layers.encoder_layer_0}).
 */
public interface TorchNamed {
    /**
     * The state-dict key of parameter {@code paramKey} of this layer when it is vertex {@code vertexName}; by default
     * {@code vertexName + "." + toTorch(paramKey)}.
     */
    default String torchKey(String vertexName, String paramKey) {
        return vertexName + "." + toTorch(paramKey);
    }

    /** A DL4J parameter key as PyTorch writes it: {@code -} becomes {@code _}. */
    static String toTorch(String dl4jKey) {
        return dl4jKey.replace('-', '_');
    }

    /** A PyTorch parameter name as a DL4J parameter key: {@code _} becomes {@code -}. */
    static String toDl4j(String torchName) {
        return torchName.replace('_', '-');
    }
}
