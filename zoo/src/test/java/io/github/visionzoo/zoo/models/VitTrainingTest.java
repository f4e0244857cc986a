package io.github.visionzoo.zoo.models;

import static org.assertj.core.api.Assertions.assertThat;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The layers really learn: a small ViT memorizes 32 random images with random labels. Accuracy alone comes quickly
 * (32 points are separable by a linear head on any 64 distinct features), so the loss must fall to 0.2 as well, which
 * takes the whole network.
 */
class VitTrainingTest {
    @Test
    @Tag("slow")
    void tinyVitFitsRandomLabels() {
        // vit_ti-like, small: 32 px, patch 8 (16 patches), D 64, 2 blocks, 4 heads, MLP 128
        VitSpec spec = new VitSpec(8, 64, 2, 4, 128, 0.0, 0.0, 32);
        ComputationGraph graph = new ComputationGraph(spec.configuration(10, 42)); // Adam 1e-3
        graph.init();
        Nd4j.getRandom().setSeed(42);
        INDArray images = Nd4j.randn(DataType.FLOAT, 32, 3, 32, 32);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 32, 10);
        java.util.Random random = new java.util.Random(42);
        int[] classes = new int[32];
        for (int i = 0; i < 32; i++) {
            classes[i] = random.nextInt(10);
            labels.putScalar(i, classes[i], 1.0);
        }
        MultiDataSet data = new MultiDataSet(images, labels);
        double accuracy = 0;
        int step = 0;
        INDArray block = graph.getParam(VitSpec.blockName(0) + "_mlp.0.weight").dup();
        while (step < 400 && (accuracy <= 0.9 || graph.score() > 0.2)) {
            for (int i = 0; i < 10; i++, step++) {
                graph.fit(data);
            }
            INDArray predicted = graph.outputSingle(images).argMax(1);
            int correct = 0;
            for (int i = 0; i < 32; i++) {
                correct += predicted.getInt(i) == classes[i] ? 1 : 0;
            }
            accuracy = correct / 32.0;
        }
        System.out.printf("tiny ViT: %.0f%% training accuracy after %d steps, loss %.4f%n", 100 * accuracy, step,
                graph.score());
        assertThat(accuracy).isGreaterThan(0.9);
        assertThat(graph.score()).isLessThan(0.2);
        assertThat(graph.getParam(VitSpec.blockName(0) + "_mlp.0.weight").distance2(block))
                .as("the first block trained").isGreaterThan(0.1);
    }
}
