package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.OneDnn;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;

/**
 * Prepares a trained network for fine-tuning: a new classifier head for another class count, and optionally a frozen
 * backbone. Train the result with the {@link Trainer} and the fine-tuning recipe; frozen layers keep their parameters
 * (batch norm included: frozen layers run in inference mode), and the checkpoints save and restore them as frozen.
 *
 * <pre>{@code
 * ComputationGraph net = FineTune.from(Path.of("runs/resnet18/best.zip"))
 *         .withNumClasses(5)
 *         .withFrozenUpTo("avgpool")          // everything up to and including the pooling stays fixed
 *         .build();
 * new Trainer(Path.of("runs/resnet18-ft")).fit(net, Recipes.get("cpu-small"), train5, val5);
 * }</pre>
 *
 * <p>Nothing here is model-specific beyond the head's name, which is the graph's output vertex ({@code fc},
 * {@code classifier.6}, {@code heads.head}, as the checkpoint records it). The new head is a copy of the old head's
 * configuration (activation, loss, weight initialization, dropout) with {@code nOut} = the new class count, freshly
 * initialized from the seed; every other layer keeps its parameters.
 *
 * <p>Built with DL4J's {@link TransferLearning.GraphBuilder}, minding its traps: the fine-tune configuration goes in
 * first (it rebuilds the edited configuration, so edits before it would be lost) and carries the source's seed and
 * workspace modes, which DL4J would otherwise reset to its defaults; the head is replaced by removing it (keeping its
 * connections) and adding the copy, not with {@code nOutReplace}, which resets a layer's weight initialization,
 * bias initialization and updater to DL4J's defaults. DL4J rebuilds the configuration in float32, visionzoo's data type.
 */
public final class FineTune {
    private final ComputationGraph source;
    private final String head;
    private final int numClasses;
    private final String frozenUpTo;
    private final long seed;

    private FineTune(ComputationGraph source, String head, int numClasses, String frozenUpTo, long seed) {
        this.source = source;
        this.head = head;
        this.numClasses = numClasses;
        this.frozenUpTo = frozenUpTo;
        this.seed = seed;
    }

    /**
     * Fine-tunes the network of a {@link Checkpoint} (written by the {@link Trainer} or by the command line's
     * {@code import}, or a plain DL4J model zip); its head is the recorded one.
     */
    public static FineTune from(Path checkpoint) {
        Checkpoint c = Checkpoint.load(checkpoint);
        if (!c.graph().getConfiguration().getNetworkOutputs().equals(List.of(c.info().headName()))) {
            throw new IllegalArgumentException(checkpoint + ": the recorded head '" + c.info().headName()
                    + "' is not the graph's output " + c.graph().getConfiguration().getNetworkOutputs());
        }
        return from(c.graph());
    }

    /** Fine-tunes any graph with one output layer, which is the head replaced. */
    public static FineTune from(ComputationGraph graph) {
        List<String> outputs = graph.getConfiguration().getNetworkOutputs();
        if (outputs.size() != 1) {
            throw new IllegalArgumentException("fine-tuning needs a graph with one output (the classifier head), this"
                    + " one has " + outputs);
        }
        String head = outputs.get(0);
        return new FineTune(graph, head, nOut(graph.getConfiguration(), head), null,
                graph.getConfiguration().getDefaultConfiguration().getSeed());
    }

    private static int nOut(ComputationGraphConfiguration conf, String head) {
        if (conf.getVertices().get(head) instanceof LayerVertex lv
                && lv.getLayerConf().getLayer() instanceof FeedForwardLayer f) {
            return (int) f.getNOut();
        }
        throw new IllegalArgumentException("the output vertex '" + head + "' is not a layer with nOut (such as an"
                + " OutputLayer), so FineTune cannot replace it");
    }

    /** The class count of the new head. */
    public FineTune withNumClasses(int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, was " + numClasses);
        }
        return new FineTune(source, head, numClasses, frozenUpTo, seed);
    }

    /**
     * Freezes {@code vertex} and every vertex it depends on (DL4J's {@code setFeatureExtractor}); the layers after it
     * train. Name it as in {@link io.github.visionzoo.zoo.ModelSummary}, e.g. {@code avgpool} (ResNet) or
     * {@code classifier.4} (AlexNet, VGG).
     */
    public FineTune withFrozenUpTo(String vertex) {
        ComputationGraphConfiguration conf = source.getConfiguration();
        if (!conf.getVertices().containsKey(vertex)) {
            throw new IllegalArgumentException("no vertex '" + vertex + "' to freeze up to; ModelSummary lists the"
                    + " vertex names of a model");
        }
        if (vertex.equals(head)) {
            throw new IllegalArgumentException("freezing up to the head '" + head + "' leaves nothing to train;"
                    + " name a vertex before it");
        }
        return new FineTune(source, head, numClasses, vertex, seed);
    }

    /** The seed of the new head's initialization; the source network's seed unless set. */
    public FineTune withSeed(long seed) {
        return new FineTune(source, head, numClasses, frozenUpTo, seed);
    }

    /** The network to fine-tune, initialized. */
    public ComputationGraph build() {
        OneDnn.enable();
        ComputationGraphConfiguration conf = source.getConfiguration();
        TransferLearning.GraphBuilder builder = new TransferLearning.GraphBuilder(source)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder()
                        .seed(seed)
                        .trainingWorkspaceMode(conf.getTrainingWorkspaceMode())
                        .inferenceWorkspaceMode(conf.getInferenceWorkspaceMode())
                        .build());
        if (frozenUpTo != null) {
            builder.setFeatureExtractor(frozenUpTo);
        }
        if (numClasses != nOut(conf, head)) {
            LayerVertex old = (LayerVertex) conf.getVertices().get(head);
            Layer newHead = old.getLayerConf().getLayer().clone();
            ((FeedForwardLayer) newHead).setNOut(numClasses);
            builder.removeVertexKeepConnections(head)
                    .addLayer(head, newHead, old.getPreProcessor(),
                            conf.getVertexInputs().get(head).toArray(new String[0]));
        }
        return builder.build();
    }
}
