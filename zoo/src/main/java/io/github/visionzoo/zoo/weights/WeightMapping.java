package io.github.visionzoo.zoo.weights;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * How one model family's DL4J parameters correspond to a PyTorch state dict: each family says it in one place
 * ({@link WeightMappings} lists them), and {@link WeightImporter} and {@link WeightExporter} do the rest.
 */
public interface WeightMapping {
    /** Every parameter of {@code graph} with its state-dict name and layout, in state-dict order. */
    List<Binding> bindings(ComputationGraph graph);

    /** The classifier vertex; its weight is {@code HEAD.weight}, {@code [classes, features]} in PyTorch. */
    String head();

    /**
     * Whether a tensor that no binding reads is expected and skipped (batch norm's {@code num_batches_tracked})
     * rather than reported as unexpected.
     */
    boolean ignored(String key);

    /**
     * The file's tensors under this mapping's names, for files that use another library's naming (timm's ViTs);
     * the identity by default.
     */
    default StateDict canonical(StateDict file) {
        return file;
    }

    /**
     * Tensors that an export adds so that PyTorch's strict {@code load_state_dict} accepts the file although DL4J
     * has no such parameter (batch norm's {@code num_batches_tracked}); none by default.
     */
    default Map<String, StoredTensor> exportExtras(ComputationGraph graph) {
        return Map.of();
    }
}
