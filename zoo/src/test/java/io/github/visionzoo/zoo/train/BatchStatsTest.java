package io.github.visionzoo.zoo.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.models.DavitSpec;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.models.SwinSpec;
import io.github.visionzoo.zoo.models.VitSpec;
import io.github.visionzoo.zoo.testing.GraphChecks;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The training accuracy that {@code train} prints is measured for every family's head, the Swin's pooled tokens too. */
class BatchStatsTest {
    static List<ModelSpec> families() {
        return List.of(new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 4, false, 16),
                new VitSpec(4, 8, 1, 2, 16, 0.0, 0.0, 16),
                new SwinSpec(2, 8, List.of(2, 2), List.of(2, 2), 2, 2.0, 0.0, 0.0, 0.0, 16),
                new DavitSpec(List.of(1, 1), List.of(4, 8), List.of(2, 2), 3, 2.0, 0.0, 16));
    }

    @ParameterizedTest
    @MethodSource("families")
    void everyExampleOfAStepIsScored(ModelSpec spec) {
        ComputationGraph graph = new ComputationGraph(spec.configuration(3));
        graph.init();
        BatchStats stats = new BatchStats();
        graph.setListeners(stats);
        graph.fit(new DataSet(Nd4j.rand(DataType.FLOAT, 6, 3, 16, 16), GraphChecks.cyclicLabels(DataType.FLOAT, 6, 3)));
        BatchStats.Totals t = stats.take();
        assertThat(t.examples()).isEqualTo(6);
        assertThat(t.measuredExamples()).as(spec.family().tag()).isEqualTo(6);
        assertThat(t.correct()).isBetween(0L, 6L);
    }
}
