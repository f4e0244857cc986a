package io.github.visionzoo.zoo.layers;

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
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

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
 * <p>The window mean is PyTorch's: {@code a^2}, zero-padded over channels ({@code size/2} before,
 * {@code (size-1)/2} after), summed over the window and divided by {@code size}, computed as a sum of channel-shifted
 * copies. The backward pass is written out, {@code dx = g D^-beta - 2 beta alpha' x M^T(g x D^(-beta-1))} with {@code M^T} the
 * same pool with the padding mirrored, instead of a SameDiff graph (which re-runs the forward pass to differentiate
 * it). The layer has no parameters. DL4J's built-in {@code LocalResponseNormalization} gives the same outputs in
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
        /** The training forward pass's input and {@code D}, kept (out of any workspace) for its backward pass. */
        private INDArray forwardInput;
        private INDArray forwardD;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /**
         * The mean of {@code x} over each channel window, zero-padded {@code before} and {@code after}, divided by the
         * window size as PyTorch's average pool counts the padding: the sum of the window's channel-shifted copies,
         * each one addition on {@code [b, c*h*w]} rows. (A size x 1 average pool over {@code [b, 1, c, h*w]} gives
         * the same, but oneDNN runs that shape on its slow reference kernel: 55-74 ms per call on AlexNet's LRN
         * shapes at batch 16, against a few ms here.)
         */
        private INDArray windowMean(INDArray x, int before, int after) {
            long b = x.size(0);
            long c = x.size(1);
            long hw = x.length() / (b * c);
            INDArray rows = x.reshape('c', b, c * hw);
            INDArray sum = rows.dup('c');
            for (int shift = -before; shift <= after; shift++) {
                if (shift == 0 || Math.abs(shift) >= c) {
                    continue;
                }
                // sum[:, i] += x[:, i + shift] for the channels i where i + shift exists
                long to = Math.max(0, -shift) * hw;
                long from = Math.max(0, shift) * hw;
                long length = (c - Math.abs(shift)) * hw;
                sum.get(NDArrayIndex.all(), NDArrayIndex.interval(to, to + length))
                        .addi(rows.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + length)));
            }
            return sum.divi(layerConf().getSize()).reshape('c', x.shape());
        }

        /** {@code D = k + alpha' * mean(a^2)} over each window. */
        private INDArray denominatorBase(INDArray x) {
            int n = layerConf().getSize();
            return windowMean(x.mul(x), n / 2, (n - 1) / 2).muli(layerConf().meanCoefficient())
                    .addi(layerConf().getK());
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            INDArray x = input.castTo(dataType);
            INDArray d = denominatorBase(x);
            if (training) {
                forwardInput = input;
                forwardD = d.detach();
            }
            INDArray scale = Transforms.pow(d, -layerConf().getBeta(), true);
            return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, x.mul(scale));
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            int n = layerConf().getSize();
            double beta = layerConf().getBeta();
            INDArray x = input.castTo(dataType);
            INDArray d = forwardInput == input && forwardD != null ? forwardD : denominatorBase(x);
            forwardInput = null;
            forwardD = null;
            INDArray scale = Transforms.pow(d, -beta, true);
            // the window relation transposed: channel j feeds the windows of [j - (n-1)/2, j + n/2]
            INDArray back = windowMean(epsilon.mul(x).muli(scale).divi(d), (n - 1) / 2, n / 2);
            INDArray dx = epsilon.mul(scale).subi(back.muli(x).muli(2 * beta * layerConf().meanCoefficient()));
            return new Pair<>(new DefaultGradient(), workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, dx));
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
