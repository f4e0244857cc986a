package io.github.visionzoo.zoo.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.ModelSummary;
import org.deeplearning4j.nn.weights.WeightInit;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

/** DL4J's transfer learning on a tiny ViT: a new head for another class count, whole-model and head-only. */
class VitFineTuneTest {
    static final VitSpec TINY = new VitSpec(4, 8, 2, 2, 16, 0.0, 0.0, 8);

    static ComputationGraph trained() {
        return GraphChecks.trainedOnce(TINY, 8);
    }

    static MultiDataSet batch(int classes) {
        return GraphChecks.randomBatch(8, classes);
    }

    @Test
    void newHeadForFiveClassesTrainsAndSaves(@TempDir Path dir) throws Exception {
        // everything below the head is carried over
        ComputationGraph tuned = GraphChecks.assertNewHeadKeepsTheRest(trained(), VitSpec.HEAD, 5, 8);
        MultiDataSet data = batch(5);
        INDArray embedding = tuned.getParam("conv_proj_weight").dup();
        for (int i = 0; i < 3; i++) {
            tuned.fit(data);
        }
        assertThat(tuned.getParam("conv_proj_weight")).as("the whole model trains").isNotEqualTo(embedding);
        GraphChecks.assertSaveRestoreSame(tuned, data.getFeatures(0), dir);
    }

    @Test
    void frozenBackboneTrainsOnlyTheHead(@TempDir Path dir) throws Exception {
        ComputationGraph tuned = new TransferLearning.GraphBuilder(trained())
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Adam(1e-2)).build())
                .setFeatureExtractor(VitSpec.FINAL_NORM)
                .nOutReplace(VitSpec.HEAD, 5, WeightInit.ZERO)
                .build();
        ModelSummary summary = ModelSummary.of(tuned.getConfiguration(), InputType.convolutional(8, 8, 3));
        assertThat(summary.trainableParams()).isEqualTo(8 * 5 + 5);
        INDArray frozen = tuned.getParam(VitSpec.blockName(1) + "_mlp.3.weight").dup();
        INDArray head = tuned.getParam(VitSpec.HEAD + "_W").dup();
        MultiDataSet data = batch(5);
        for (int i = 0; i < 3; i++) {
            tuned.fit(data);
        }
        assertThat(tuned.getParam(VitSpec.blockName(1) + "_mlp.3.weight")).isEqualTo(frozen);
        assertThat(tuned.getParam(VitSpec.HEAD + "_W")).isNotEqualTo(head);
        GraphChecks.assertSaveRestoreSame(tuned, data.getFeatures(0), dir);
    }
}
