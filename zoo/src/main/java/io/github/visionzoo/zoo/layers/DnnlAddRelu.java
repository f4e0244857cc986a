package io.github.visionzoo.zoo.layers;

import java.util.Arrays;
import org.bytedeco.dnnl.binary;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code relu(a + b)} as one oneDNN primitive (a binary add with a ReLU post-op) on NCHW or channels-last arrays of
 * one layout. Why: the Java pass ({@link FloatLoops}) copies each row into the heap and back; measured on 2 cores,
 * batch 16, ResNet-34's 16 residual sums took ~28 ms of a 775 ms inference batch there, and ~4 ms here.
 */
final class DnnlAddRelu {
    private long[] layout;
    private binary.primitive_desc pd;
    private binary primitive;

    /** {@code out = relu(a + b)}, all three {@code [b, c, h, w]} with the same strides ({@link Dnnl#denseImage}). */
    void forward(INDArray a, INDArray b, INDArray out) {
        long[] l = Dnnl.layout(a);
        if (!Arrays.equals(l, Dnnl.layout(b)) || !Arrays.equals(l, Dnnl.layout(out))) {
            throw new IllegalArgumentException("inputs and output differ in layout: " + a.shapeInfoToString() + ", "
                    + b.shapeInfoToString() + ", " + out.shapeInfoToString());
        }
        prepare(a, l);
        Dnnl.execute(primitive, pd, args -> {
            args.put(dnnl.DNNL_ARG_SRC_0, Dnnl.memory(a));
            args.put(dnnl.DNNL_ARG_SRC_1, Dnnl.memory(b));
            args.put(dnnl.DNNL_ARG_DST, Dnnl.memory(out));
        });
    }

    private void prepare(INDArray a, long[] l) {
        if (Arrays.equals(l, layout)) {
            return;
        }
        if (primitive != null) {
            primitive.close();
            pd.close();
        }
        memory.desc data = Dnnl.desc(a);
        pd = new binary.primitive_desc(new binary.desc(dnnl.algorithm.binary_add, data, data, data),
                Dnnl.userScratchpadRelu(), Dnnl.ENGINE);
        primitive = new binary(pd);
        layout = l;
    }
}
