package io.github.visionzoo.zoo.layers;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.ops.impl.transforms.same.Sign;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Batch normalization over channels with its activation (identity or ReLU) fused, as torchvision's
 * {@code BatchNorm2d} followed by {@code ReLU}: DL4J's {@link BatchNormalization} with the same parameters, the same
 * running statistics and the same JSON, on a faster implementation.
 *
 * <p>Why not DL4J's own layer: in 1.0.0-M2.1 it ignores its activation (a ReLU needs a vertex of its own, which
 * copies the activations forward and backward), and its oneDNN path is slow where it leaves oneDNN: the batch
 * variance runs through a generic summary-statistics reduction and {@code batchnorm_bp} takes ~175 ms on a
 * [16, 64, 112, 112] batch, where the passes it needs take ~5 ms each. Measured on a 2-core AVX-512 machine, that
 * shape's forward+backward with ReLU went from ~325 ms (DL4J BN + activation vertex) to ~120 ms here.
 *
 * <p>Here every pass runs on the activations seen as {@code [b*c, h*w]} rows, where per-channel scale and shift are
 * column-vector operations (in place, or libnd4j's broadcasting {@code subtract}/{@code multiply} into another array)
 * and per-channel sums are row sums, done as matrix-vector products ({@link MatrixSums}); all fast in ND4J, where
 * broadcasting along the channel dimension of the 4-d array and {@code sum(1)} are not. Measured on [1024, 12544] rows
 * (2 cores): centring into the output 6.5-10.8 -> 4.6-4.8 ms as one broadcasting op instead of a copy and an in-place
 * subtraction, row sums 12.2 -> 2.5 ms. For float arrays the per-channel scale, shift and ReLU of the output, and the
 * backward pass's {@code k1 * dy + k2 * x + k3}, are one Java pass each ({@link FloatLoops}) instead of three and four
 * libnd4j ops (10.5 against 20.9 ms and 14.0 against 23.3 ms on those rows; a graph of two such layers trained
 * 220-228 -> 185-194 ms per step); doubles, for gradient checks, keep the libnd4j ops. The variance is two-pass
 * (centred), biased as in DL4J's and PyTorch's normalization. Backward, with {@code n = b*h*w} and
 * {@code xhat = (x - mean) * invStd}:
 * <pre>
 *   dbeta = sum(dy),  dgamma = sum(dy * xhat)
 *   dx = gamma * invStd * (dy - dbeta / n - xhat * dgamma / n) = k1 * dy + k2 * x + k3   (per channel k1, k2, k3)
 * </pre>
 * where {@code dy} is the incoming gradient masked by the ReLU. The running statistics are updated as DL4J does it
 * (through the "gradients" of the global mean and log10 std, which its updater subtracts), so checkpoints, weight
 * import ({@code running_mean}/{@code running_var}) and fine-tuning treat this layer as a {@code BatchNormalization}.
 *
 * <p>Supports NCHW {@code [b, c, h, w]} and feed-forward {@code [b, c]} input, identity and ReLU activations, and
 * learned gamma and beta.
 */
public class BatchNorm extends BatchNormalization {
    private static final long serialVersionUID = 1L;
    private static final double ONE_ON_2LOGE_10 = 1.0 / (2 * Math.log(10.0));

    /** For JSON: identity activation, eps 1e-5, decay 0.9, running log10 std (DL4J's defaults otherwise). */
    public BatchNorm() {
        setActivationFn(new ActivationIdentity());
    }

    /**
     * @param activation {@link ActivationIdentity} or {@link ActivationReLU} (without threshold or cap)
     * @param eps        added to the variance, PyTorch's {@code eps} (1e-5)
     * @param decay      running-statistics decay, {@code 1 - momentum} in PyTorch's terms (0.9)
     */
    public BatchNorm(IActivation activation, double eps, double decay) {
        this();
        setActivationFn(activation);
        setEps(eps);
        setDecay(decay);
        validate();
    }

    private boolean relu() {
        return getActivationFn() instanceof ActivationReLU;
    }

    private void validate() {
        IActivation a = getActivationFn();
        if (!RuntimeLayers.identityOrPlainRelu(a)) {
            throw new IllegalArgumentException("BatchNorm '" + getLayerName() + "': activation " + a
                    + " is not supported; use identity or relu (or a separate activation layer)");
        }
        if (isLockGammaBeta()) {
            throw new IllegalArgumentException("BatchNorm '" + getLayerName() + "': lockGammaBeta is not supported;"
                    + " use DL4J's BatchNormalization for fixed gamma and beta");
        }
        if (!(getEps() > 0) || !(getDecay() >= 0 && getDecay() <= 1)) {
            throw new IllegalArgumentException("BatchNorm '" + getLayerName() + "' needs eps > 0 and 0 <= decay <= 1;"
                    + " was eps=" + getEps() + ", decay=" + getDecay());
        }
    }

    @Override
    public BatchNorm clone() {
        return (BatchNorm) super.clone();
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType instanceof InputType.InputTypeConvolutional c && c.getFormat() != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException("BatchNorm '" + getLayerName() + "' needs NCHW input [b, c, h, w], got "
                    + inputType + "; use DL4J's BatchNormalization for NHWC");
        }
        return super.getOutputType(layerIndex, inputType);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        validate();
        return RuntimeLayers.wire(new Impl(conf, networkDataType), conf, trainingListeners, layerIndex, layerParamsView,
                initializeParams);
    }

    /** The running layer: DL4J's, with forward and backward passes replaced. */
    static final class Impl extends org.deeplearning4j.nn.layers.normalization.BatchNormalization {
        /** Per-channel statistics of the last training forward pass, kept out of workspaces for the backward pass. */
        private INDArray batchMean;
        private INDArray batchVar;
        private INDArray batchInvStd;
        /** The last training forward pass's input and output (both live in workspaces that outlast backprop). */
        private INDArray forwardInput;
        private INDArray forwardOutput;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private BatchNorm bn() {
            return (BatchNorm) layerConf();
        }

        @Override
        public LayerHelper getHelper() {
            return null; // DL4J's helper is created by the superclass but never used here
        }

        /** {@code [b, c, ...]} as {@code [b*c, rest]} rows, C order. */
        private static INDArray rows(INDArray a) {
            return a.reshape('c', a.size(0) * a.size(1), a.length() / (a.size(0) * a.size(1)));
        }

        /**
         * A per-channel vector {@code [c]} as the column {@code [b*c, 1]} matching {@link #rows}, repeated on the Java
         * side: {@code Nd4j.tile} took 0.1-0.4 ms on these few kilobytes (c = 64-512, b = 16), ~3 % of a ResNet-34
         * training step over the six calls per layer, against 0.03-0.08 ms here.
         */
        private static INDArray perRow(INDArray channelVector, long b) {
            int c = (int) channelVector.length();
            double[] channels = channelVector.toDoubleVector();
            double[] column = new double[Math.multiplyExact(c, (int) b)];
            for (int i = 0; i < b; i++) {
                System.arraycopy(channels, 0, column, i * c, c);
            }
            return Nd4j.create(column, new long[] {column.length, 1}, channelVector.dataType());
        }

        /** Row values {@code [b*c]} (or {@code [b*c, 1]}) summed over the batch: {@code [c]}. */
        private static INDArray perChannel(INDArray rowValues, long b, long c) {
            return rowValues.reshape('c', b, c).sum(0);
        }

        private INDArray runningVariance() {
            INDArray log10Std = getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
            if (log10Std == null) {
                return getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).reshape(layerConf().getNOut());
            }
            // var = (10^log10(std))^2
            INDArray std = Transforms.pow(Nd4j.valueArrayOf(log10Std.shape(), 10.0, dataType), log10Std, false);
            return std.muli(std).reshape(layerConf().getNOut());
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            INDArray x = RuntimeLayers.contiguous(input, dataType, ArrayType.FF_WORKING_MEM, workspaceMgr);
            long b = x.size(0);
            long c = x.size(1);
            if (c != layerConf().getNOut()) {
                throw new IllegalArgumentException("BatchNorm '" + layerConf().getLayerName() + "' expects " 
                        + layerConf().getNOut() + " channels, got input of shape "
                        + java.util.Arrays.toString(x.shape()));
            }
            double n = x.length() / (double) c;
            double eps = layerConf().getEps();
            INDArray gamma = getParam(BatchNormalizationParamInitializer.GAMMA).reshape(c);
            INDArray beta = getParam(BatchNormalizationParamInitializer.BETA).reshape(c);

            INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
            INDArray x2 = rows(x);
            INDArray out2 = rows(out);
            if (training) {
                INDArray mean = perChannel(MatrixSums.rowSums(x2, 1.0), b, c).divi(n);
                Nd4j.exec(new SubOp(new INDArray[] {x2, perRow(mean, b)}, new INDArray[] {out2})); // centred
                // biased, two-pass; per-row dot products take half the time of norm2(1) here
                INDArray var = perChannel(Nd4j.getExecutioner().exec(new Dot(out2, out2, 1)), b, c).divi(n);
                INDArray invStd = Transforms.pow(var.add(eps), -0.5, false);
                affine(out2, invStd.mul(gamma), beta, b, out2);
                keep(mean, var, invStd);
                forwardInput = input;
                forwardOutput = out;
            } else {
                INDArray mean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(c);
                INDArray scale = Transforms.pow(runningVariance().add(eps), -0.5, false).muli(gamma);
                INDArray shift = beta.sub(mean.mul(scale));
                affine(x2, scale, shift, b, out2);
            }
            return out;
        }

        /**
         * {@code out = relu?(in * scale + shift)} on {@code [b*c, h*w]} rows with per-channel {@code scale} and
         * {@code shift} {@code [c]}: one Java pass for float ({@link FloatLoops}), else libnd4j's broadcasting
         * multiply, column add and ReLU.
         */
        private void affine(INDArray in, INDArray scale, INDArray shift, long b, INDArray out) {
            if (FloatLoops.takes(in) && FloatLoops.takes(out)) {
                float[] s = scale.toFloatVector();
                float[] t = shift.toFloatVector();
                int c = s.length;
                boolean relu = bn().relu();
                FloatLoops.rows(in, null, out, (int) in.size(1), (row, x, unused, z, length) -> {
                    float sr = s[(int) (row % c)];
                    float tr = t[(int) (row % c)];
                    if (relu) {
                        for (int i = 0; i < length; i++) {
                            z[i] = Math.max(x[i] * sr + tr, 0f);
                        }
                    } else {
                        for (int i = 0; i < length; i++) {
                            z[i] = x[i] * sr + tr;
                        }
                    }
                });
                return;
            }
            Nd4j.exec(new MulOp(new INDArray[] {in, perRow(scale, b)}, new INDArray[] {out}));
            out.addiColumnVector(perRow(shift, b));
            if (bn().relu()) {
                Nd4j.exec(new RectifiedLinear(out, out, 0.0));
            }
        }

        /** {@code dy = k1 * dy + k2 * x + k3} on {@code [b*c, h*w]} rows with per-channel {@code k} {@code [c]}. */
        private static void combine(INDArray dy, INDArray x, INDArray k1, INDArray k2, INDArray k3, long b,
                                    INDArray scratch) {
            if (FloatLoops.takes(dy) && FloatLoops.takes(x)) {
                float[] a = k1.toFloatVector();
                float[] p = k2.toFloatVector();
                float[] q = k3.toFloatVector();
                int c = a.length;
                FloatLoops.rows(dy, x, dy, (int) dy.size(1), (row, d, xr, z, length) -> {
                    int ch = (int) (row % c);
                    float ar = a[ch];
                    float pr = p[ch];
                    float qr = q[ch];
                    for (int i = 0; i < length; i++) {
                        z[i] = ar * d[i] + pr * xr[i] + qr;
                    }
                });
                return;
            }
            Nd4j.exec(new MulOp(new INDArray[] {x, perRow(k2, b)}, new INDArray[] {scratch}));
            dy.muliColumnVector(perRow(k1, b)).addi(scratch).addiColumnVector(perRow(k3, b));
        }

        private void keep(INDArray mean, INDArray var, INDArray invStd) {
            if (batchMean == null || batchMean.length() != mean.length() || batchMean.dataType() != dataType) {
                try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                    batchMean = Nd4j.createUninitialized(dataType, mean.length());
                    batchVar = Nd4j.createUninitialized(dataType, mean.length());
                    batchInvStd = Nd4j.createUninitialized(dataType, mean.length());
                }
            }
            batchMean.assign(mean);
            batchVar.assign(var);
            batchInvStd.assign(invStd);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            if (forwardInput != input || forwardOutput == null) {
                activate(true, workspaceMgr); // backprop without the training forward pass that it needs
            }
            INDArray x = RuntimeLayers.contiguous(input, dataType, ArrayType.BP_WORKING_MEM, workspaceMgr);
            INDArray eps = RuntimeLayers.contiguous(epsilon, dataType, ArrayType.BP_WORKING_MEM, workspaceMgr);
            long b = x.size(0);
            long c = x.size(1);
            double n = x.length() / (double) c;
            INDArray gamma = getParam(BatchNormalizationParamInitializer.GAMMA).reshape(c);

            // dy: the incoming gradient through the ReLU (its output is >= 0, so sign() is the mask); becomes dx
            INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
            INDArray scratch = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c');
            if (bn().relu()) {
                Nd4j.exec(new Sign(forwardOutput, scratch));
                Nd4j.exec(new MulOp(eps, scratch, dx));
            } else {
                dx.assign(eps);
            }
            INDArray dy2 = rows(dx);
            INDArray scratch2 = rows(scratch);
            INDArray sumDy = perChannel(MatrixSums.rowSums(dy2, 1.0), b, c);
            // sum(dy * x) as a product and a sum by matrix product: 9.1 ms against 10.9 for per-row dot products
            // on [1024, 12544], 2 cores (libnd4j's broadcast ops along dimension 0 and relu_bp are 10-50x slower
            // than the in-place column-vector ops used here)
            Nd4j.exec(new MulOp(dy2, rows(x), scratch2));
            INDArray sumDyX = perChannel(MatrixSums.rowSums(scratch2, 1.0), b, c);

            INDArray dBeta = sumDy;
            INDArray dGamma = sumDyX.sub(batchMean.mul(sumDy)).muli(batchInvStd);
            INDArray k1 = gamma.mul(batchInvStd);
            INDArray k2 = k1.mul(batchInvStd).muli(dGamma).muli(-1.0 / n);
            INDArray k3 = k1.mul(sumDy).muli(-1.0 / n).subi(k2.mul(batchMean));
            combine(dy2, rows(x), k1, k2, k3, b, scratch2);

            Gradient g = new DefaultGradient();
            INDArray dGammaView = gradientViews.get(BatchNormalizationParamInitializer.GAMMA);
            INDArray dBetaView = gradientViews.get(BatchNormalizationParamInitializer.BETA);
            dGammaView.assign(dGamma.reshape(dGammaView.shape()));
            dBetaView.assign(dBeta.reshape(dBetaView.shape()));
            g.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
            g.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
            runningStatisticsUpdate(g);
            forwardInput = null;
            forwardOutput = null;
            return new Pair<>(g, dx);
        }

        /**
         * DL4J's "distributed safe" running statistics: the update is written as a gradient that DL4J's no-op
         * updater subtracts, {@code mean[t+1] = mean[t] - (1 - decay) * (mean[t] - batchMean)}, and likewise for the
         * log10 std (or the variance in configurations that keep it).
         */
        private void runningStatisticsUpdate(Gradient g) {
            double decay = layerConf().getDecay();
            INDArray globalMean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
            INDArray dMean = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_MEAN);
            dMean.assign(globalMean.sub(batchMean.reshape(globalMean.shape()))).muli(1 - decay);
            g.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_MEAN, dMean);
            if (layerConf().isUseLogStd()) {
                INDArray dLog10Std = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
                INDArray vari = runningVariance();
                INDArray varNext = vari.mul(decay).addi(batchVar.mul(1 - decay));
                // log10(std[t]) - log10(std[t+1]) = log(var[t] / var[t+1]) / (2 ln 10)
                INDArray delta = Transforms.log(vari.divi(varNext), false).muli(ONE_ON_2LOGE_10);
                dLog10Std.assign(delta.reshape(dLog10Std.shape()));
                g.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_LOG_STD, dLog10Std);
            } else {
                INDArray globalVar = getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
                INDArray dVar = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_VAR);
                dVar.assign(globalVar.sub(batchVar.reshape(globalVar.shape()))).muli(1 - decay);
                g.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_VAR, dVar);
            }
        }
    }
}
