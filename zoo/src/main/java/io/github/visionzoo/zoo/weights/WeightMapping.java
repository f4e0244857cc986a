package io.github.visionzoo.zoo.weights;

import io.github.visionzoo.zoo.ModelSpec;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * How a model's DL4J parameters correspond to a PyTorch state dict; {@link WeightImporter} and {@link WeightExporter}
 * do the rest. Every family's vertices carry torchvision's names ({@link TorchvisionMapping}); what a family adds, its
 * head and the names of other libraries it reads, it says in its {@link io.github.visionzoo.zoo.ModelFamily}.
 */
public interface WeightMapping {
    /** The mapping of a spec's family: torchvision's names, the family's head, and the other names it reads. */
    static WeightMapping of(ModelSpec spec) {
        return new TorchvisionMapping(spec.headName(), spec.family().stateDictNames());
    }

    /**
     * The mapping for a graph whose spec is unknown (a plain DL4J checkpoint): torchvision's CNN naming, with the
     * graph's single output as the classifier.
     */
    static WeightMapping of(ComputationGraph graph) {
        var outputs = graph.getConfiguration().getNetworkOutputs();
        if (outputs.size() != 1) {
            throw new IllegalArgumentException("a graph with " + outputs.size() + " outputs has no single classifier");
        }
        return new TorchvisionMapping(outputs.get(0));
    }

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
