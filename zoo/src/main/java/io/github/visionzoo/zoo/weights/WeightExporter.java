package io.github.visionzoo.zoo.weights;

import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Writes a visionzoo model's weights as a PyTorch state dict in safetensors: torchvision's names and layouts,
 * float32, plus {@code num_batches_tracked} (int64 zero) for each batch norm, so that
 * {@code model.load_state_dict(tensors)} of the matching torchvision model accepts it strictly.
 */
public final class WeightExporter {
    /** The safetensors metadata entry holding the model's spec as JSON. */
    public static final String SPEC_METADATA = "visionzoo.spec";
    /** The safetensors metadata entry holding the class names as a JSON array. */
    public static final String CLASSES_METADATA = "visionzoo.classes";

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
        SafeTensors.write(file, stateDict(graph, WeightMapping.of(spec)), metadata(spec, List.of()));
    }

    /**
     * The safetensors metadata visionzoo writes: PyTorch's {@code format}, the producer, and where known the spec
     * ({@value #SPEC_METADATA}) and the class names ({@value #CLASSES_METADATA}), as one-line JSON, which the
     * command line's {@code import} reads back.
     *
     * @param spec       the model's spec, or null
     * @param classNames the class names in output order, or an empty list
     */
    public static Map<String, String> metadata(ModelSpec spec, List<String> classNames) throws IOException {
        ObjectWriter oneLine = Json.mapper().writer().without(SerializationFeature.INDENT_OUTPUT);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("producer", "visionzoo");
        if (spec != null) {
            meta.put(SPEC_METADATA, oneLine.writeValueAsString(spec));
        }
        if (!classNames.isEmpty()) {
            meta.put(CLASSES_METADATA, oneLine.writeValueAsString(classNames));
        }
        return meta;
    }

    /** Writes a graph with any mapping as safetensors. */
    public static void toSafeTensors(ComputationGraph graph, WeightMapping mapping, Path file,
                                     Map<String, String> metadata) throws IOException {
        SafeTensors.write(file, stateDict(graph, mapping), metadata);
    }
}
