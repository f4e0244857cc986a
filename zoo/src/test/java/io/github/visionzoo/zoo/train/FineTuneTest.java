package io.github.visionzoo.zoo.train;

import static io.github.visionzoo.zoo.testing.TrainTestSupport.recipe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.models.VitSpec;
import io.github.visionzoo.zoo.testing.SyntheticImages;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

@Tag("slow")
class FineTuneTest {
    @TempDir
    Path tmp;

    @Test
    void aFrozenBackboneStaysFixedWhileTheNewHeadLearns() {
        SyntheticImages train = SyntheticImages.create(160, 10, 16, 0.6, 16, 31, 32);
        SyntheticImages val = SyntheticImages.create(80, 10, 16, 0.6, 16, 33, 34);
        ComputationGraph net = Zoo.create(new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 8, false, 16), 10, 1);
        Trainer base = new Trainer(tmp.resolve("base")).withConsole(Trainer.Console.QUIET);
        base.fit(net, recipe(1, 3e-3), train, val);
        Path best = tmp.resolve("base").resolve(RunDirectory.BEST);
        ComputationGraph source = Checkpoint.load(best).graph();

        ComputationGraph tuned = FineTune.from(best).withNumClasses(5).withFrozenUpTo("avgpool").build();
        assertThat(tuned.getLayer("conv1")).isInstanceOf(FrozenLayer.class);
        assertThat(tuned.getLayer("fc")).isNotInstanceOf(FrozenLayer.class);
        assertThat(ModelSummary.of(tuned.getConfiguration(), InputType.convolutional(16, 16, 3)).trainableParams())
                .as("only the head trains: 16 inputs x 5 classes + 5 biases").isEqualTo(85);
        INDArray headBefore = tuned.getLayer("fc").params().dup();

        Trainer fineTuning = new Trainer(tmp.resolve("ft")).withConsole(Trainer.Console.QUIET);
        TrainingResult result = fineTuning.fit(tuned, recipe(1, 3e-3), train.subset(0, 1, 2, 3, 4),
                val.subset(0, 1, 2, 3, 4));
        assertThat(result.iterations()).isEqualTo(5);

        Checkpoint saved = fineTuning.latest();
        assertThat(saved.info().numClasses()).isEqualTo(5);
        assertThat(saved.info().headName()).isEqualTo("fc");
        ComputationGraph after = saved.graph();
        for (Layer layer : source.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (!name.equals("fc") && layer.numParams() > 0) {
                assertThat(after.getLayer(name).params()).as(name).isEqualTo(layer.params());
            }
        }
        assertThat(after.getLayer("fc").params()).isNotEqualTo(headBefore);

        Path copy = tmp.resolve("copy.zip");
        Checkpoint.write(copy, after, saved.info());
        ComputationGraph restored = Checkpoint.load(copy).graph();
        assertThat(restored.getLayer("layer1.0.conv1")).isInstanceOf(FrozenLayer.class);
        INDArray features = val.subset(0, 1, 2, 3, 4).next().getFeatures();
        assertThat(restored.outputSingle(false, features)).isEqualTo(after.outputSingle(false, features));
    }

    @Test
    void aTinyVitFineTunesWithItsCustomLayersFrozen() {
        SyntheticImages train = SyntheticImages.create(160, 10, 16, 0.6, 16, 41, 42);
        SyntheticImages val = SyntheticImages.create(80, 10, 16, 0.6, 16, 43, 44);
        ComputationGraph net = Zoo.create(new VitSpec(4, 16, 2, 2, 32, 0.0, 0.0, 16), 10, 1);
        Trainer base = new Trainer(tmp.resolve("vit")).withConsole(Trainer.Console.QUIET);
        base.fit(net, recipe(1, 3e-3), train, val);
        Path best = tmp.resolve("vit").resolve(RunDirectory.BEST);
        ComputationGraph source = Checkpoint.load(best).graph();

        ComputationGraph tuned = FineTune.from(best).withNumClasses(5).withFrozenUpTo("encoder.ln").build();
        INDArray headBefore = tuned.getLayer(VitSpec.HEAD).params().dup();
        Trainer fineTuning = new Trainer(tmp.resolve("vit-ft")).withConsole(Trainer.Console.QUIET);
        fineTuning.fit(tuned, recipe(1, 3e-3), train.subset(0, 1, 2, 3, 4), val.subset(0, 1, 2, 3, 4));

        Checkpoint saved = fineTuning.latest();
        assertThat(saved.info().headName()).isEqualTo(VitSpec.HEAD);
        ComputationGraph after = saved.graph();
        for (Layer layer : source.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (!name.equals(VitSpec.HEAD) && layer.numParams() > 0) {
                assertThat(after.getLayer(name).params()).as(name).isEqualTo(layer.params());
            }
        }
        assertThat(after.getLayer(VitSpec.HEAD).params()).isNotEqualTo(headBefore);
        Path copy = tmp.resolve("vit-copy.zip");
        Checkpoint.write(copy, after, saved.info());
        INDArray features = val.subset(0, 1, 2, 3, 4).next().getFeatures();
        assertThat(Checkpoint.load(copy).graph().outputSingle(false, features))
                .isEqualTo(after.outputSingle(false, features));
    }

    @Test
    void badFreezePointsAreNamed() {
        ComputationGraph net = Zoo.create(new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1), 8, false, 16), 3, 1);
        assertThatThrownBy(() -> FineTune.from(net).withFrozenUpTo("layer9"))
                .hasMessageContaining("layer9").hasMessageContaining("ModelSummary");
        assertThatThrownBy(() -> FineTune.from(net).withFrozenUpTo("fc"))
                .hasMessageContaining("head 'fc'").hasMessageContaining("nothing to train");
    }
}
