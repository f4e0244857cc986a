package io.github.visionzoo.zoo.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

/** DL4J's transfer learning on a tiny DaViT: timm's head {@code head.fc} replaced, whole-model and head-only. */
class DavitFineTuneTest {
    static final DavitSpec TINY = new DavitSpec(List.of(1, 1), List.of(8, 16), List.of(2, 4), 3, 4.0, 0.0, 16);

    static ComputationGraph trained() {
        return GraphChecks.trainedOnce(TINY, 16);
    }

    static MultiDataSet batch(int classes) {
        return GraphChecks.randomBatch(16, classes);
    }

    @Test
    void newHeadForFiveClassesTrainsAndSaves(@TempDir Path dir) throws Exception {
        // everything below the head is carried over
        ComputationGraph tuned = GraphChecks.assertNewHeadKeepsTheRest(trained(), DavitSpec.HEAD, 5, 16);
        MultiDataSet data = batch(5);
        String qkv = DavitSpec.blockName(0, 0, 1) + ".attn_qkv.weight";
        INDArray attention = tuned.getParam(qkv).dup();
        for (int i = 0; i < 3; i++) {
            tuned.fit(data);
        }
        assertThat(tuned.getParam(qkv)).as("the whole model trains").isNotEqualTo(attention);
        GraphChecks.assertSaveRestoreSame(tuned, data.getFeatures(0), dir);
    }

    @Test
    void frozenBackboneTrainsOnlyTheHead(@TempDir Path dir) throws Exception {
        ComputationGraph tuned = new TransferLearning.GraphBuilder(trained())
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Adam(1e-2)).build())
                .setFeatureExtractor(DavitSpec.HEAD_NORM)
                .nOutReplace(DavitSpec.HEAD, 5, WeightInit.ZERO)
                .build();
        ModelSummary summary = ModelSummary.of(tuned.getConfiguration(), InputType.convolutional(16, 16, 3));
        assertThat(summary.trainableParams()).isEqualTo(16 * 5 + 5);
        String fc2 = DavitSpec.blockName(1, 0, 0) + ".mlp_fc2.weight";
        INDArray frozen = tuned.getParam(fc2).dup();
        INDArray head = tuned.getParam(DavitSpec.HEAD + "_W").dup();
        MultiDataSet data = batch(5);
        for (int i = 0; i < 3; i++) {
            tuned.fit(data);
        }
        assertThat(tuned.getParam(fc2)).isEqualTo(frozen);
        assertThat(tuned.getParam(DavitSpec.HEAD + "_W")).isNotEqualTo(head);
        GraphChecks.assertSaveRestoreSame(tuned, data.getFeatures(0), dir);
    }
}
