package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.layers.BatchNormFolding;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Several networks as one classifier: the mean of their softmax outputs, as the VGG paper's ensembles (Simonyan and
 * Zisserman 2015, section 4.3). Every member sees the same input batch, so members trained at other input sizes need
 * a size they all accept (global pooling heads do). It only infers: each member runs with its batch norms folded into
 * its convolutions ({@link BatchNormFolding}).
 */
public final class Ensemble {
    private final List<ComputationGraph> members;

    private Ensemble(List<ComputationGraph> members) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("an ensemble needs at least one member");
        }
        this.members = members.stream().map(BatchNormFolding::fold).toList();
    }

    public static Ensemble of(List<ComputationGraph> members) {
        return new Ensemble(members);
    }

    /** The networks of {@link Checkpoint}s (runs' {@code best.zip}, say). */
    public static Ensemble load(List<Path> checkpoints) {
        return ofCheckpoints(checkpoints.stream().map(Checkpoint::load).toList());
    }

    /**
     * The networks of loaded checkpoints, which must classify the same classes.
     *
     * @throws IllegalArgumentException naming each file with its class count (or its classes, where only their
     *                                  names differ)
     */
    public static Ensemble ofCheckpoints(List<Checkpoint> members) {
        boolean counts = members.stream().map(c -> c.info().numClasses()).distinct().count() > 1;
        boolean names = members.stream().map(c -> c.info().classNames()).filter(n -> !n.isEmpty()).distinct()
                .count() > 1;
        if (counts || names) {
            throw new IllegalArgumentException("ensemble members must classify the same classes: " + members.stream()
                    .map(c -> c.file() + " has " + (counts ? c.info().numClasses() + " classes"
                            : "classes " + c.info().classNames()))
                    .collect(Collectors.joining(", ")));
        }
        return new Ensemble(members.stream().map(Checkpoint::graph).toList());
    }

    /** The mean class probabilities of the members for a batch, in inference mode. */
    public INDArray output(INDArray features) {
        INDArray sum = null;
        for (ComputationGraph member : members) {
            INDArray p = member.outputSingle(false, features);
            if (sum != null && sum.size(1) != p.size(1)) {
                throw new IllegalStateException("ensemble members disagree on the class count: " + sum.size(1)
                        + " and " + p.size(1));
            }
            sum = sum == null ? p.dup() : sum.addi(p);
        }
        return sum.divi(members.size());
    }

    /** Evaluates the ensemble like a single model ({@link EvalReport#of}). */
    public EvalReport evaluate(DataSetIterator data, List<String> classNames) {
        return EvalReport.evaluate(this::output, data, classNames);
    }
}
