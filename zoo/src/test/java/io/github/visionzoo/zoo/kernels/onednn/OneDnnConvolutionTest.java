package io.github.visionzoo.zoo.kernels.onednn;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.kernels.Window;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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
                false);
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
}
