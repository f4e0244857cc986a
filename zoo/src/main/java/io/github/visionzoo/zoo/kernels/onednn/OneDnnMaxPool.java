package io.github.visionzoo.zoo.kernels.onednn;

import io.github.visionzoo.zoo.kernels.MaxPoolKernel;
import io.github.visionzoo.zoo.kernels.Window;
import java.util.Arrays;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_backward;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * Max pooling's training passes on oneDNN directly: the forward pass records where each maximum was in oneDNN's
 * workspace, which this object keeps for the backward pass, one per input shape.
 *
 * <p>Why: DL4J's helper runs libnd4j's {@code maxpool2d_bp}, which runs the forward pass again and allocates its
 * workspace and copies at every call; for VGG-16 at batch 16 that is a fresh activation-sized block per step, which
 * glibc's malloc maps and the kernel zeroes at every step. NCHW float arrays in C order, undilated windows. Where
 * oneDNN 2.5 has only its scalar {@code simple_nchw} implementation for NCHW arrays of a shape (VGG-16's first pooling,
 * 64 channels of 224 x 224), the passes run channels-last on reordered copies, where its jit kernel takes every shape.
 */
final class OneDnnMaxPool implements MaxPoolKernel {
    private long[] key;
    private long[] outShape;
    private pooling_forward.primitive_desc forwardPd;
    private pooling_forward forward;
    private pooling_backward.primitive_desc backwardPd;
    private pooling_backward backward;
    /** Where the maxima of the last forward pass were, kept for its backward pass. */
    private memory workspace;
    /** The input whose forward pass {@link #workspace} holds. */
    private INDArray pooled;

    /** Takes float NCHW arrays in C order and undilated windows. */
    @Override
    public INDArray forward(INDArray input, Window window, LayerWorkspaceMgr mgr) {
        if (input.rank() != 4 || input.dataType() != DataType.FLOAT || !Shape.hasDefaultStridesForShape(input)
                || window.dilation()[0] != 1 || window.dilation()[1] != 1) {
            return null;
        }
        plan(input, window);
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, outShape, 'c');
        run(input, out);
        return out;
    }

    /** The forward pass runs again where the kept maxima are another input's. */
    @Override
    public INDArray backward(INDArray input, Window window, INDArray epsilon, LayerWorkspaceMgr mgr) {
        plan(input, window);
        if (pooled != input) {
            run(input, mgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.FLOAT, outShape, 'c'));
        }
        INDArray delta = epsilon.dataType() == DataType.FLOAT ? epsilon : epsilon.castTo(DataType.FLOAT);
        INDArray inputGrad = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape(), 'c');
        Buffers.execute(backward, backwardPd, (buffers, args) -> {
            args.put(dnnl.DNNL_ARG_DIFF_DST, buffers.in(delta, backwardPd.diff_dst_desc()));
            args.put(dnnl.DNNL_ARG_WORKSPACE, workspace);
        }, dnnl.DNNL_ARG_DIFF_SRC, inputGrad, backwardPd.diff_src_desc());
        return inputGrad;
    }

    /** Forgets which input the kept maxima belong to. */
    @Override
    public void forget() {
        pooled = null;
    }

    private void run(INDArray input, INDArray out) {
        Buffers.execute(forward, forwardPd, (buffers, args) -> {
            args.put(dnnl.DNNL_ARG_SRC, buffers.in(input, forwardPd.src_desc()));
            args.put(dnnl.DNNL_ARG_WORKSPACE, workspace);
        }, dnnl.DNNL_ARG_DST, out, forwardPd.dst_desc());
        pooled = input;
    }

    /** The primitives and workspace for this input shape and window: the last ones when they are the same. */
    private void plan(INDArray input, Window w) {
        long[] in = input.shape();
        long[] k = {in[0], in[1], in[2], in[3], w.kernel()[0], w.kernel()[1], w.strides()[0], w.strides()[1],
                w.padding()[0], w.padding()[1], w.outSize()[0], w.outSize()[1]};
        if (Arrays.equals(k, key)) {
            return;
        }
        close();
        long[] out = {in[0], in[1], w.outSize()[0], w.outSize()[1]};
        long[] kernel = {w.kernel()[0], w.kernel()[1]};
        long[] strides = {w.strides()[0], w.strides()[1]};
        long[] padding = {w.padding()[0], w.padding()[1]};
        long[] paddingR = new long[2];
        for (int i = 0; i < 2; i++) { // whatever the output size needs beyond the input and the top-left padding
            paddingR[i] = Math.max(0, (out[2 + i] - 1) * strides[i] + kernel[i] - in[2 + i] - padding[i]);
        }
        for (memory.format_tag layout : new memory.format_tag[] {memory.format_tag.nchw, memory.format_tag.nhwc}) {
            memory.desc src = new memory.desc(in, memory.data_type.f32, layout);
            memory.desc dst = new memory.desc(out, memory.data_type.f32, layout);
            forwardPd = new pooling_forward.primitive_desc(new pooling_forward.desc(dnnl.prop_kind.forward_training,
                    dnnl.algorithm.pooling_max, src, dst, strides, kernel, padding, paddingR),
                    OneDnnRuntime.userScratchpad(), OneDnnRuntime.ENGINE);
            backwardPd = new pooling_backward.primitive_desc(new pooling_backward.desc(dnnl.algorithm.pooling_max,
                    src, dst, strides, kernel, padding, paddingR), OneDnnRuntime.userScratchpad(),
                    OneDnnRuntime.ENGINE, forwardPd);
            if (layout == memory.format_tag.nhwc || OneDnnRuntime.jit(forwardPd) && OneDnnRuntime.jit(backwardPd)) {
                break;
            }
            backwardPd.close(); // channels-last instead, through copies: oneDNN's jit kernels take it at every size
            forwardPd.close();
        }
        forward = new pooling_forward(forwardPd);
        backward = new pooling_backward(backwardPd);
        workspace = new memory(forwardPd.workspace_desc(), OneDnnRuntime.ENGINE); // kept: one per layer and shape
        outShape = out;
        key = k;
    }

    private void close() {
        for (Pointer p : new Pointer[] {workspace, backward, backwardPd, forward, forwardPd}) {
            if (p != null) {
                p.close();
            }
        }
        pooled = null;
        key = null;
    }
}
