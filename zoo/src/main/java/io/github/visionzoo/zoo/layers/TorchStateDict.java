package io.github.visionzoo.zoo.layers;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A graph's parameters under PyTorch state-dict keys and in PyTorch's shapes: the mapping a weight importer needs.
 *
 * <ul>
 *   <li>visionzoo's {@link TorchNamed} layers (the ViT's) store PyTorch's shapes; their keys come from
 *   {@link TorchNamed#torchKey}: {@code <vertex>.<key with - as _>}, except the class token and position embedding
 *   of {@link PatchEmbedding}, keyed from the root ({@code class_token}, {@code encoder.pos_embedding});</li>
 *   <li>DL4J dense and output layers: {@code W [in, out]} is {@code <vertex>.weight [out, in]} (transposed),
 *   {@code b [1, out]} is {@code <vertex>.bias [out]};</li>
 *   <li>DL4J convolutions: {@code W [out, in, kh, kw]} is {@code <vertex>.weight} (same layout), {@code b [1, out]}
 *   is {@code <vertex>.bias [out]}.</li>
 * </ul>
 *
 * Other layer kinds (batch normalization, ...) are not mapped yet and are left out of {@link #keys}.
 */
public final class TorchStateDict {
    /** How a DL4J parameter is stored relative to PyTorch's tensor. */
    public enum Conversion {
        /** The same shape and order. */
        COPY,
        /** A 2-D DL4J {@code [in, out]} weight of PyTorch's {@code [out, in]}. */
        TRANSPOSE,
        /** The same numbers in another shape (DL4J's {@code [1, n]} biases of PyTorch's {@code [n]}). */
        RESHAPE
    }

    /** Where a PyTorch tensor lives in a graph: the vertex, its parameter key, PyTorch's shape, the conversion. */
    public record Slot(String vertex, String paramKey, long[] torchShape, Conversion conversion) {
        public Slot {
            torchShape = torchShape.clone();
        }

        @Override
        public long[] torchShape() {
            return torchShape.clone();
        }
    }

    private TorchStateDict() {
    }

    /** Every mapped parameter of the graph by PyTorch state-dict key, in the graph's vertex order. */
    public static Map<String, Slot> keys(ComputationGraph graph) {
        Map<String, Slot> out = new LinkedHashMap<>();
        for (String vertex : graph.getConfiguration().getVertices().keySet()) {
            Layer layer = graph.getLayer(vertex);
            if (layer == null) {
                continue;
            }
            org.deeplearning4j.nn.conf.layers.Layer conf = unwrap(layer.conf().getLayer());
            for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                String key = e.getKey();
                long[] shape = e.getValue().shape();
                if (conf instanceof TorchNamed named) {
                    out.put(named.torchKey(vertex, key), new Slot(vertex, key, shape, Conversion.COPY));
                } else if (conf instanceof DenseLayer || conf instanceof BaseOutputLayer
                        || conf instanceof ConvolutionLayer) {
                    if (key.equals("W")) {
                        boolean dense = shape.length == 2;
                        out.put(vertex + ".weight", new Slot(vertex, key,
                                dense ? new long[] {shape[1], shape[0]} : shape,
                                dense ? Conversion.TRANSPOSE : Conversion.COPY));
                    } else if (key.equals("b")) {
                        out.put(vertex + ".bias", new Slot(vertex, key, new long[] {e.getValue().length()},
                                Conversion.RESHAPE));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Copies the PyTorch tensor {@code value} of state-dict key {@code torchKey} into the graph (any floating type;
     * it is cast to the parameter's).
     *
     * @throws IllegalArgumentException for an unknown key (naming the known ones) or a shape other than PyTorch's
     */
    public static void set(ComputationGraph graph, String torchKey, INDArray value) {
        set(graph, keys(graph), torchKey, value);
    }

    /** {@link #set(ComputationGraph, String, INDArray)} with the graph's {@link #keys} computed once. */
    public static void set(ComputationGraph graph, Map<String, Slot> keys, String torchKey, INDArray value) {
        Slot slot = slot(keys, torchKey);
        if (!Arrays.equals(slot.torchShape(), value.shape())) {
            throw new IllegalArgumentException("state-dict key '" + torchKey + "' has PyTorch shape "
                    + Arrays.toString(slot.torchShape()) + ", got " + Arrays.toString(value.shape()));
        }
        INDArray param = graph.getLayer(slot.vertex()).getParam(slot.paramKey());
        INDArray v = value.castTo(param.dataType());
        switch (slot.conversion()) {
            case COPY -> param.assign(v);
            case TRANSPOSE -> param.assign(v.transpose());
            case RESHAPE -> param.assign(v.reshape(param.shape()));
        }
    }

    /** A copy of the parameter of state-dict key {@code torchKey} in PyTorch's shape. */
    public static INDArray get(ComputationGraph graph, String torchKey) {
        Slot slot = slot(keys(graph), torchKey);
        INDArray param = graph.getLayer(slot.vertex()).getParam(slot.paramKey());
        return switch (slot.conversion()) {
            case COPY -> param.dup('c');
            case TRANSPOSE -> param.transpose().dup('c');
            case RESHAPE -> param.dup('c').reshape(slot.torchShape());
        };
    }

    private static Slot slot(Map<String, Slot> keys, String torchKey) {
        Slot slot = keys.get(torchKey);
        if (slot == null) {
            throw new IllegalArgumentException("no parameter for state-dict key '" + torchKey + "'; known keys: "
                    + String.join(", ", keys.keySet()));
        }
        return slot;
    }

    private static org.deeplearning4j.nn.conf.layers.Layer unwrap(org.deeplearning4j.nn.conf.layers.Layer layer) {
        if (layer instanceof FrozenLayer f) {
            return unwrap(f.getLayer());
        }
        if (layer instanceof FrozenLayerWithBackprop f) {
            return unwrap(f.getUnderlying());
        }
        return layer;
    }
}
