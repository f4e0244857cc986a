package io.github.visionzoo.zoo.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The written-out {@link ShiftedWindowAttentionImpl}, {@link PatchMergingImpl} and {@link PatchPartitionImpl} against
 * their layers' SameDiff definitions (torchvision's pad, roll, partition, attention, strided slices and
 * concatenation, the patch projection and layer norm, op by op) in float:
 * the same output, input gradient and parameter gradients, with and without shift and padding; and their gather maps
 * against torchvision's roll and partition and its {@code x0..x3}.
 */
class ShiftedWindowAttentionTest {
    private static final int C = 8;

    @ParameterizedTest(name = "side {0}, window {1}, shift {2}")
    @CsvSource({"8, 4, 0", "8, 4, 2", "7, 3, 1", "5, 3, 1", "3, 7, 3"})
    void writtenOutLayerMatchesItsSameDiffDefinition(int side, int window, int shift) {
        assertWrittenOutMatches(new ShiftedWindowAttention(2, window, shift, 0.0, 0.0), tokens(side),
                ShiftedWindowAttentionImpl.class);
    }

    @ParameterizedTest(name = "side {0}")
    @CsvSource({"4", "5", "7"})
    void writtenOutPatchMergingMatchesItsSameDiffDefinition(int side) {
        assertWrittenOutMatches(new PatchMerging(1e-5), tokens(side), PatchMergingImpl.class);
    }

    @Test
    void writtenOutPatchPartitionMatchesItsSameDiffDefinition() {
        assertWrittenOutMatches(new PatchPartition(4, C, 1e-5), InputType.convolutional(8, 12, 3),
                PatchPartitionImpl.class);
    }

    private static InputType tokens(int side) {
        return InputType.recurrent(C, (long) side * side, RNNFormat.NWC);
    }

    private static void assertWrittenOutMatches(ZooSameDiffLayer conf, InputType in, Class<?> runs) {
        conf.setNIn(in, true);
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).layer(conf).build();
        long n = conf.initializer().numParams(nnc);
        Nd4j.getRandom().setSeed(5);
        INDArray params = Nd4j.rand(DataType.FLOAT, 1, n).subi(0.5);
        Layer written = conf.instantiate(nnc, List.of(), 0, params, false, DataType.FLOAT);
        Layer reference = RuntimeLayers.wire(new ZooSameDiffLayer.Impl(nnc, DataType.FLOAT), nnc, List.of(), 0,
                params.dup(), false);
        assertThat(written).isInstanceOf(runs);
        long[] shape = in.getShape(true);
        shape[0] = 3;
        INDArray x = Nd4j.randn(DataType.FLOAT, shape);
        INDArray out = reference.activate(x, false, LayerWorkspaceMgr.noWorkspaces()).dup();
        INDArray eps = Nd4j.randn(DataType.FLOAT, out.shape());

        Pair<Gradient, INDArray> a = pass(written, n, x, eps);
        Pair<Gradient, INDArray> b = pass(reference, n, x, eps);
        assertClose(written.activate(x, false, LayerWorkspaceMgr.noWorkspaces()), out, "inference output");
        assertClose(a.getSecond(), b.getSecond(), "input gradient");
        for (String key : b.getFirst().gradientForVariable().keySet()) {
            assertClose(a.getFirst().getGradientFor(key), b.getFirst().getGradientFor(key), key);
        }
    }

    /** torchvision's x0, x1, x2, x3 = x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2], per merged token. */
    @Test
    void theMergeMapIsTorchvisionsFourSlices() {
        assertThat(PatchMergingImpl.groupRows(4)).startsWith(0, 4, 1, 5, 2, 6, 3, 7).endsWith(10, 14, 11, 15);
        // 3x3 padded to 4x4: the merged token (1, 1) holds token 8 and three padding rows
        assertThat(PatchMergingImpl.groupRows(3)).hasSize(16).endsWith(8, -1, -1, -1);
    }

    private static Pair<Gradient, INDArray> pass(Layer layer, long n, INDArray x, INDArray eps) {
        layer.setBackpropGradientsViewArray(Nd4j.zeros(DataType.FLOAT, 1, n));
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.activate(x, true, mgr);
        Pair<Gradient, INDArray> p = layer.backpropGradient(eps, mgr);
        // the gradient views are the layer's; copy them before the other layer's pass
        Gradient copy = new DefaultGradient();
        p.getFirst().gradientForVariable().forEach((k, v) -> copy.setGradientFor(k, v.dup()));
        return new Pair<>(copy, p.getSecond().dup());
    }

    private static void assertClose(INDArray actual, INDArray expected, String what) {
        double scale = Math.max(1e-3, expected.amaxNumber().doubleValue());
        assertThat(actual.shape()).as(what).isEqualTo(expected.shape());
        assertThat(actual.sub(expected).amaxNumber().doubleValue() / scale).as(what).isLessThan(1e-4);
    }

    /** The map on a 4x4 map, windows 2, shift 1: torchvision's {@code roll(x, -1)} then 2x2 windows, row by row. */
    @Test
    void theGatherMapIsTheRollThenThePartition() {
        int[] map = RowGather.windows(4, 4, 2, 1);
        // rolled[y][x] = x[(y+1)%4][(x+1)%4]; window (0,0) holds rolled rows 0-1, columns 0-1
        assertThat(map).startsWith(5, 6, 9, 10, 7, 4, 11, 8).endsWith(15, 12, 3, 0);
        // 5x5 padded to 6x6, window 3, unshifted: the last column and row of each edge window are padding
        int[] padded = RowGather.windows(5, 5, 3, 0);
        assertThat(padded).hasSize(36).contains(-1).startsWith(0, 1, 2, 5, 6, 7, 10, 11, 12, 3, 4, -1);
        // DaViT's maps need not be square: 2x3 in windows of 2, padded to 2x4
        assertThat(RowGather.windows(2, 3, 2, 0)).containsExactly(0, 1, 3, 4, 2, -1, 5, -1);
    }
}
