package io.github.visionzoo.zoo.kernels.onednn;

import io.github.visionzoo.zoo.kernels.LrnKernel;
import java.util.Arrays;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.lrn_backward;
import org.bytedeco.dnnl.lrn_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Local response normalization across channels on oneDNN's primitives, {@code x / (k + alpha/size *
 * sum(x^2 over the window))^beta} with oneDNN's {@code alpha} the layer's coefficient of the window mean.
 *
 * <p>Why: the layer's own passes take five passes over the activations and one scalar {@code powf} per element, where
 * oneDNN's jit kernel takes one. Inference reads and writes the input's own layout (NCHW or channels-last, which the
 * convolution before it writes). Training runs channels-last: oneDNN 2.5's backward pass on NCHW arrays is its
 * reference implementation, far slower than the reorders to and from channels-last; the forward pass keeps oneDNN's
 * workspace for the backward pass, one per input shape. A layout for which oneDNN has only its reference
 * implementation is not taken. Float only.
 */
final class OneDnnLrn implements LrnKernel {
    private final long size;
    private final float alpha;
    private final float beta;
    private final float k;
    private Inference inference;
    private Plan plan;
    /** The input whose forward pass {@link Plan#workspace} holds. */
    private INDArray normalized;

    OneDnnLrn(int size, float meanAlpha, float beta, float k) {
        this.size = size;
        this.alpha = meanAlpha;
        this.beta = beta;
        this.k = k;
    }

    @Override
    public INDArray inference(INDArray x, LayerWorkspaceMgr mgr) {
        if (!OneDnnRuntime.denseImage(x)) {
            return null;
        }
        long[] key = OneDnnRuntime.layout(x);
        if (inference == null || !Arrays.equals(inference.key, key)) {
            if (inference != null) {
                inference.close();
            }
            inference = new Inference(key, OneDnnRuntime.desc(x));
        }
        if (!inference.jit) {
            return null;
        }
        INDArray out = OneDnnRuntime.outputLike(x, mgr);
        OneDnnRuntime.execute(inference.primitive, inference.pd, args -> {
            args.put(dnnl.DNNL_ARG_SRC, OneDnnRuntime.memory(x));
            args.put(dnnl.DNNL_ARG_DST, OneDnnRuntime.memory(out));
        });
        return out;
    }

    @Override
    public INDArray forward(INDArray x, LayerWorkspaceMgr mgr) {
        if (x.rank() != 4 || x.dataType() != DataType.FLOAT || !plan(x).jit) {
            return null;
        }
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, x.shape(), 'c');
        run(x, out);
        return out;
    }

    /** The forward pass runs again where the kept workspace is another input's. */
    @Override
    public INDArray backward(INDArray x, INDArray epsilon, LayerWorkspaceMgr mgr) {
        Plan p = plan(x);
        if (normalized != x) {
            run(x, mgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.FLOAT, x.shape(), 'c'));
        }
        INDArray delta = epsilon.dataType() == DataType.FLOAT ? epsilon : epsilon.castTo(DataType.FLOAT);
        INDArray inputGrad = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, x.shape(), 'c');
        Buffers.execute(p.backward, p.backwardPd, (buffers, args) -> {
            args.put(dnnl.DNNL_ARG_SRC, buffers.in(x, p.data));
            args.put(dnnl.DNNL_ARG_DIFF_DST, buffers.in(delta, p.data));
            args.put(dnnl.DNNL_ARG_WORKSPACE, p.workspace);
        }, dnnl.DNNL_ARG_DIFF_SRC, inputGrad, p.data);
        return inputGrad;
    }

    @Override
    public void forget() {
        normalized = null;
    }

    /** The training forward pass of {@code x} into {@code out}, through channels-last copies where they differ. */
    private void run(INDArray x, INDArray out) {
        Plan p = plan;
        Buffers.execute(p.forward, p.forwardPd, (buffers, args) -> {
            args.put(dnnl.DNNL_ARG_SRC, buffers.in(x, p.data));
            args.put(dnnl.DNNL_ARG_WORKSPACE, p.workspace);
        }, dnnl.DNNL_ARG_DST, out, p.data);
        normalized = x;
    }

    /** The training primitives for {@code x}'s shape: the last ones when it is the same. */
    private Plan plan(INDArray x) {
        if (plan == null || !Arrays.equals(plan.shape, x.shape())) {
            if (plan != null) {
                plan.close();
            }
            plan = new Plan(x.shape());
            normalized = null;
        }
        return plan;
    }

    private lrn_forward.desc forwardDesc(dnnl.prop_kind kind, memory.desc data) {
        return new lrn_forward.desc(kind, dnnl.algorithm.lrn_across_channels, data, size, alpha, beta, k);
    }

    /** The inference primitive for one input layout. */
    private final class Inference {
        final long[] key;
        final lrn_forward.primitive_desc pd;
        final lrn_forward primitive;
        final boolean jit;

        Inference(long[] key, memory.desc data) {
            this.key = key;
            pd = new lrn_forward.primitive_desc(forwardDesc(dnnl.prop_kind.forward_inference, data),
                    OneDnnRuntime.userScratchpad(), OneDnnRuntime.ENGINE);
            primitive = new lrn_forward(pd);
            jit = OneDnnRuntime.jit(pd);
        }

        void close() {
            primitive.close();
            pd.close();
        }
    }

    /** The training primitives of one input shape, channels-last, and the workspace they share. */
    private final class Plan {
        final long[] shape;
        final memory.desc data;
        final lrn_forward.primitive_desc forwardPd;
        final lrn_forward forward;
        final lrn_backward.primitive_desc backwardPd;
        final lrn_backward backward;
        /** What the forward pass leaves for the backward pass: kept, one per layer and shape. */
        final memory workspace;
        final boolean jit;

        Plan(long[] shape) {
            this.shape = shape;
            data = new memory.desc(shape, memory.data_type.f32, memory.format_tag.nhwc);
            forwardPd = new lrn_forward.primitive_desc(forwardDesc(dnnl.prop_kind.forward_training, data),
                    OneDnnRuntime.userScratchpad(), OneDnnRuntime.ENGINE);
            forward = new lrn_forward(forwardPd);
            backwardPd = new lrn_backward.primitive_desc(new lrn_backward.desc(dnnl.algorithm.lrn_across_channels,
                    data, data, size, alpha, beta, k), OneDnnRuntime.userScratchpad(), OneDnnRuntime.ENGINE,
                    forwardPd);
            backward = new lrn_backward(backwardPd);
            workspace = new memory(forwardPd.workspace_desc(), OneDnnRuntime.ENGINE);
            jit = OneDnnRuntime.jit(forwardPd) && OneDnnRuntime.jit(backwardPd);
        }

        void close() {
            for (Pointer p : new Pointer[] {workspace, backward, backwardPd, forward, forwardPd, data}) {
                p.close();
            }
        }
    }
}
