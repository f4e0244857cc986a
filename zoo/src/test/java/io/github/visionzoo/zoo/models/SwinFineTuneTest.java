package io.github.visionzoo.zoo.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.layers.ShiftedWindowAttention;
import io.github.visionzoo.zoo.layers.StochasticDepth;
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

/**
 * A tiny Swin (16 px, patch 2, windows 2, two stages, stochastic depth 0.2) through ModelSerializer, DL4J's transfer
 * learning and the spec's JSON.
 */
class SwinFineTuneTest {
    static final SwinSpec TINY = new SwinSpec(2, 8, List.of(2, 2), List.of(2, 2), 2, 2.0, 0.1, 0.1, 0.2, 16);

    static ComputationGraph trained() {
        return GraphChecks.trainedOnce(TINY, 16);
    }

    static MultiDataSet batch(int classes) {
        return GraphChecks.randomBatch(16, classes);
    }

    @Test
    void savesAndRestoresWithItsLayers(@TempDir Path dir) throws Exception {
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(trained(), batch(3).getFeatures(0), dir);
        var attn = (ShiftedWindowAttention) restored.getLayer(SwinSpec.blockName(1, 1) + ".attn").conf().getLayer();
        assertThat(attn.getShiftSize()).isEqualTo(1);
        assertThat(attn.getWindowSize()).isEqualTo(2);
        assertThat(attn.dropoutSites()).hasSize(2);
        var drop = (StochasticDepth) restored.getLayer(SwinSpec.blockName(1, 1) + ".stochastic_depth_2").conf()
                .getLayer();
        // the last of 4 blocks: 0.2 * 3 / 3, computed as torchvision does
        assertThat(drop.getP()).isEqualTo(0.2 * 3 / 3);
        assertThat(restored.getConfiguration().getVertices()).doesNotContainKey(SwinSpec.blockName(0, 0)
                + ".stochastic_depth_1");
    }

    @Test
    void newHeadForFiveClassesTrainsAndSaves(@TempDir Path dir) throws Exception {
        // everything below the head is carried over
        ComputationGraph tuned = GraphChecks.assertNewHeadKeepsTheRest(trained(), SwinSpec.HEAD, 5, 16);
        MultiDataSet data = batch(5);
        String table = SwinSpec.blockName(0, 1) + ".attn_relative-position-bias-table";
        INDArray bias = tuned.getParam(table).dup();
        for (int i = 0; i < 3; i++) {
            tuned.fit(data);
        }
        assertThat(tuned.getParam(table)).as("the whole model trains").isNotEqualTo(bias);
        GraphChecks.assertSaveRestoreSame(tuned, data.getFeatures(0), dir);
    }

    @Test
    void frozenBackboneTrainsOnlyTheHead() {
        ComputationGraph tuned = new TransferLearning.GraphBuilder(trained())
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Adam(1e-2)).build())
                .setFeatureExtractor(SwinSpec.POOL)
                .nOutReplace(SwinSpec.HEAD, 5, WeightInit.ZERO)
                .build();
        ModelSummary summary = ModelSummary.of(tuned.getConfiguration(), InputType.convolutional(16, 16, 3));
        assertThat(summary.trainableParams()).isEqualTo(16 * 5 + 5);
        String frozen = SwinSpec.mergingName(0) + "_reduction.weight";
        INDArray merging = tuned.getParam(frozen).dup();
        MultiDataSet data = batch(5);
        for (int i = 0; i < 3; i++) {
            tuned.fit(data);
        }
        assertThat(tuned.getParam(frozen)).isEqualTo(merging);
    }

    @Test
    void specRoundTripsThroughJson() throws Exception {
        String json = Json.write(SwinSpec.swinT());
        assertThat(json.replaceAll("\\s", "")).contains("\"family\":\"swin\"", "\"depths\":[2,2,6,2]",
                "\"windowSize\":7");
        assertThat(Json.read(json, ModelSpec.class, "swin.json")).isEqualTo(SwinSpec.swinT());
    }
}
