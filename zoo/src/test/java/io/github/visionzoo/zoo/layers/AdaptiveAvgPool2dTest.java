package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.testing.GraphChecks;
import io.github.visionzoo.zoo.testing.Golden;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class AdaptiveAvgPool2dTest {

    private static ComputationGraph pool(DataType type, int inH, int inW, int outH, int outW) {
        ComputationGraphConfiguration conf = Blocks.newGraph(1, type, 2, inH, inW)
                .addLayer("avgpool", new AdaptiveAvgPool2d(outH, outW), Blocks.INPUT)
                .setOutputs("avgpool")
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** PyTorch's adaptive_avg_pool2d, written out with loops. */
    private static INDArray reference(INDArray x, int oh, int ow) {
        long b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        INDArray out = Nd4j.zeros(DataType.DOUBLE, b, c, oh, ow);
        for (int i = 0; i < oh; i++) {
            long h0 = (long) Math.floor((double) i * h / oh), h1 = (long) Math.ceil((double) (i + 1) * h / oh);
            for (int j = 0; j < ow; j++) {
                long w0 = (long) Math.floor((double) j * w / ow), w1 = (long) Math.ceil((double) (j + 1) * w / ow);
                for (long n = 0; n < b; n++) {
                    for (long ch = 0; ch < c; ch++) {
                        double sum = 0;
                        for (long y = h0; y < h1; y++) {
                            for (long z = w0; z < w1; z++) {
                                sum += x.getDouble(n, ch, y, z);
                            }
                        }
                        out.putScalar(new long[] {n, ch, i, j}, sum / ((h1 - h0) * (w1 - w0)));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void equalsPyTorchArithmeticForShrinkingAndStretching() {
        int[][] cases = {{9, 7, 4, 3}, {5, 5, 5, 5}, {2, 3, 7, 7}, {14, 14, 7, 7}};
        for (int[] c : cases) {
            INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 2, c[0], c[1]);
            INDArray out = pool(DataType.DOUBLE, c[0], c[1], c[2], c[3]).outputSingle(x);
            assertThat(out.shape()).containsExactly(3, 2, c[2], c[3]);
            assertThat(Golden.maxAbsDiff(out, reference(x, c[2], c[3]))).as(java.util.Arrays.toString(c))
                    .isLessThan(1e-12);
        }
    }

    @Test
    @Tag("gradient-check")
    void gradientsMatchNumericOnes() {
        GraphChecks.useDoublePrecision();
        ComputationGraphConfiguration conf = Blocks.newGraph(1, DataType.DOUBLE, 2, 5, 3)
                // a convolution below: its gradients flow back through the layer, so they check the layer's
                .addLayer("conv", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(1, 1).nOut(2)
                        .activation(Activation.IDENTITY).build(), Blocks.INPUT)
                .addLayer("avgpool", new AdaptiveAvgPool2d(2, 4), "conv")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.TANH).build(), "avgpool")
                .setOutputs("out")
                .build();
        Nd4j.getRandom().setSeed(3);
        GraphChecks.assertGradientsMatch(GraphChecks.gradientCheckGraph(conf), Nd4j.randn(DataType.DOUBLE, 2, 2, 5, 3),
                Nd4j.rand(DataType.DOUBLE, 2, 3));
    }

    @Test
    void savesAndRestores(@TempDir Path dir) throws Exception {
        ComputationGraph restored = GraphChecks.assertSaveRestoreSame(pool(DataType.FLOAT, 6, 6, 4, 4),
                Nd4j.rand(DataType.FLOAT, 2, 2, 6, 6), dir);
        AdaptiveAvgPool2d layer = (AdaptiveAvgPool2d) restored.getLayer("avgpool").conf().getLayer();
        assertThat(layer.getInHeight()).isEqualTo(6);
        assertThat(layer.getOutWidth()).isEqualTo(4);
    }
}
