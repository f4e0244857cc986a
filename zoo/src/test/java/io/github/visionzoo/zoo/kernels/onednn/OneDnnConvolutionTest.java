package io.github.visionzoo.zoo.kernels.onednn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.kernels.Window;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/** The convolution kernel on its own; {@code Conv2dOneDnnTest} holds it to DL4J's numbers inside the layer. */
class OneDnnConvolutionTest {
    @BeforeAll
    static void loaded() {
        assertThat(OneDnnKernels.loaded()).as("oneDNN presets loaded").isTrue();
    }

    /** Arrays are handed to oneDNN with their own strides: a channels-last view needs no copy and reads right. */
    @Test
    void readsAndWritesViewsThroughTheirStrides() {
        INDArray x = ChannelsLast.create(LayerWorkspaceMgr.noWorkspaces(), ArrayType.ACTIVATIONS,
                DataType.FLOAT, 2, 5, 9, 9);
        x.assign(Nd4j.rand(DataType.FLOAT, 2, 5, 9, 9).subi(0.5));
        INDArray w = Nd4j.rand(DataType.FLOAT, 4, 5, 3, 3).subi(0.5);
        INDArray b = Nd4j.rand(DataType.FLOAT, 1, 4);
        OneDnnConvolution conv = new OneDnnConvolution(4, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, true,
                false, false);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        Window window = new Window(new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {5, 5}, false);
        INDArray out = conv.forward(x, w, b, window, mgr);

        INDArray expected = Nd4j.create(DataType.FLOAT, 2, 4, 5, 5);
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(x.dup('c'), w.permute(2, 3, 1, 0).dup('c'),
                b.reshape(4)).addOutputs(expected).addIntegerArguments(3, 3, 2, 2, 1, 1, 1, 1, 0, 0).build());
        assertThat(out.equalsWithEps(expected, 1e-5)).isTrue();

        INDArray delta = Nd4j.rand(DataType.FLOAT, 2, 5, 5, 4).subi(0.5).permute(0, 3, 1, 2); // a view as well
        INDArray gw = Nd4j.create(DataType.FLOAT, 4, 5, 3, 3);
        INDArray gb = Nd4j.create(DataType.FLOAT, 1, 4);
        INDArray gx = conv.backward(x, w, delta, gw, gb, true, mgr);
        INDArray gw2 = Nd4j.create(DataType.FLOAT, 4, 5, 3, 3);
        INDArray gb2 = Nd4j.create(DataType.FLOAT, 1, 4);
        INDArray gx2 = conv.backward(x.dup('c'), w, delta.dup('c'), gw2, gb2, true, mgr);
        assertThat(gx.equalsWithEps(gx2, 1e-6)).isTrue();
        assertThat(gw.equalsWithEps(gw2, 1e-6)).isTrue();
        assertThat(gb.equalsWithEps(delta.sum(0, 2, 3).reshape(1, 4), 1e-5)).isTrue();
        assertThat(gw.amaxNumber().doubleValue()).isPositive();

        assertThat(conv.backward(x, w, delta, gw, gb, false, mgr)).as("no input gradient")
                .isNull();
        assertThat(gw.equalsWithEps(gw2, 1e-6)).isTrue();
    }

    /** The largest absolute difference over the largest absolute value of {@code expected}. */
    private static double relativeError(INDArray actual, INDArray expected) {
        return actual.sub(expected).amaxNumber().doubleValue() / expected.amaxNumber().doubleValue();
    }

    /**
     * A bf16 layer's training passes agree with float32's to bf16's precision (8 significant bits in, float32 sums)
     * where they run in bf16, and equal float32's where float32 is faster: where oneDNN runs float32 Winograd on a map
     * of 28 px or more from 16 channels or more, which it chooses pass by pass.
     */
    @ParameterizedTest(name = "{0} channels, {1} px, kernel {2}, stride {3}: bf16 passes {4}")
    @CsvSource({
        "16, 8, 3, 1, fwd bwd_d bwd_w",  // a small map: bf16's direct kernel
        "3, 32, 3, 1, fwd bwd_d bwd_w",  // an image's channels
        "16, 16, 1, 2, fwd bwd_d bwd_w", // 1x1 stride 2, a ResNet projection
        "64, 28, 3, 1, bwd_w"})          // float32 runs Winograd forward and backward-data, a direct weights pass
    void bf16TrainingPassesAgreeWithFloat32(int channels, int size, int k, int stride, String bf16Passes) {
        assumeTrue(OneDnnRuntime.bf16(), "this CPU has no AVX512_BF16");
        int pad = k / 2;
        int out = (size + 2 * pad - k) / stride + 1;
        Window window = new Window(new int[] {k, k}, new int[] {stride, stride}, new int[] {pad, pad},
                new int[] {1, 1}, new int[] {out, out}, false);
        Nd4j.getRandom().setSeed(7);
        int batch = 16; // oneDNN picks Winograd by the batch too
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, channels, size, size).subi(0.5);
        INDArray w = Nd4j.rand(DataType.FLOAT, 32, channels, k, k).subi(0.5);
        INDArray b = Nd4j.rand(DataType.FLOAT, 1, 32);
        INDArray delta = Nd4j.rand(DataType.FLOAT, batch, 32, out, out).subi(0.5);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        INDArray[] f32 = passes(false, x, w, b, delta, window, mgr);
        INDArray[] bf16 = passes(true, x, w, b, delta, window, mgr);
        String[] names = {"output", "input gradient", "weight gradient", "bias gradient"};
        String[] pass = {"fwd", "bwd_d", "bwd_w", "bwd_w"};
        for (int i = 0; i < f32.length; i++) {
            double error = relativeError(bf16[i], f32[i]);
            if (java.util.List.of(bf16Passes.split(" ")).contains(pass[i])) {
                assertThat(error).as(names[i] + " in bf16").isGreaterThan(1e-6).isLessThan(2e-2);
            } else {
                assertThat(error).as(names[i] + " in float32").isLessThan(1e-6);
            }
        }
    }

    /** Output, input gradient, weight gradient and bias gradient of one training step of a fresh layer. */
    private static INDArray[] passes(boolean bf16, INDArray x, INDArray w, INDArray b, INDArray delta, Window window,
                                     LayerWorkspaceMgr mgr) {
        int k = (int) w.size(2);
        OneDnnConvolution conv = new OneDnnConvolution(w.size(0), new int[] {k, k}, window.strides(),
                new int[] {1, 1}, true, false, bf16);
        INDArray out = conv.forward(x, w, b, window, mgr);
        INDArray gw = Nd4j.create(DataType.FLOAT, w.shape());
        INDArray gb = Nd4j.create(DataType.FLOAT, b.shape());
        INDArray gx = conv.backward(x, w, delta, gw, gb, true, mgr);
        return new INDArray[] {out, gx, gw, gb};
    }
}
