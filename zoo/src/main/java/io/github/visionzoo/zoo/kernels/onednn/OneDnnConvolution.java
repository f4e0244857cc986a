package io.github.visionzoo.zoo.kernels.onednn;

import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.kernels.ConvolutionKernel;
import io.github.visionzoo.zoo.kernels.Window;
import java.util.Arrays;
import java.util.function.Function;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * One 2-D convolution's training passes (forward, input gradient, weight and bias gradients) and inference pass run on
 * oneDNN directly, where DL4J's oneDNN helper goes through libnd4j's {@code conv2d} and {@code conv2d_bp} ops.
 *
 * <p>Why: libnd4j builds its primitive descriptors on every call, reorders the uninitialized output and input-gradient
 * arrays into oneDNN's layout before oneDNN overwrites them, reorders the output gradient twice, and always computes
 * the input gradient. Here the primitives are built once per input shape, oneDNN chooses its layouts ({@code any}, as
 * PyTorch lets it), and the arrays are reordered to and from NCHW only where they carry data; the input gradient is
 * computed only where asked for (not for the stem, whose input is the images).
 *
 * <p>The arrays keep DL4J's NCHW shapes; each is described to oneDNN by its own strides, so views need no copy. The
 * reordered copies, outputs in oneDNN's layouts and the scratchpad are temporaries of the pass, taken from the block
 * of native memory that the thread keeps between passes ({@link OneDnnRuntime.Scratch}), so that a step in steady
 * state allocates none of them: allocated and freed at every pass, as libnd4j's are, they cost glibc's malloc fresh
 * pages from the kernel at every step. Inference reads and writes channels-last arrays in place, as libnd4j's
 * {@code conv2d} does, without rebuilding its primitive on every call, and with ReLU fused; where Winograd's algorithm
 * is faster ({@link #winograd}) it reorders them into oneDNN's blocked layout and back. Float only.
 */
final class OneDnnConvolution implements ConvolutionKernel {
    /** The smallest map side on which inference runs Winograd's algorithm ({@link #winograd}). */
    static final int WINOGRAD_MIN_SIZE = 28;

    private final long outChannels;
    private final long[] kernel;
    private final long[] strides;
    private final long[] dilation; // oneDNN's: 0 for none
    private final boolean bias;
    private final boolean relu;
    /** Whether the training passes run in bf16 where that is faster ({@link Plan}). */
    private final boolean bf16;
    private Plan plan;
    private Inference inference;

    /**
     * A convolution {@code [b, inChannels, h, w] -> [b, outChannels, h', w']} with weights
     * {@code [outChannels, inChannels, kernel...]}, DL4J's dilation (1 for none), with or without bias, and ReLU fused
     * into the forward pass when {@code relu}; training in bf16 where it is faster when {@code bf16} and the CPU runs
     * bf16 natively ({@link OneDnnRuntime#bf16}).
     */
    OneDnnConvolution(long outChannels, int[] kernel, int[] strides, int[] dilation, boolean bias, boolean relu,
                      boolean bf16) {
        this.outChannels = outChannels;
        this.kernel = longs(kernel);
        this.strides = longs(strides);
        this.dilation = Arrays.stream(dilation).mapToLong(d -> d - 1L).toArray();
        this.bias = bias;
        this.relu = relu;
        this.bf16 = bf16 && OneDnnRuntime.bf16();
    }

    /** Takes every input; the output is {@code [b, outChannels, h', w']}. */
    @Override
    public INDArray forward(INDArray input, INDArray weights, INDArray bias, Window window, LayerWorkspaceMgr mgr) {
        Plan p = plan(input, window.padding(), window.outSize());
        if (inference != null) {
            inference.dropWeights(); // stale after the coming step; not held through training
        }
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, p.outShape, 'c');
        run(p.forwardPd, p.forward, input, null, weights, bias, out);
        return out;
    }

    /** Takes every input. */
    @Override
    public INDArray inference(INDArray input, INDArray weights, INDArray bias, Window window,
                              LayerWorkspaceMgr mgr) {
        INDArray out = window.channelsLastOutput(mgr, DataType.FLOAT, input.size(0), outChannels);
        long[] padding = longs(window.padding());
        long[] key = OneDnnRuntime.layout(input);
        if (inference == null || !Arrays.equals(inference.key, key) || !Arrays.equals(inference.padding, padding)) {
            if (inference != null) {
                inference.close();
            }
            inference = new Inference(input, key, padding, out);
        }
        run(inference.pd, inference.primitive, input, inference.weights(weights), weights, bias, out);
        return out;
    }

    /** The copy of the weights and the transformed weights ({@link Inference#weights}), 0 for none. */
    @Override
    public long keptWeightBytes() {
        return inference == null || inference.source == null ? 0
                : inference.source.get_desc().get_size() + inference.transformed.get_desc().get_size();
    }

    /**
     * Runs forward primitive {@code primitive} of {@code input} into {@code out}, each reordered to and from the
     * primitive's layout where it differs; the weights are {@code reordered} where that is not null.
     */
    private void run(convolution_forward.primitive_desc pd, convolution_forward primitive, INDArray input,
                     memory reordered, INDArray weights, INDArray bias, INDArray out) {
        Buffers.execute(primitive, pd, (buffers, args) -> {
            args.put(dnnl.DNNL_ARG_SRC, buffers.in(input, pd.src_desc()));
            args.put(dnnl.DNNL_ARG_WEIGHTS, reordered != null ? reordered : buffers.in(weights, pd.weights_desc()));
            if (this.bias) {
                args.put(dnnl.DNNL_ARG_BIAS, OneDnnRuntime.memory(bias, pd.bias_desc()));
            }
        }, dnnl.DNNL_ARG_DST, out, pd.dst_desc());
    }

    @Override
    public INDArray backward(INDArray input, INDArray weights, INDArray delta, INDArray weightGradient,
                             INDArray biasGradient, boolean inputGradient, LayerWorkspaceMgr mgr) {
        Plan p = plan;
        if (p == null || !Arrays.equals(p.inShape, input.shape())) {
            throw new IllegalStateException("backward pass without the forward pass of this input "
                    + Arrays.toString(input.shape()));
        }
        if (inputGradient) {
            p.dataPd(); // outside the scope below, which frees what is made inside it
        }
        stream s = OneDnnRuntime.stream();
        INDArray inputGrad = null;
        try (OneDnnRuntime.Pass pass = new OneDnnRuntime.Pass()) {
            memory diffDst = new Buffers(s, pass).in(delta, p.weightsPd.diff_dst_desc());
            if (inputGradient) {
                // its copies handed back before the weights' pass
                try (OneDnnRuntime.Pass dataPass = new OneDnnRuntime.Pass()) {
                    inputGrad = backwardData(p, delta, weights, diffDst, new Buffers(s, dataPass), mgr, s);
                }
            }
            Buffers buffers = new Buffers(s, pass);
            IntMemoryMap args = new IntMemoryMap();
            args.put(dnnl.DNNL_ARG_SRC, buffers.in(input, p.weightsPd.src_desc()));
            args.put(dnnl.DNNL_ARG_DIFF_DST, diffDst);
            memory weightGradientMemory = OneDnnRuntime.memory(weightGradient);
            memory diffWeights = buffers.out(weightGradientMemory, p.weightsPd.diff_weights_desc());
            args.put(dnnl.DNNL_ARG_DIFF_WEIGHTS, diffWeights);
            if (bias) {
                args.put(dnnl.DNNL_ARG_DIFF_BIAS, OneDnnRuntime.memory(biasGradient, p.weightsPd.diff_bias_desc()));
            }
            args.put(dnnl.DNNL_ARG_SCRATCHPAD, buffers.scratch(p.weightsPd.scratchpad_desc()));
            p.weights.execute(s, args);
            buffers.finish(diffWeights, weightGradientMemory);
        }
        return inputGrad;
    }

    /** The input gradient of {@link #backward}, a new C-order array in the activation-gradient workspace. */
    private static INDArray backwardData(Plan p, INDArray delta, INDArray weights, memory diffDst, Buffers buffers,
                                         LayerWorkspaceMgr mgr, stream s) {
        convolution_backward_data.primitive_desc pd = p.dataPd();
        INDArray inputGrad = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, p.inShape, 'c');
        IntMemoryMap args = new IntMemoryMap();
        args.put(dnnl.DNNL_ARG_DIFF_DST, diffDst.get_desc().equals(pd.diff_dst_desc()) ? diffDst
                : buffers.in(delta, pd.diff_dst_desc()));
        args.put(dnnl.DNNL_ARG_WEIGHTS, buffers.in(weights, pd.weights_desc()));
        memory inputGradMemory = OneDnnRuntime.memory(inputGrad);
        memory diffSrc = buffers.out(inputGradMemory, pd.diff_src_desc());
        args.put(dnnl.DNNL_ARG_DIFF_SRC, diffSrc);
        args.put(dnnl.DNNL_ARG_SCRATCHPAD, buffers.scratch(pd.scratchpad_desc()));
        p.data.execute(s, args);
        buffers.finish(diffSrc, inputGradMemory);
        return inputGrad;
    }

    /** The primitives for this input shape: the last ones when the shape is the same, else new ones. */
    private Plan plan(INDArray input, int[] padding, int[] outSize) {
        long[] in = input.shape();
        if (plan == null || !Arrays.equals(plan.inShape, in) || !Arrays.equals(plan.padding, longs(padding))) {
            if (plan != null) {
                plan.close();
            }
            plan = new Plan(in, longs(padding), new long[] {in[0], outChannels, outSize[0], outSize[1]});
        }
        return plan;
    }

    /** The bottom-right padding: whatever the output size needs beyond the input and the top-left padding. */
    private long[] paddingR(long[] inShape, long[] padding, long[] outShape) {
        long[] paddingR = new long[2];
        for (int i = 0; i < 2; i++) {
            long reach = (outShape[2 + i] - 1) * strides[i] + (kernel[i] - 1) * (dilation[i] + 1) + 1;
            paddingR[i] = Math.max(0, reach - inShape[2 + i] - padding[i]);
        }
        return paddingR;
    }

    /** A forward primitive from {@code src} to {@code dst}, weights and bias in oneDNN's layout, ReLU fused. */
    private convolution_forward.primitive_desc forwardPd(dnnl.prop_kind kind, dnnl.algorithm algorithm,
                                                         memory.desc src, memory.desc dst, long[] in, long[] out,
                                                         long[] padding, long[] paddingR) {
        primitive_attr attr = relu ? OneDnnRuntime.userScratchpadRelu() : OneDnnRuntime.userScratchpad();
        return new convolution_forward.primitive_desc(new convolution_forward.desc(kind,
                algorithm, src, OneDnnRuntime.any(src.data_type(), out[1], in[1], kernel[0], kernel[1]),
                bias ? OneDnnRuntime.any(out[1]) : new memory.desc(), dst, strides, dilation, padding, paddingR), attr,
                OneDnnRuntime.ENGINE);
    }

    /**
     * Whether inference of this input runs Winograd's algorithm ({@code jit_wino}, in oneDNN's blocked layout): 3x3
     * kernels at stride 1, undilated, on maps of at least {@value #WINOGRAD_MIN_SIZE} pixels a side. Why there: with
     * the reorders from and to channels-last included, it beats {@code brgconv} on channels-last arrays on large maps
     * and loses on small ones, where the reorders weigh more (src/docs/PERFORMANCE.md). Its outputs differ from the
     * direct convolution's by a few 1e-6 relative.
     */
    private boolean winograd(long[] in) {
        return kernel[0] == 3 && kernel[1] == 3 && strides[0] == 1 && strides[1] == 1 && dilation[0] == 0
                && dilation[1] == 0 && in[2] >= WINOGRAD_MIN_SIZE && in[3] >= WINOGRAD_MIN_SIZE;
    }

    /**
     * The inference primitive for one input layout: a channels-last input is read in place, any other is reordered
     * into the layout oneDNN chooses (with the image's NCHW as its source layout oneDNN 2.5 falls back to its
     * reference convolution); Winograd ({@link #winograd}) reads and writes its own blocked layout.
     */
    private final class Inference {
        final long[] key;
        final long[] padding;
        final convolution_forward.primitive_desc pd;
        final convolution_forward primitive;
        private final boolean winograd;
        /** The weights {@link #transformed} came from, as oneDNN's copy; null until the first pass. */
        private memory source;
        private memory transformed;

        Inference(INDArray input, long[] key, long[] padding, INDArray out) {
            this.key = key;
            this.padding = padding;
            long[] in = input.shape();
            long[] paddingR = paddingR(in, padding, out.shape());
            winograd = winograd(in);
            if (winograd) {
                pd = forwardPd(dnnl.prop_kind.forward_inference, dnnl.algorithm.convolution_winograd,
                        OneDnnRuntime.any(in), OneDnnRuntime.any(out.shape()), in, out.shape(), padding, paddingR);
            } else {
                memory.desc src = ChannelsLast.nhwcOf(input) != null ? OneDnnRuntime.desc(input)
                        : OneDnnRuntime.any(in);
                pd = forwardPd(dnnl.prop_kind.forward_inference, dnnl.algorithm.convolution_auto, src,
                        OneDnnRuntime.desc(out), in, out.shape(), padding, paddingR);
            }
            primitive = new convolution_forward(pd);
        }

        /**
         * Winograd's transformed weights, transformed again only when {@code weights} differ from those they came
         * from; null (reorder at each pass) for the other algorithms, whose reorder is a copy, or weights that are
         * not one dense block. Why: the transform costs far more than comparing the weights' bytes with those it
         * came from. Comparing the bytes sees weights changed in any way (an optimizer step, {@code setParams},
         * fine-tuning) and costs a copy of them, as large as the weights (and the transformed weights beside it),
         * which the resident memory that training leaves behind holds. A training pass frees them, so that
         * evaluations between epochs do not raise training's peak.
         */
        memory weights(INDArray weights) {
            if (!winograd || !Shape.hasDefaultStridesForShape(weights) || weights.dataType() != DataType.FLOAT) {
                return null;
            }
            long bytes = weights.length() * Float.BYTES;
            if (source == null) { // oneDNN's allocations, outside the scope below: kept until dropWeights
                source = new memory(OneDnnRuntime.desc(weights), OneDnnRuntime.ENGINE);
                transformed = new memory(pd.weights_desc(), OneDnnRuntime.ENGINE);
            } else if (Pointer.memcmp(source.get_data_handle(), OneDnnRuntime.pointer(weights), bytes) == 0) {
                return transformed;
            }
            stream s = OneDnnRuntime.stream();
            try (PointerScope scope = new PointerScope()) {
                memory user = OneDnnRuntime.memory(weights);
                new reorder(user, transformed).execute(s, user, transformed);
                Pointer.memcpy(source.get_data_handle(), user.get_data_handle(), bytes);
            }
            return transformed;
        }

        /** Frees the kept weights: the next pass transforms them again. */
        void dropWeights() {
            for (Pointer p : new Pointer[] {source, transformed}) {
                if (p != null) {
                    p.close();
                }
            }
            source = null;
            transformed = null;
        }

        void close() {
            dropWeights();
            primitive.close();
            pd.close();
        }
    }

    /**
     * The primitives of one input shape; the backward-data one is built on first use (never for the stem). In a layer
     * that trains in bf16 each pass runs in bf16 (sources, weights, outputs and their gradients; bias and the weight
     * and bias gradients float32, so that the master weights and the optimizer stay float32, and {@link Buffers}'
     * reorders convert at the seam) unless float32 runs it faster ({@link #float32Faster}) or oneDNN has no jit bf16
     * kernel for it.
     */
    private final class Plan {
        final long[] inShape;
        final long[] padding;
        final long[] outShape;
        private final long[] paddingR;
        /** The float32 forward pass and, where the layer trains in bf16, the bf16 one: each the hint of its type. */
        private final convolution_forward.primitive_desc f32Forward;
        private final convolution_forward.primitive_desc bf16Forward;
        final convolution_forward.primitive_desc forwardPd;
        final convolution_forward forward;
        final convolution_backward_weights.primitive_desc weightsPd;
        final convolution_backward_weights weights;
        private convolution_backward_data.primitive_desc dataPd;
        convolution_backward_data data;

        Plan(long[] inShape, long[] padding, long[] outShape) {
            this.inShape = inShape;
            this.padding = padding;
            this.outShape = outShape;
            paddingR = paddingR(inShape, padding, outShape);
            f32Forward = forward(memory.data_type.f32);
            bf16Forward = bf16 ? bf16(() -> forward(memory.data_type.bf16)) : null;
            forwardPd = bf16Forward != null && !float32Faster(f32Forward) ? bf16Forward : f32Forward;
            forward = new convolution_forward(forwardPd);
            weightsPd = faster(this::weightsPd);
            weights = new convolution_backward_weights(weightsPd);
        }

        /**
         * The backward pass that {@code make} describes from a forward hint: in bf16 ({@link #bf16Forward}) unless
         * float32 runs it faster ({@link #float32Faster}) or oneDNN has no jit bf16 kernel for it, else in float32.
         */
        private <P extends primitive_desc_base> P faster(Function<convolution_forward.primitive_desc, P> make) {
            P f32 = make.apply(f32Forward);
            P b = bf16Forward == null || float32Faster(f32) ? null : bf16(() -> make.apply(bf16Forward));
            if (b == null) {
                return f32;
            }
            f32.close();
            return b;
        }

        private convolution_forward.primitive_desc forward(memory.data_type type) {
            return forwardPd(dnnl.prop_kind.forward_training, dnnl.algorithm.convolution_auto,
                    OneDnnRuntime.any(type, inShape), OneDnnRuntime.any(type, outShape), inShape, outShape, padding,
                    paddingR);
        }

        /** Weight (and bias) gradients in float32, from the sources and output gradient in {@code hint}'s type. */
        private convolution_backward_weights.primitive_desc weightsPd(convolution_forward.primitive_desc hint) {
            memory.data_type type = hint.src_desc().data_type();
            return new convolution_backward_weights.primitive_desc(new convolution_backward_weights.desc(
                    dnnl.algorithm.convolution_auto, OneDnnRuntime.any(type, inShape),
                    OneDnnRuntime.any(outShape[1], inShape[1], kernel[0], kernel[1]),
                    bias ? OneDnnRuntime.any(outShape[1]) : new memory.desc(), OneDnnRuntime.any(type, outShape),
                    strides, dilation, padding, paddingR), OneDnnRuntime.userScratchpad(), OneDnnRuntime.ENGINE,
                    hint);
        }

        private convolution_backward_data.primitive_desc dataPd(convolution_forward.primitive_desc hint) {
            memory.data_type type = hint.src_desc().data_type();
            return new convolution_backward_data.primitive_desc(new convolution_backward_data.desc(
                    dnnl.algorithm.convolution_auto, OneDnnRuntime.any(type, inShape),
                    OneDnnRuntime.any(type, outShape[1], inShape[1], kernel[0], kernel[1]),
                    OneDnnRuntime.any(type, outShape), strides, dilation, padding, paddingR),
                    OneDnnRuntime.userScratchpad(), OneDnnRuntime.ENGINE, hint);
        }

        /**
         * Whether float32 runs this pass faster than bf16: where it runs Winograd's algorithm on maps of at least
         * {@value #WINOGRAD_MIN_SIZE} pixels a side from 16 channels or more. There Winograd's fewer multiplications
         * beat bf16's direct kernel (VGG-16's 3x3 layers from 224 to 28 px: bf16 0.7-1.0x); on smaller maps, on an
         * image's 3 channels and wherever float32 runs a direct kernel bf16 is 1.1-2x faster
         * (src/docs/PERFORMANCE.md, "bf16").
         */
        private boolean float32Faster(primitive_desc_base f32) {
            return OneDnnRuntime.winograd(f32) && inShape[1] >= 16 && inShape[2] >= WINOGRAD_MIN_SIZE
                    && inShape[3] >= WINOGRAD_MIN_SIZE;
        }

        convolution_backward_data.primitive_desc dataPd() {
            if (dataPd == null) {
                dataPd = faster(this::dataPd);
                data = new convolution_backward_data(dataPd);
            }
            return dataPd;
        }

        void close() {
            for (Pointer p : new Pointer[] {forward, forwardPd, f32Forward, bf16Forward, weights, weightsPd, data,
                    dataPd}) {
                if (p != null && !p.isNull()) {
                    p.close();
                }
            }
        }
    }

    /** The bf16 primitive {@code make} describes where oneDNN has a jit kernel for it, else null. */
    private static <P extends primitive_desc_base> P bf16(java.util.function.Supplier<P> make) {
        P pd;
        try {
            pd = make.get();
        } catch (RuntimeException e) { // oneDNN: unimplemented for these descriptors on this CPU
            return null;
        }
        if (OneDnnRuntime.jit(pd)) {
            return pd;
        }
        pd.close();
        return null;
    }

    private static long[] longs(int[] a) {
        return Arrays.stream(a).asLongStream().toArray();
    }
}
