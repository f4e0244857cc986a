package io.github.visionzoo.zoo.kernels.onednn;

import io.github.visionzoo.zoo.kernels.BatchNormKernel;
import java.util.Arrays;
import org.bytedeco.dnnl.batch_normalization_forward;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.FloatPointer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batch normalization's inference pass, {@code relu?(x * scale + shift)} with per-channel {@code scale} and
 * {@code shift}, as one oneDNN primitive ({@code bnorm_jit}) on NCHW or channels-last arrays.
 *
 * <p>Why: the Java pass copies each row into the heap and back, which oneDNN's primitive does not. The primitive is
 * given mean 0, variance 1 and epsilon 0, so that it computes {@code x * scale + shift} exactly as the Java pass does.
 */
final class OneDnnBatchNorm implements BatchNormKernel {
    private final boolean relu;
    private long[] layout;
    private long channels;
    private batch_normalization_forward.primitive_desc pd;
    private batch_normalization_forward primitive;
    /** Per channel: mean 0, variance 1, scale, shift ({@code [4, c]}); the first two written once. */
    private FloatPointer statistics;

    OneDnnBatchNorm(boolean relu) {
        this.relu = relu;
    }

    /** Takes dense or channels-last images ({@link OneDnnRuntime#denseImage}). */
    @Override
    public INDArray inference(INDArray x, float[] scale, float[] shift, LayerWorkspaceMgr mgr) {
        if (!OneDnnRuntime.denseImage(x)) {
            return null;
        }
        INDArray out = OneDnnRuntime.outputLike(x, mgr);
        inference(x, out, scale, shift);
        return out;
    }

    /** {@code out = relu?(x * scale + shift)} per channel, {@code x} and {@code out} with the same strides. */
    private void inference(INDArray x, INDArray out, float[] scale, float[] shift) {
        if (!Arrays.equals(x.stride(), out.stride()) || !Arrays.equals(x.shape(), out.shape())) {
            throw new IllegalArgumentException("input and output differ in layout: " + x.shapeInfoToString() + ", "
                    + out.shapeInfoToString());
        }
        prepare(x);
        statistics.position(2 * channels).put(scale).position(3 * channels).put(shift).position(0);
        OneDnnRuntime.execute(primitive, pd, args -> {
            memory.desc vector = new memory.desc(new long[] {channels}, memory.data_type.f32, memory.format_tag.a);
            args.put(dnnl.DNNL_ARG_SRC, OneDnnRuntime.memory(x));
            args.put(dnnl.DNNL_ARG_DST, OneDnnRuntime.memory(out));
            int[] kinds = {dnnl.DNNL_ARG_MEAN, dnnl.DNNL_ARG_VARIANCE, dnnl.DNNL_ARG_SCALE, dnnl.DNNL_ARG_SHIFT};
            for (int i = 0; i < kinds.length; i++) {
                long address = statistics.address() + (long) i * channels * Float.BYTES;
                args.put(kinds[i], OneDnnRuntime.memory(address, vector));
            }
        });
    }

    /** The primitive for {@code x}'s layout: the last one when it is the same, else a new one. */
    private void prepare(INDArray x) {
        long[] l = OneDnnRuntime.layout(x);
        if (Arrays.equals(l, layout)) {
            return;
        }
        if (primitive != null) {
            primitive.close();
            pd.close();
        }
        int flags = dnnl.dnnl_use_global_stats | dnnl.dnnl_use_scale | dnnl.dnnl_use_shift
                | (relu ? dnnl.dnnl_fuse_norm_relu : 0);
        memory.desc data = OneDnnRuntime.desc(x);
        pd = new batch_normalization_forward.primitive_desc(new batch_normalization_forward.desc(
                dnnl.prop_kind.forward_inference.value, data, 0f, flags), OneDnnRuntime.userScratchpad(),
                OneDnnRuntime.ENGINE);
        primitive = new batch_normalization_forward(pd);
        channels = x.size(1);
        statistics = new FloatPointer(4 * channels);
        statistics.fill(0);
        for (long i = channels; i < 2 * channels; i++) {
            statistics.put(i, 1f);
        }
        layout = l;
    }
}
