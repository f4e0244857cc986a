package io.github.visionzoo.zoo.weights;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Writes a visionzoo model's weights as a PyTorch state dict in safetensors: torchvision's names and layouts,
 * float32, plus {@code num_batches_tracked} (int64 zero) for each batch norm, so that
 * {@code model.load_state_dict(tensors)} of the matching torchvision model accepts it strictly.
 */
public final class WeightExporter {
    private WeightExporter() {
    }

    /** The graph's parameters under their state-dict names, in PyTorch's layouts, float32, in state-dict order. */
    public static Map<String, StoredTensor> stateDict(ComputationGraph graph, WeightMapping mapping) {
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        for (Binding b : mapping.bindings(graph)) {
            out.put(b.key(), StoredTensor.of(b.layout().toTorch(WeightImporter.param(graph, b))));
        }
        out.putAll(mapping.exportExtras(graph));
        return out;
    }

    /** Writes a model of {@code spec} as safetensors, the spec's JSON in the header's metadata. */
    public static void toSafeTensors(ComputationGraph graph, ModelSpec spec, Path file) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("producer", "visionzoo");
        meta.put("visionzoo.spec", Json.mapper().writer()
                .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(spec));
        SafeTensors.write(file, stateDict(graph, WeightMappings.of(spec)), meta);
    }

    /** Writes a graph with any mapping as safetensors. */
    public static void toSafeTensors(ComputationGraph graph, WeightMapping mapping, Path file,
                                     Map<String, String> metadata) throws IOException {
        SafeTensors.write(file, stateDict(graph, mapping), metadata);
    }
}
