package io.github.visionzoo.zoo.weights;

import io.github.visionzoo.imagenette.transform.Transform;
import io.github.visionzoo.zoo.ModelSpec;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * A model with published weights, as {@code Zoo.pretrained} gives it: the graph, its spec at the weights' input size,
 * and the catalogue entry, whose classes and evaluation transform go with it.
 *
 * @param graph      the initialized graph with the file's weights; a new head when {@code numClasses} differs from
 *                   the file's
 * @param spec       the architecture at the weights' input size
 * @param weights    the catalogue entry
 * @param numClasses the graph's outputs
 */
public record Pretrained(ComputationGraph graph, ModelSpec spec, PretrainedWeights weights, int numClasses)
        implements AutoCloseable {

    /** The class names of the outputs: the weights' with their own head, none with a new one. */
    public List<String> classNames() {
        return numClasses == weights.numClasses() ? weights.classes().names() : List.of();
    }

    /** The weights' evaluation transform, from a decoded image in [0, 1] to the graph's input. */
    public Transform transform() {
        return weights.transform().toTransform();
    }

    @Override
    public void close() {
        graph.close();
    }
}
