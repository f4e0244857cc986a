package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.kernels.ConvolutionKernel;
import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.Window;
import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.common.primitives.Pair;

/**
 * DL4J's 2-D {@link ConvolutionLayer} (same parameters, same arithmetic, same JSON apart from the class name and
 * {@link #isInputGradient}) that trains on oneDNN directly and, where it cannot, keeps its output for the backward pass
 * instead of a copy of it.
 *
 * <p>In float, NCHW, with identity or ReLU and without dropout or weight noise, the training passes run on the
 * layer's convolution kernel, chosen when the layer is instantiated ({@link Kernels#convolution}: oneDNN called
 * directly, which builds its primitives once per shape where libnd4j's ops build them at every call). ReLU's
 * derivative comes from the kept output, as below.
 *
 * <p>Otherwise DL4J's code runs, with its output kept. With a cache mode set ({@link CacheMode#DEVICE} or
 * {@link CacheMode#HOST}), DL4J's layer copies each training forward pass's pre-activation into the cache
 * workspace, so that backprop through the oneDNN helper need not run the convolution again; the copy is as large as
 * the layer's output and lives as long as the activations. For the two
 * activations visionzoo's convolutions use the output itself serves the backward pass as well as the
 * pre-activation: an identity's backward pass never reads it, and ReLU's derivative is 1 exactly where
 * {@code relu(z) > 0}, that is where {@code z > 0}. DL4J applies the activation in place, so the output is the
 * pre-activation array after the ReLU, already held in the activations workspace until the backward pass is over.
 * A consumer that changes it in place cannot make a difference either: DL4J's only in-place change of a layer input
 * is inverted dropout, which zeroes units whose incoming gradient it also zeroes and scales the others by a
 * positive factor.
 *
 * <p>Inference runs on channels-last arrays ({@link ChannelsLast}), on the kernel too, or through libnd4j's
 * {@code conv2d} where the kernel takes no pass and DL4J's oneDNN helper serves the layer (see
 * {@code channelsLastForward}). Any other activation, no oneDNN at all, or a forward pass where DL4J keeps no cache
 * (a workspace mode of {@code NONE}) runs DL4J's code unchanged.
 */
public class Conv2d extends ConvolutionLayer {
    private static final long serialVersionUID = 1L;

    private boolean inputGradient = true;
    private boolean bf16;

    /** For JSON. */
    public Conv2d() {
    }

    /**
     * The convolution that {@code builder} describes; {@code builder.build()} runs first, so the same settings are
     * rejected as with DL4J's layer.
     */
    public Conv2d(ConvolutionLayer.Builder builder) {
        super(validated(builder));
    }

    private static ConvolutionLayer.Builder validated(ConvolutionLayer.Builder builder) {
        builder.build(); // DL4J's kernel, stride, padding and convolution-mode checks
        return builder;
    }

    /**
     * Whether convolutions instantiated now train on oneDNN directly (the CPU backend, the oneDNN presets' natives
     * loaded, {@code -Dvisionzoo.onednn.direct} not {@code false}) rather than through DL4J's helper; the benchmarks
     * record it.
     */
    public static boolean trainsOnOneDnnDirectly() {
        return Kernels.oneDnn();
    }

    /**
     * Whether the backward pass computes the gradient with respect to the layer's input (default {@code true}).
     * {@link io.github.visionzoo.zoo.models.Blocks#build} turns it off for the convolutions that read a network input,
     * the images, whose gradient no one uses and which PyTorch never computes either (with 3 input channels, the
     * stem's most expensive pass). With it off, the layer hands DL4J no input gradient ({@code null}); a layer in front
     * of it would then fail its backward pass with DL4J's "all epsilons not set". Turn it back on
     * ({@link io.github.visionzoo.zoo.models.Blocks#withInputGradients}) before
     * putting a layer in front, or for saliency maps and adversarial examples, where the input gradient is the point.
     */
    public boolean isInputGradient() {
        return inputGradient;
    }

    public void setInputGradient(boolean inputGradient) {
        this.inputGradient = inputGradient;
    }

