package io.github.visionzoo.zoo.kernels.onednn;

import io.github.visionzoo.zoo.kernels.AddReluKernel;
import java.util.Arrays;
import org.bytedeco.dnnl.binary;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code relu(a + b)} as one oneDNN primitive (a binary add with a ReLU post-op) on float NCHW or channels-last arrays
 * of one layout. Why: the Java pass copies each row into the heap and back, which oneDNN's primitive does not.
 */
final class OneDnnAddRelu implements AddReluKernel {
    private long[] layout;
    private binary.primitive_desc pd;
    private binary primitive;

    /** Takes float inputs with the same strides, dense or channels-last ({@link OneDnnRuntime#denseImage}). */
    @Override
    public INDArray forward(INDArray a, INDArray b, DataType dataType, LayerWorkspaceMgr mgr) {
        if (dataType != DataType.FLOAT || !OneDnnRuntime.denseImage(a) || !Arrays.equals(a.stride(), b.stride())) {
            return null;
        }
        INDArray out = OneDnnRuntime.outputLike(a, mgr);
        forward(a, b, out);
        return out;
    }

    /** {@code out = relu(a + b)}, all three {@code [b, c, h, w]} with the same strides. */
    private void forward(INDArray a, INDArray b, INDArray out) {
        long[] l = OneDnnRuntime.layout(a);
        if (!Arrays.equals(l, OneDnnRuntime.layout(b)) || !Arrays.equals(l, OneDnnRuntime.layout(out))) {
            throw new IllegalArgumentException("inputs and output differ in layout: " + a.shapeInfoToString() + ", "
                    + b.shapeInfoToString() + ", " + out.shapeInfoToString());
        }
        prepare(a, l);
        OneDnnRuntime.execute(primitive, pd, args -> {
            args.put(dnnl.DNNL_ARG_SRC_0, OneDnnRuntime.memory(a));
            args.put(dnnl.DNNL_ARG_SRC_1, OneDnnRuntime.memory(b));
            args.put(dnnl.DNNL_ARG_DST, OneDnnRuntime.memory(out));
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
        memory.desc data = OneDnnRuntime.desc(a);
        pd = new binary.primitive_desc(new binary.desc(dnnl.algorithm.binary_add, data, data, data),
                OneDnnRuntime.userScratchpadRelu(), OneDnnRuntime.ENGINE);
        primitive = new binary(pd);
        layout = l;
    }
}
