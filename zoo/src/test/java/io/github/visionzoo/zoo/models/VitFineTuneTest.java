package io.github.visionzoo.zoo.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.ModelSummary;
import org.deeplearning4j.nn.weights.WeightInit;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.nio.file.Path;
import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/** DL4J's transfer learning on a tiny ViT: a new head for another class count, whole-model and head-only. */
class VitFineTuneTest {
    static final VitSpec TINY = new VitSpec(4, 8, 2, 2, 16, 0.0, 0.0, 8);

    static ComputationGraph trained() {
        ComputationGraph graph = new ComputationGraph(TINY.configuration(3, 1));
        graph.init();
        graph.fit(batch(3));
        return graph;
    }

    static MultiDataSet batch(int classes) {
        Nd4j.getRandom().setSeed(8);
        INDArray labels = GraphChecks.cyclicLabels(DataType.FLOAT, 4, classes);
        return new MultiDataSet(Nd4j.rand(DataType.FLOAT, 4, 3, 8, 8), labels);
    }

    @Test
    void newHeadForFiveClassesTrainsAndSaves(@TempDir Path dir) throws Exception {
        ComputationGraph base = trained();
        ComputationGraph tuned = new TransferLearning.GraphBuilder(base)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Adam(1e-3)).seed(2).build())
                .nOutReplace(VitSpec.HEAD, 5, WeightInit.ZERO)
                .build();
        MultiDataSet data = batch(5);
        assertThat(tuned.outputSingle(data.getFeatures(0)).shape()).containsExactly(4, 5);
        // everything below the head is carried over
        Map<String, INDArray> before = base.paramTable();
        tuned.paramTable().forEach((k, v) -> {
            if (!k.startsWith(VitSpec.HEAD)) {
                assertThat(v).as(k).isEqualTo(before.get(k));
            }
        });
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