    /**
     * Whether the training passes run in bf16 where that is faster (default {@code false}: float32), as mixed
     * precision does it: bf16 inputs, weights, outputs and their gradients inside each pass, float32 bias, weight and
     * bias gradients, so that the parameters, the optimizer and every other layer stay float32. Only where oneDNN's
     * kernels serve the layer on a CPU with AVX512_BF16 ({@link #trainsInBf16Here}); float32 elsewhere, and for the
     * passes where float32 is faster (Winograd's on large maps). Inference stays float32. A recipe's
     * {@code "precision": "bf16"} sets it on every convolution.
     */
    public boolean isBf16() {
        return bf16;
    }

    public void setBf16(boolean bf16) {
        this.bf16 = bf16;
    }

    /** Whether convolutions instantiated now with {@link #isBf16} train in bf16 on this machine. */
    public static boolean trainsInBf16Here() {
        return Kernels.bf16();
    }

    @Override
    public Conv2d clone() {
        return (Conv2d) super.clone();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new Impl(conf, networkDataType), conf, trainingListeners, layerIndex, layerParamsView,
                initializeParams);
    }

    /**
     * The running layer: DL4J's, with training and inference passes on its kernel where the kernel takes them, and
     * otherwise DL4J's forward pass caching its output instead of a copy.
     */
    static final class Impl extends org.deeplearning4j.nn.layers.convolution.ConvolutionLayer {
        private final ConvolutionKernel kernel;
        /** The last training forward pass ran on {@link #kernel}; its output, for ReLU's derivative. */
        private INDArray kernelOutput;
        /** Whether the last forward pass, training or inference, ran on {@link #kernel} (kept after {@link #clear}). */
        private boolean kernelPass;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
            ConvolutionLayer c = (ConvolutionLayer) conf.getLayer();
            kernel = Kernels.convolution(c.getNOut(), c.getKernelSize(), c.getStride(), c.getDilation(), c.hasBias(),
                    c.getActivationFn() instanceof ActivationReLU, c instanceof Conv2d c2 && c2.isBf16());
        }

        /**
         * What the kernel's passes and channels-last inference need: a float NCHW input, identity or ReLU, and no
         * dropout on the input (which DL4J's code applies).
         */
        private boolean fastPathInput() {
            ConvolutionLayer c = layerConf();
            return input != null && dataType == DataType.FLOAT && input.dataType() == DataType.FLOAT
                    && input.rank() == 4 && c.getCnn2dDataFormat() == CNN2DFormat.NCHW && c.getIDropout() == null
                    && RuntimeLayers.identityOrPlainRelu(c.getActivationFn());
        }

        /** The input checked as DL4J's forward pass checks it, and the window over it. */
        private Window validatedWindow() {
            ConvolutionLayer c = layerConf();
            validateInputRank();
            validateInputDepth(c.getNIn());
            return Window.of(input, c.getKernelSize(), c.getStride(), c.getPadding(), convolutionMode,
                    c.getDilation());
        }

        /** Whether the last forward pass ran on the kernel (after training, its backward pass will too). */
        boolean ranOnKernel() {
            return kernelPass;
        }

        /** The bytes of weights that the kernel keeps for inference, 0 for none. */
        long keptWeightBytes() {
            return kernel.keptWeightBytes();
        }

        private INDArray bias() {
            return layerConf().hasBias() ? getParam(ConvolutionParamInitializer.BIAS_KEY) : null;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            if (kernelOutput == null) {
                Pair<Gradient, INDArray> pair = super.backpropGradient(epsilon, workspaceMgr);
                if (!((Conv2d) layerConf()).isInputGradient()) {
                    pair.setSecond(null);
                }
                return pair;
            }
            ConvolutionLayer c = layerConf();
            // ReLU's derivative from the output: 1 exactly where relu(z) > 0 (see the class comment)
            INDArray delta = c.getActivationFn().backprop(kernelOutput, epsilon.castTo(DataType.FLOAT)).getFirst();
            INDArray weightGrad = gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY);
            INDArray biasGrad = c.hasBias() ? gradientViews.get(ConvolutionParamInitializer.BIAS_KEY) : null;
            INDArray inputGrad = kernel.backward(input, getParam(ConvolutionParamInitializer.WEIGHT_KEY), delta,
                    weightGrad, biasGrad, ((Conv2d) c).isInputGradient(), workspaceMgr);
            Gradient g = new DefaultGradient();
            if (biasGrad != null) {
                g.gradientForVariable().put(ConvolutionParamInitializer.BIAS_KEY, biasGrad);
            }
            g.gradientForVariable().put(ConvolutionParamInitializer.WEIGHT_KEY, weightGrad);
            return new Pair<>(g, inputGrad);
        }

        /** Whether DL4J would cache in this forward pass, in the workspace that holds the activations. */
        private boolean cachesHere(boolean training, LayerWorkspaceMgr mgr) {
            return training && cacheMode != null && cacheMode != CacheMode.NONE && helper != null
                    && helperCountFail == 0 && RuntimeLayers.identityOrPlainRelu(layerConf().getActivationFn())
                    && mgr.hasConfiguration(ArrayType.FF_CACHE) && mgr.isWorkspaceOpen(ArrayType.FF_CACHE)
                    && mgr.hasConfiguration(ArrayType.ACTIVATIONS) && mgr.getWorkspaceName(ArrayType.FF_CACHE) != null
                    && mgr.getWorkspaceName(ArrayType.FF_CACHE).equals(mgr.getWorkspaceName(ArrayType.ACTIVATIONS));
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            kernelOutput = null;
            kernelPass = false;
            if (fastPathInput() && (!training || layerConf().getWeightNoise() == null)) { // DL4J's code adds noise
                Window window = validatedWindow();
                INDArray weights = getParam(ConvolutionParamInitializer.WEIGHT_KEY);
                INDArray out = training ? kernel.forward(input, weights, bias(), window, workspaceMgr)
                        : kernel.inference(input, weights, bias(), window, workspaceMgr);
                kernelPass = out != null;
                if (kernelPass) {
                    kernelOutput = training ? out : null;
                    return out;
                }
                if (!training && helper != null && helperCountFail == 0) {
                    return channelsLastForward(window, workspaceMgr);
                }
            }
            if (!cachesHere(training, workspaceMgr)) {
                return super.activate(training, workspaceMgr);
            }
            CacheMode mode = cacheMode;
            cacheMode = CacheMode.NONE; // DL4J's forward pass without its copy
            preOutput = null;
            INDArray out;
            try {
                out = super.activate(training, workspaceMgr);
            } finally {
                cacheMode = mode;
            }
            if (helperCountFail == 0) { // the helper ran: its backward pass reads preOutput
                preOutput = out;
            }
            return out;
        }

        /**
         * Inference into a channels-last output ({@link ChannelsLast}) through libnd4j's {@code conv2d}, the op DL4J's
         * oneDNN helper calls: with channels-last input too, oneDNN reads and writes the arrays in place, where NCHW
         * arrays cost it three reorders per convolution.
         */
        private INDArray channelsLastForward(Window window, LayerWorkspaceMgr workspaceMgr) {
            ConvolutionLayer c = layerConf();
            INDArray out = window.channelsLastOutput(workspaceMgr, dataType, input.size(0), c.getNOut());
            // conv2d takes [kH, kW, iC, oC] weights; DL4J keeps [oC, iC, kH, kW]
            INDArray weights = getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, false, workspaceMgr)
                    .permute(2, 3, 1, 0);
            DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder("conv2d").addOutputs(out)
                    .addIntegerArguments(window.opArguments(0)); // 0: NCHW
            if (c.hasBias()) {
                op.addInputs(input, weights, getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, false,
                        workspaceMgr));
            } else {
                op.addInputs(input, weights);
            }
            Nd4j.exec(op.build());
            if (c.getActivationFn() instanceof ActivationReLU) {
                INDArray nhwc = ChannelsLast.nhwcOf(out);
                Nd4j.exec(new RectifiedLinear(nhwc, nhwc, 0.0));
            }
            return out;
        }

        @Override
        public void clear() {
            super.clear();
            preOutput = null;
            kernelOutput = null;
        }
    }
}
