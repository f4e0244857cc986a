package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.LrnKernel;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.NoParamLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.Pow;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Local response normalization across channels (Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep
 * Convolutional Neural Networks", NIPS 2012, section 3.3), on {@code [b, c, h, w]} activations:
 *
 * <pre>
 *   b[c] = a[c] / (k + alpha' * sum_{c' in window(c)} a[c']^2)^beta
 *   alpha' = alpha / size   (Convention.PYTORCH: torch.nn.LocalResponseNorm and Caffe, the default)
 *   alpha' = alpha          (Convention.PAPER: the paper's formula, and DL4J's built-in LocalResponseNormalization)
 * </pre>
 *
 * where {@code window(c)} is {@code [c - size/2, c + (size-1)/2]} clipped to the channels, as PyTorch pads it. The
 * defaults are the reference study's and PyTorch's: size 5, alpha 1e-4, beta 0.75, k 2. (With the paper's
 * convention the same layer needs alpha 2e-5 to match, since DL4J's and the paper's alpha is not divided by n.)
 *
 * <p>The window sum is PyTorch's ({@code a^2} zero-padded over channels, {@code size/2} before and
 * {@code (size-1)/2} after), computed as a product with a banded {@code [c, c]} matrix that holds {@code alpha'} in
 * each row's window: one oneDNN matrix product per example, {@code [c, c] x [c, h*w]}, accumulating onto {@code k},
 * gives {@code D}. The backward pass is written out, {@code dx = g D^-beta - 2 beta x B^T(g b / D)} with {@code B^T}
 * the transposed band (the window relation mirrored) and {@code b = a D^-beta} the output, instead of a SameDiff
 * graph (which re-runs the forward pass to differentiate it). It takes {@code D}, {@code D^-beta} and the output from
 * the training forward pass, which leaves them in DL4J's activation workspace (it outlasts backprop), so {@code pow}
 * runs once per step; that costs two arrays of the input's size per layer until backprop, and saves summing the window
 * from channel-shifted copies and recomputing {@code pow} in backprop. About half of the forward pass is {@code pow}
 * (libnd4j's, one scalar {@code powf} per element).
 *
 * <p>Float images run on the layer's kernel instead where it takes them ({@link Kernels#lrn}: oneDNN's LRN primitive,
 * one jit pass each way, for odd window sizes, where oneDNN's centred window is PyTorch's); its inference keeps the
 * input's layout, so a channels-last convolution output stays channels-last for the pooling after it. The passes
 * above serve doubles (gradient checks), even sizes and shapes oneDNN has no jit kernel for.
 *
 * <p>The layer has no parameters. DL4J's built-in {@code LocalResponseNormalization} gives the same outputs in
 * paper mode but, in 1.0.0-M2.1, passes wrong gradients to the layers below it.
 */
public class LocalResponseNorm extends NoParamLayer {
    private static final long serialVersionUID = 1L;

    /** Whether {@code alpha} is divided by the window size. */
    public enum Convention { PYTORCH, PAPER }

    private int size = 5;
    private double alpha = 1e-4;
    private double beta = 0.75;
    private double k = 2.0;
    private Convention convention = Convention.PYTORCH;

    /** For JSON; the defaults are PyTorch's {@code LocalResponseNorm(5, 1e-4, 0.75, 2)}. */
    public LocalResponseNorm() {
    }

    public LocalResponseNorm(int size, double alpha, double beta, double k, Convention convention) {
        if (size < 1) {
            throw new IllegalArgumentException("LocalResponseNorm size must be >= 1, was " + size);
        }
        if (!(alpha >= 0) || !(beta >= 0) || !(k > 0)) {
            throw new IllegalArgumentException("LocalResponseNorm needs alpha >= 0, beta >= 0 and k > 0; was alpha="
                    + alpha + ", beta=" + beta + ", k=" + k);
        }
        this.size = size;
        this.alpha = alpha;
        this.beta = beta;
        this.k = k;
        this.convention = Objects.requireNonNull(convention, "convention");
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new Impl(conf, networkDataType), conf, trainingListeners, layerIndex, layerParamsView,
                initializeParams);
    }

    /** The coefficient of the window mean: PyTorch's alpha / size of the sum is alpha of the mean. */
    double meanCoefficient() {
        return convention == Convention.PYTORCH ? alpha : alpha * size;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeConvolutional c) || c.getFormat() != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException("LocalResponseNorm '" + getLayerName()
                    + "' needs NCHW convolutional input [b, c, h, w], got " + inputType);
        }
        return inputType;
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        long perExample = inputType.arrayElementsPerExample();
        return new LayerMemoryReport.Builder(layerName, LocalResponseNorm.class, inputType, inputType)
                .standardMemory(0, 0)
                .workingMemory(0, 2 * perExample, 0, 4 * perExample)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    /** The running layer. */
    static final class Impl extends AbstractLayer<LocalResponseNorm> {
        private final MatrixSums sums = Kernels.matrixSums();
        private final LrnKernel kernel;
        /** The input of the last training forward pass that {@link #kernel} ran, whose backward pass it then runs. */
        private INDArray kernelInput;
        /**
         * The window as a banded {@code [c, c]} matrix (see {@link #band}), made out of workspaces for the last
         * channel count and data type, and kept.
         */
        private INDArray band;
        /** The last training forward pass's input, output, D and D^-beta (in workspaces that outlast backprop). */
        private INDArray forwardInput;
        private INDArray forwardOutput;
        private INDArray forwardD;
        private INDArray forwardScale;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
            LocalResponseNorm c = layerConf();
            kernel = Kernels.lrn(c.getSize(), c.meanCoefficient(), c.getBeta(), c.getK());
        }

        /**
         * {@code band[i, j] = alpha'} where channel {@code j} is in {@code window(i)} ({@code [i - size/2,
         * i + (size-1)/2]}), else 0: {@code band . a^2} is {@code D - k}, and its transpose is the window relation
         * mirrored, for the backward pass.
         */
        private INDArray band(long c) {
            if (band == null || band.size(0) != c || band.dataType() != dataType) {
                int n = layerConf().getSize();
                double alphaPrime = layerConf().meanCoefficient() / n;
                double[] values = new double[Math.toIntExact(c * c)];
                for (long i = 0; i < c; i++) {
                    for (long j = Math.max(0, i - n / 2); j <= Math.min(c - 1, i + (n - 1) / 2); j++) {
                        values[(int) (i * c + j)] = alphaPrime;
                    }
                }
                try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                    band = Nd4j.create(values, new long[] {c, c}, DataType.DOUBLE).castTo(dataType);
                }
            }
            return band;
        }

        /**
         * {@code out[i] = scale * op(band) . in[i] + accumulate * out[i]} for each example {@code i} of
         * {@code [b, c, h, w]} arrays: one rank-2 product per example, which oneDNN runs (it is not given batched
         * rank-3 products). A size x 1 average pool over {@code [b, 1, c, h*w]} would give the same sums, but oneDNN
         * runs that shape on its slow reference kernel.
         */
        private void windowSums(INDArray in, INDArray out, boolean transpose, double scale, double accumulate) {
            long b = in.size(0);
            long c = in.size(1);
            INDArray band = band(c);
            INDArray in3 = in.reshape('c', b, c, in.length() / (b * c));
            INDArray out3 = out.reshape('c', b, c, in.length() / (b * c));
            for (long i = 0; i < b; i++) {
                // [c, c] x [c, h*w], contiguous slices
                sums.mmul(band, in3.slice(i), out3.slice(i), transpose, false, scale, accumulate);
            }
        }

        /**
         * The forward pass of a contiguous {@code x}: {@code D = k + band . x^2} and {@code D^-beta} into
         * {@code keep} (kept in fields for the backward pass), the output into {@code outType}.
         */
        private INDArray forward(INDArray x, ArrayType keep, ArrayType outType, LayerWorkspaceMgr mgr) {
            INDArray d = mgr.createUninitialized(keep, dataType, x.shape(), 'c');
            INDArray scale = mgr.createUninitialized(keep, dataType, x.shape(), 'c');
            Nd4j.exec(new MulOp(x, x, scale)); // x^2 until it becomes D^-beta
            d.assign(layerConf().getK());
            windowSums(scale, d, false, 1.0, 1.0);
            Nd4j.exec(new Pow(d, scale, -layerConf().getBeta()));
            INDArray out = mgr.createUninitialized(outType, dataType, x.shape(), 'c');
            Nd4j.exec(new MulOp(x, scale, out));
            forwardD = d;
            forwardScale = scale;
            return out;
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            INDArray onKernel = training ? kernel.forward(input, workspaceMgr) : kernel.inference(input, workspaceMgr);
            kernelInput = training && onKernel != null ? input : null;
            if (onKernel != null) {
                clearForward();
                return onKernel;
            }
            INDArray x = RuntimeLayers.contiguous(input, dataType, ArrayType.FF_WORKING_MEM, workspaceMgr);
            INDArray out = forward(x, training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM,
                    ArrayType.ACTIVATIONS, workspaceMgr);
            if (training) {
                forwardInput = input;
                forwardOutput = out;
            } else {
                clearForward();
            }
            return out;
        }

        private void clearForward() {
            forwardInput = null;
            forwardOutput = null;
            forwardD = null;
            forwardScale = null;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            if (kernelInput == input) {
                kernelInput = null;
                return new Pair<>(new DefaultGradient(), kernel.backward(input, epsilon, workspaceMgr));
            }
            INDArray x = RuntimeLayers.contiguous(input, dataType, ArrayType.BP_WORKING_MEM, workspaceMgr);
            if (forwardInput != input || forwardD == null) {
                // backprop without the training forward pass that it needs
                forwardOutput = forward(x, ArrayType.BP_WORKING_MEM, ArrayType.BP_WORKING_MEM, workspaceMgr);
            }
            INDArray g = RuntimeLayers.contiguous(epsilon, dataType, ArrayType.BP_WORKING_MEM, workspaceMgr);
            // dx = g D^-beta - 2 beta x band^T(g x D^(-beta-1)), and x D^-beta is the output
            INDArray t = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c');
            Nd4j.exec(new MulOp(g, forwardOutput, t));
            t.divi(forwardD);
            INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
            windowSums(t, dx, true, 2 * layerConf().getBeta(), 0.0);
            dx.muli(x);
            Nd4j.exec(new MulOp(g, forwardScale, t));
            dx.rsubi(t);
            clearForward();
            return new Pair<>(new DefaultGradient(), dx);
        }

        /** Whether the last training forward pass ran on the kernel. */
        boolean ranOnKernel() {
            return kernelInput != null;
        }

        @Override
        public void clear() {
            super.clear();
            kernelInput = null;
            clearForward();
            kernel.forget();
        }

        @Override
        public double calcRegularizationScore(boolean backpropParamsOnly) {
            return 0;
        }

        @Override
        public Type type() {
            return Type.CONVOLUTIONAL;
        }

        @Override
        public boolean isPretrainLayer() {
            return false;
        }

        @Override
        public void clearNoiseWeightParams() {
            // no parameters
        }

        @Override
        public INDArray params() {
            return null;
        }
    }

    public int getSize() {
        return size;
    }

    public void setSize(int size) {
        this.size = size;
    }

    public double getAlpha() {
        return alpha;
    }

    public void setAlpha(double alpha) {
        this.alpha = alpha;
    }

    public double getBeta() {
        return beta;
    }

    public void setBeta(double beta) {
        this.beta = beta;
    }

    public double getK() {
        return k;
    }

    public void setK(double k) {
        this.k = k;
    }

    public Convention getConvention() {
        return convention;
    }

    public void setConvention(Convention convention) {
        this.convention = convention;
    }
}
