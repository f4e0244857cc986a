package io.github.visionzoo.zoo.kernels;

import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Channels-last activations: NCHW-shaped {@code [b, c, h, w]} views of NHWC memory (PyTorch's {@code channels_last}
 * memory format), which the convolutional models pass along in inference. oneDNN's convolutions run on NHWC, and
 * libnd4j reorders NCHW arrays into and out of each one (the uninitialized output too); with channels-last arrays the
 * memory descriptors match and nothing is reordered. DL4J and ND4J see an NCHW array with unusual strides, and every
 * op reads it correctly.
 */
public final class ChannelsLast {
    private ChannelsLast() {
    }

    /**
     * The {@code [b, h, w, c]} array behind a channels-last activation, as {@link #create} makes them; null for any
     * other array.
     */
    public static INDArray nhwcOf(INDArray a) {
        if (a.rank() != 4 || a.dataType() != DataType.FLOAT) {
            return null;
        }
        INDArray nhwc = a.permute(0, 2, 3, 1);
        return FloatLoops.takes(nhwc) ? nhwc : null;
    }

    /**
     * A new channels-last activation {@code [b, c, h, w]} (see {@link #nhwcOf}) in workspace {@code type}. A 1x1 map
     * is laid out alike in both orders, and gets NCHW's own strides: libnd4j's {@code conv2d} leaves an output with
     * the permuted strides of {@code [b, 1, 1, c]} unwritten.
     */
    public static INDArray create(LayerWorkspaceMgr mgr, ArrayType type, DataType dataType, long b, long c, long h,
                                  long w) {
        if (h == 1 && w == 1) {
            return mgr.createUninitialized(type, dataType, new long[] {b, c, 1, 1}, 'c');
        }
        return mgr.createUninitialized(type, dataType, new long[] {b, h, w, c}, 'c').permute(0, 3, 1, 2);
    }
}
