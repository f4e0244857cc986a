package io.github.visionzoo.zoo.train;

import static io.github.visionzoo.zoo.testing.TrainTestSupport.tinyNet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.zoo.testing.SyntheticImages;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class EnsembleTest {
    @Test
    void averagesSoftmaxOutputsAndEvaluatesLikeAModel(@TempDir Path tmp) {
        SyntheticImages val = SyntheticImages.create(48, 4, 16, 0.6, 16, 41, 42);
        ComputationGraph a = tinyNet(4, 16, 1);
        ComputationGraph b = tinyNet(4, 16, 2);
        List<Path> files = List.of(tmp.resolve("a.zip"), tmp.resolve("b.zip"));
        Checkpoint.write(files.get(0), a, CheckpointTest.info(0));
        Checkpoint.write(files.get(1), b, CheckpointTest.info(0));
        Ensemble ensemble = Ensemble.load(files);

        INDArray features = val.allFeatures();
        INDArray mean = a.outputSingle(false, features).add(b.outputSingle(false, features)).div(2);
        assertThat(ensemble.output(features).equalsWithEps(mean, 1e-6)).isTrue();

        // the same numbers by hand: example i is of class i % 4
        int correct = 0;
        double loss = 0;
        for (int i = 0; i < 48; i++) {
            correct += mean.getRow(i).argMax().getInt(0) == i % 4 ? 1 : 0;
            loss -= Math.log(mean.getDouble(i, i % 4));
        }
        EvalReport report = ensemble.evaluate(val, val.getLabels());
        assertThat(report.examples()).isEqualTo(48);
        assertThat(report.top1()).isCloseTo(correct / 48.0, within(1e-9));
        assertThat(report.top5()).isEqualTo(1.0); // 4 classes
        assertThat(report.loss()).isCloseTo(loss / 48, within(1e-5));
        assertThat(report.classNames()).isEqualTo(val.getLabels());
        assertThat(java.util.Arrays.stream(report.confusion()).flatMapToInt(java.util.Arrays::stream).sum())
                .isEqualTo(48);

        EvalReport single = Ensemble.of(List.of(a)).evaluate(val, null);
        assertThat(single.top1()).isEqualTo(EvalReport.of(a, val, null).top1());
        assertThat(single.classNames()).containsExactly("0", "1", "2", "3");
    }
}
