package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.layers.Conv2d;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffVertex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Turns a {@link TrainingRecipe} into DL4J updaters and regularization, and sets them (and the convolutions'
 * precision) on every layer of a graph.
 */
final class RecipeApplier {
    private RecipeApplier() {
    }

    static IUpdater updater(TrainingRecipe recipe, int stepsPerEpoch) {
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException("stepsPerEpoch must be >= 1, was " + stepsPerEpoch);
        }
        ISchedule schedule = recipe.schedule().toDl4j(recipe.learningRate(), recipe.epochs(), stepsPerEpoch);
        return recipe.optimizer().updater(recipe.learningRate(), schedule);
    }

    /** The regularization of weights; a fresh list per layer, as DL4J may edit it. */
    private static List<Regularization> weightRegularization(TrainingRecipe recipe) {
        List<Regularization> list = new ArrayList<>();
        if (recipe.weightDecay() > 0) {
            list.add(recipe.optimizer().decay(recipe.weightDecay()));
        }
        return list;
    }

    /** The regularization of biases, norms and embeddings: the weights' where the recipe decays every parameter. */
    private static List<Regularization> biasRegularization(TrainingRecipe recipe) {
        return recipe.weightDecayOn().equals(TrainingRecipe.DECAY_ALL) ? weightRegularization(recipe)
                : new ArrayList<>();
    }

    static ComputationGraphConfiguration apply(TrainingRecipe recipe, ComputationGraphConfiguration conf,
                                               int stepsPerEpoch) {
        ComputationGraphConfiguration applied = conf.clone();
        // DL4J's clone() leaves out the topological order that Blocks.build pins (and that init() caches), which
        // is also the order of the flattened parameters: without it the copy sorts a ResNet's shortcut branches
        // otherwise, and parameters copied as one flat array land in other layers
        if (conf.getTopologicalOrder() != null && conf.getTopologicalOrderStr() != null) {
            applied.setTopologicalOrder(conf.getTopologicalOrder().clone());
            applied.setTopologicalOrderStr(new ArrayList<>(conf.getTopologicalOrderStr()));
        }
        IUpdater updater = updater(recipe, stepsPerEpoch);
        for (Map.Entry<String, GraphVertex> entry : applied.getVertices().entrySet()) {
            GraphVertex vertex = entry.getValue();
            if (vertex instanceof LayerVertex lv) {
                applyToLayer(recipe, updater, entry.getKey(), lv.getLayerConf().getLayer());
            } else if (vertex instanceof SameDiffVertex sd) {
                sd.setUpdater(updater.clone());
                sd.setBiasUpdater(null);
                sd.setRegularization(weightRegularization(recipe));
                sd.setRegularizationBias(biasRegularization(recipe));
            } else if (!(vertex instanceof FrozenVertex) && vertex.numParams(false) > 0) {
                throw unsupported(entry.getKey(), vertex.getClass());
            }
        }
        return applied;
    }

    private static void applyToLayer(TrainingRecipe recipe, IUpdater updater, String name, Layer layer) {
        if (layer instanceof FrozenLayer || layer instanceof FrozenLayerWithBackprop) {
            return; // frozen for fine-tuning: DL4J gives it no updater
        }
        if (layer instanceof Conv2d c) {
            c.setBf16(recipe.precision().equals(TrainingRecipe.BF16));
        }
        if (layer instanceof BaseLayer b) {
            b.setIUpdater(updater.clone());
            b.setBiasUpdater(null);
            b.setRegularization(weightRegularization(recipe));
            b.setRegularizationBias(biasRegularization(recipe));
        } else if (layer instanceof AbstractSameDiffLayer sd) {
            sd.setUpdater(updater.clone());
            sd.setBiasUpdater(null);
            sd.setRegularization(weightRegularization(recipe));
            sd.setRegularizationBias(biasRegularization(recipe));
        } else if (layer.initializer().numParams(layer) > 0) {
            throw unsupported(name, layer.getClass());
        }
    }

    private static IllegalArgumentException unsupported(String name, Class<?> type) {
        return new IllegalArgumentException("vertex '" + name + "' (" + type.getName() + ") has parameters but is"
                + " neither a DL4J BaseLayer nor a SameDiff layer or vertex, so a recipe cannot set its updater;"
                + " extend one of those");
    }
}
