package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.OneDnn;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.models.VitSpec;
import io.github.visionzoo.zoo.testing.GraphChecks;
import io.github.visionzoo.zoo.train.Recipes;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * In steady state (fixed shapes, after warm-up) the oneDNN passes of a training step and an inference batch take
 * their temporaries (reordered copies, outputs in oneDNN's layouts, scratchpads) from the block this thread keeps
 * ({@link NativeTemporaries}), and take nothing more from malloc: counted, not timed. It fails if the passes go back
 * to allocating their temporaries at each call (the block stays empty) or if the block is given up and taken again
 * between steps (the allocation count grows).
 */
class SteadyStateAllocationTest {
    private static final int WARMUP = 3;
    private static final int STEPS = 5;

    @Test
    void aResNetStepTakesNoNewTemporaries() {
        assertSteady(new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 16, false, 32), true);
    }

    @Test
    void aVitStepTakesNoNewTemporaries() {
        // the attention products' scratchpads: none at these shapes, so the block may stay empty
        assertSteady(new VitSpec(8, 32, 2, 4, 64, 0, 0, 32), false);
    }

    private static void assertSteady(ModelSpec spec, boolean usesTemporaries) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Dnnl.available(), "oneDNN presets not loaded here");
        OneDnn.enable();
        ComputationGraph net = new ComputationGraph(Recipes.get("cpu-small").applyTo(spec.configuration(10),
                WARMUP + STEPS));
        net.init();
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 32, 32);
        INDArray y = GraphChecks.cyclicLabels(DataType.FLOAT, 4, 10);
        DataSet data = new DataSet(x, y);
        NativeTemporaries.release();
        for (int i = 0; i < WARMUP; i++) {
            net.fit(data);
            net.output(false, x);
        }
        long allocations = NativeTemporaries.allocations();
        long bytes = NativeTemporaries.bytes();
        for (int i = 0; i < STEPS; i++) {
            net.fit(data);
            net.output(false, x);
        }
        if (usesTemporaries) {
            assertThat(bytes).as("the passes' temporaries come from the kept block").isPositive();
        }
        assertThat(NativeTemporaries.allocations()).as("no temporaries taken from malloc in steady state")
                .isEqualTo(allocations);
        assertThat(NativeTemporaries.bytes()).isEqualTo(bytes);
        NativeTemporaries.release();
        assertThat(NativeTemporaries.bytes()).as("released").isZero();
        net.close();
    }
}
