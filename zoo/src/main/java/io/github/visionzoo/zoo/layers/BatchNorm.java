package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.BatchNormKernel;
import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.kernels.FloatLoops;
import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import java.util.Collection;
import java.util.List;
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
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Batch normalization over channels with its activation (identity or ReLU) fused, as torchvision's
 * {@code BatchNorm2d} followed by {@code ReLU}: DL4J's {@link BatchNormalization} with the same parameters, the same
 * running statistics and the same JSON, on a faster implementation.
 *
 * <p>Why not DL4J's own layer: in 1.0.0-M2.1 it ignores its activation (a ReLU needs a vertex of its own, which
 * copies the activations forward and backward), and its oneDNN path is slow where it leaves oneDNN: the batch
 * variance runs through a generic summary-statistics reduction, and {@code batchnorm_bp} takes many times as long as
 * the passes it needs (src/docs/PERFORMANCE.md, "oneDNN").
 *
 * <p>Here every pass runs on the activations seen as {@code [b*c, h*w]} rows. For float arrays each direction is two
 * Java passes ({@link FloatLoops}), where ND4J's ops took six forward and nine backward: forward, each row's sum and
 * sum of squares about its own mean (combined per channel into the exact biased variance), then scale, shift and ReLU
 * as one pass; backward, the ReLU's mask with both per-channel sums of the gradient, then
 * {@code k1 * dy + k2 * x + k3}. The sums run while the row is in cache, in eight partial sums.
 * Doubles, for gradient checks, and views take ND4J's ops: per-channel scale and shift as column-vector operations on
 * the rows, per-channel sums as matrix-vector products ({@link MatrixSums}; libnd4j's broadcasting along the channel
 * dimension of the 4-d array and its {@code sum(1)} are slow). The variance that normalizes is biased, as in DL4J's
 * and PyTorch's normalization; the running variance follows the unbiased one, as PyTorch's. Backward, with {@code n = b*h*w} and {@code xhat = (x - mean) * invStd}:
 * <pre>
 *   dbeta = sum(dy),  dgamma = sum(dy * xhat)
 *   dx = gamma * invStd * (dy - dbeta / n - xhat * dgamma / n) = k1 * dy + k2 * x + k3   (per channel k1, k2, k3)
 * </pre>
 * where {@code dy} is the incoming gradient masked by the ReLU. The running statistics are updated as DL4J does it
 * (through the "gradients" of the global mean and log10 std, which its updater subtracts), so checkpoints, weight
 * import ({@code running_mean}/{@code running_var}) and fine-tuning treat this layer as a {@code BatchNormalization}.
 *
 * <p>Inference on float images runs on the layer's batch-norm kernel where it takes the input
 * ({@link Kernels#batchNorm}: oneDNN's batch normalization, on NCHW or channels-last arrays as {@link Conv2d} leaves
 * them), and otherwise as one Java pass; the per-channel scale and shift are computed in Java.
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

    /**
     * Gamma and beta take the layer's bias regularization, which a recipe sets to its weight decay where it decays
     * every parameter (as a PyTorch optimizer over {@code model.parameters()} does) and leaves empty otherwise; DL4J's
     * batch normalization never regularizes them. The running statistics never.
     */
    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return switch (paramName) {
            case BatchNormalizationParamInitializer.GAMMA, BatchNormalizationParamInitializer.BETA ->
                    getRegularizationBias();
            default -> null;
        };
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
        private final BatchNormKernel kernel;
        private final MatrixSums sums = Kernels.matrixSums();
        /** Whether the last forward pass ran on {@link #kernel}. */
        private boolean kernelPass;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
            kernel = Kernels.batchNorm(((BatchNorm) conf.getLayer()).relu());
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
         * side: {@code Nd4j.tile} is slow on these few kilobytes, and a layer needs six of them per step.
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

        /** Per-row values of {@code [b*c, ...]} rows summed over the batch, in double: {@code [c]}. */
        private static double[] byChannel(float[] rowValues, long c) {
            double[] sums = new double[(int) c];
            for (int r = 0; r < rowValues.length; r++) {
                sums[(int) (r % c)] += rowValues[r];
            }
            return sums;
        }

        /**
         * Per-channel mean and biased variance {@code [c]} of float rows {@code [b*c, h*w]} in one Java pass: each
         * row's sum and its sum of squares about its own mean while the row is in cache, combined per channel with
         * Chan et al.'s pairwise formula, {@code M2 = sum(M2_row) + sum(len * (mean_row - mean)^2)}: as exact as two
         * passes over the whole channel, at the cost of one.
         */
        private INDArray[] moments(INDArray rows, long b, long c) {
            int length = (int) rows.size(1);
            float[] sums = new float[(int) rows.size(0)];
            float[] squares = new float[sums.length];
            FloatLoops.rows(new INDArray[] {rows}, new INDArray[0], length, (worker, row, in, out, len) -> {
                float sum = FloatLoops.sum(in[0], len);
                sums[(int) row] = sum;
                squares[(int) row] = FloatLoops.squaresAbout(in[0], sum / len, len);
            });
            double n = (double) b * length;
            double[] mean = byChannel(sums, c);
            double[] var = new double[(int) c];
            for (int ch = 0; ch < c; ch++) {
                mean[ch] /= n;
            }
            for (int r = 0; r < sums.length; r++) {
                int ch = (int) (r % c);
                double offset = sums[r] / (double) length - mean[ch];
                var[ch] += squares[r] + length * offset * offset;
            }
            for (int ch = 0; ch < c; ch++) {
                var[ch] /= n;
            }
            return new INDArray[] {Nd4j.createFromArray(mean).castTo(dataType),
                    Nd4j.createFromArray(var).castTo(dataType)};
        }

        /** The running variance {@code [c]} (DL4J keeps its log10 std by default). */
        private double[] runningVarianceValues() {
            long c = layerConf().getNOut();
            INDArray log10Std = getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
            if (log10Std == null) {
                return getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).reshape(c).toDoubleVector();
            }
            double[] var = log10Std.reshape(c).toDoubleVector();
            for (int i = 0; i < var.length; i++) {
                var[i] = Math.pow(10.0, 2 * var[i]); // (10^log10(std))^2
            }
            return var;
        }

        private INDArray runningVariance() {
            return Nd4j.createFromArray(runningVarianceValues()).castTo(dataType);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            boolean floatInference = !training && dataType == DataType.FLOAT
                    && input.size(1) == layerConf().getNOut();
            kernelPass = false;
            if (floatInference) {
                double[][] scaleShift = inferenceScaleShift();
                float[] scale = floats(scaleShift[0]);
                float[] shift = floats(scaleShift[1]);
                INDArray out = kernel.inference(input, scale, shift, workspaceMgr);
                kernelPass = out != null;
                INDArray nhwc = ChannelsLast.nhwcOf(input);
                if (out == null && nhwc != null) {
                    out = channelsLastInference(nhwc, scale, shift, workspaceMgr);
                }
                if (out != null) {
                    return out;
                }
            }
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
                INDArray mean;
                INDArray var;
                if (FloatLoops.takes(x2)) {
                    INDArray[] moments = moments(x2, b, c);
                    mean = moments[0];
                    var = moments[1];
                } else {
                    mean = perChannel(sums.rowSums(x2, 1.0), b, c).divi(n);
                    Nd4j.exec(new SubOp(new INDArray[] {x2, perRow(mean, b)}, new INDArray[] {out2})); // centred
                    // biased, two-pass; per-row dot products take half the time of norm2(1) here
                    var = perChannel(Nd4j.getExecutioner().exec(new Dot(out2, out2, 1)), b, c).divi(n);
                }
                INDArray invStd = Transforms.pow(var.add(eps), -0.5, false);
                INDArray scale = invStd.mul(gamma);
                affine(x2, scale, beta.sub(mean.mul(scale)), b, out2);
                keep(mean, var, invStd);
                forwardInput = input;
                forwardOutput = out;
            } else {
                double[][] scaleShift = inferenceScaleShift();
                affine(x2, Nd4j.createFromArray(scaleShift[0]).castTo(dataType),
                        Nd4j.createFromArray(scaleShift[1]).castTo(dataType), b, out2);
            }
            return out;
        }

        /** Whether the last forward pass ran on the kernel. */
        boolean ranOnKernel() {
            return kernelPass;
        }

        /**
         * Inference's per-channel {@code scale} and {@code shift} {@code [2][c]}, from the running statistics, in
         * Java: ND4J ops on so few values cost more in calls than in arithmetic.
         */
        double[][] inferenceScaleShift() {
            long c = layerConf().getNOut();
            double[] gamma = getParam(BatchNormalizationParamInitializer.GAMMA).reshape(c).toDoubleVector();
            double[] beta = getParam(BatchNormalizationParamInitializer.BETA).reshape(c).toDoubleVector();
            double[] mean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(c).toDoubleVector();
            double[] var = runningVarianceValues();
            double[] scale = new double[(int) c];
            double[] shift = new double[(int) c];
            for (int i = 0; i < c; i++) {
                scale[i] = gamma[i] / Math.sqrt(var[i] + layerConf().getEps());
                shift[i] = beta[i] - mean[i] * scale[i];
            }
            return new double[][] {scale, shift};
        }

        private static float[] floats(double[] values) {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) values[i];
            }
            return f;
        }

        /**
         * Inference on a channels-last activation ({@link ChannelsLast#nhwcOf}, as {@link Conv2d} writes them in
         * inference) into a channels-last one, so that the next convolution reads it in place: one Java pass over
         * {@code [b*h*w, c]}, rows of whole pixels, with the per-channel {@code s}cale and {@code t} (shift) repeated
         * along the row.
         */
        private INDArray channelsLastInference(INDArray nhwc, float[] s, float[] t, LayerWorkspaceMgr workspaceMgr) {
            long c = nhwc.size(3);
            int pixels = (int) Math.max(1, FloatLoops.CHUNK / c); // rows of whole pixels
            float[] sr = new float[(int) (pixels * c)];
            float[] tr = new float[sr.length];
            for (int p = 0; p < pixels; p++) {
                System.arraycopy(s, 0, sr, (int) (p * c), (int) c);
                System.arraycopy(t, 0, tr, (int) (p * c), (int) c);
            }
            INDArray out = ChannelsLast.create(workspaceMgr, ArrayType.ACTIVATIONS, dataType, nhwc.size(0), c,
                    nhwc.size(1), nhwc.size(2));
            boolean relu = bn().relu();
            FloatLoops.rows(new INDArray[] {nhwc}, new INDArray[] {ChannelsLast.nhwcOf(out)}, sr.length,
                    (worker, row, in, o, length) -> {
                        float[] x = in[0];
                        float[] z = o[0];
                        if (relu) {
                            for (int i = 0; i < length; i++) {
                                z[i] = Math.max(x[i] * sr[i] + tr[i], 0f);
                            }
                        } else {
                            for (int i = 0; i < length; i++) {
                                z[i] = x[i] * sr[i] + tr[i];
                            }
                        }
                    });
            return out;
        }

        /**
         * {@code out = relu?(in * scale + shift)} on {@code [b*c, h*w]} rows with per-channel {@code scale} and
         * {@code shift} {@code [c]}: one Java pass for float ({@link FloatLoops}), else libnd4j's broadcasting
         * multiply, column add and ReLU.
         */
        private void affine(INDArray in, INDArray scale, INDArray shift, long b, INDArray out) {
            if (FloatLoops.takes(in, out)) {
                float[] s = scale.toFloatVector();
                float[] t = shift.toFloatVector();
                int c = s.length;
                boolean relu = bn().relu();
                FloatLoops.rows(new INDArray[] {in}, new INDArray[] {out}, (int) in.size(1),
                        (worker, row, ins, outs, length) -> {
                            float[] x = ins[0];
                            float[] z = outs[0];
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

        /**
         * One Java pass over float rows {@code [b*c, h*w]}: {@code dy = eps} through the ReLU's mask into {@code dy},
         * and the per-channel {@code sum(dy)} and {@code sum(dy * x)} {@code [c]}, summed per row while it is in
         * cache ({@link FloatLoops#reluMask}).
         */
        private INDArray[] maskedSums(INDArray eps, INDArray output, INDArray x, INDArray dy, long b, long c) {
            float[] sumDy = new float[(int) x.size(0)];
            float[] sumDyX = new float[sumDy.length];
            boolean relu = bn().relu();
            FloatLoops.rows(new INDArray[] {eps, output, x}, new INDArray[] {dy}, (int) x.size(1),
                    (worker, row, in, out, length) -> {
                        float[] e = in[0];
                        float[] o = in[1];
                        float[] d = out[0];
                        if (relu) {
                            for (int i = 0; i < length; i++) {
                                d[i] = e[i] * FloatLoops.reluMask(o[i]);
                            }
                        } else {
                            System.arraycopy(e, 0, d, 0, length);
                        }
                        sumDy[(int) row] = FloatLoops.sum(d, length);
                        sumDyX[(int) row] = FloatLoops.dot(d, in[2], length);
                    });
            return new INDArray[] {Nd4j.createFromArray(byChannel(sumDy, c)).castTo(dataType),
                    Nd4j.createFromArray(byChannel(sumDyX, c)).castTo(dataType)};
        }

        /** {@code dy = k1 * dy + k2 * x + k3} on {@code [b*c, h*w]} rows with per-channel {@code k} {@code [c]}. */
        private void combine(INDArray dy, INDArray x, INDArray k1, INDArray k2, INDArray k3, long b,
                             LayerWorkspaceMgr workspaceMgr) {
            if (FloatLoops.takes(dy, x)) {
                float[] a = k1.toFloatVector();
                float[] p = k2.toFloatVector();
                float[] q = k3.toFloatVector();
                int c = a.length;
                FloatLoops.rows(new INDArray[] {dy, x}, new INDArray[] {dy}, (int) dy.size(1),
                        (worker, row, ins, outs, length) -> {
                            float[] d = ins[0];
                            float[] xr = ins[1];
                            float[] z = outs[0];
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
            INDArray scratch = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c');
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

            // dy: the incoming gradient through the ReLU; becomes dx
            INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
            INDArray dy2 = rows(dx);
            INDArray x2 = rows(x);
            INDArray sumDy;
            INDArray sumDyX;
            if (FloatLoops.takes(eps, x, forwardOutput)) {
                INDArray[] sums = maskedSums(rows(eps), rows(forwardOutput), x2, dy2, b, c);
                sumDy = sums[0];
                sumDyX = sums[1];
            } else {
                // the ReLU's output is >= 0, so sign() is its mask
                INDArray scratch = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(),
                        'c');
                if (bn().relu()) {
                    Nd4j.exec(new Sign(forwardOutput, scratch));
                    Nd4j.exec(new MulOp(eps, scratch, dx));
                } else {
                    dx.assign(eps);
                }
                INDArray scratch2 = rows(scratch);
                sumDy = perChannel(sums.rowSums(dy2, 1.0), b, c);
                // sum(dy * x) as a product and a sum by matrix product, faster than per-row dot products (libnd4j's
                // broadcast ops along dimension 0 and relu_bp are far slower than the in-place column-vector ops
                // used here)
                Nd4j.exec(new MulOp(dy2, x2, scratch2));
                sumDyX = perChannel(sums.rowSums(scratch2, 1.0), b, c);
            }

            INDArray dBeta = sumDy;
            INDArray dGamma = sumDyX.sub(batchMean.mul(sumDy)).muli(batchInvStd);
            INDArray k1 = gamma.mul(batchInvStd);
            INDArray k2 = k1.mul(batchInvStd).muli(dGamma).muli(-1.0 / n);
            INDArray k3 = k1.mul(sumDy).muli(-1.0 / n).subi(k2.mul(batchMean));
            combine(dy2, x2, k1, k2, k3, b, workspaceMgr);

            Gradient g = new DefaultGradient();
            INDArray dGammaView = gradientViews.get(BatchNormalizationParamInitializer.GAMMA);
            INDArray dBetaView = gradientViews.get(BatchNormalizationParamInitializer.BETA);
            dGammaView.assign(dGamma.reshape(dGammaView.shape()));
            dBetaView.assign(dBeta.reshape(dBetaView.shape()));
            g.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
            g.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
            runningStatisticsUpdate(g, n);
            forwardInput = null;
            forwardOutput = null;
            return new Pair<>(g, dx);
        }

        /**
         * DL4J's "distributed safe" running statistics: the update is written as a gradient that DL4J's no-op
         * updater subtracts, {@code mean[t+1] = mean[t] - (1 - decay) * (mean[t] - batchMean)}, and likewise for the
         * log10 std (or the variance in configurations that keep it). The running variance follows the unbiased batch
         * variance, {@code n / (n - 1)} times the biased one that normalizes the batch, as PyTorch's
         * {@code BatchNorm2d} keeps it (DL4J's {@code BatchNormalization} keeps the biased one); with {@code n = 1}
         * value per channel, where PyTorch refuses to train, it follows the biased one (0).
         *
         * @param n the values per channel in the batch, {@code b * h * w}
         */
        private void runningStatisticsUpdate(Gradient g, double n) {
            double decay = layerConf().getDecay();
            INDArray unbiasedVar = n > 1 ? batchVar.mul(n / (n - 1)) : batchVar;
            INDArray globalMean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
            INDArray dMean = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_MEAN);
            dMean.assign(globalMean.sub(batchMean.reshape(globalMean.shape()))).muli(1 - decay);
            g.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_MEAN, dMean);
            if (layerConf().isUseLogStd()) {
                INDArray dLog10Std = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
                INDArray vari = runningVariance();
                INDArray varNext = vari.mul(decay).addi(unbiasedVar.mul(1 - decay));
                // log10(std[t]) - log10(std[t+1]) = log(var[t] / var[t+1]) / (2 ln 10)
                INDArray delta = Transforms.log(vari.divi(varNext), false).muli(ONE_ON_2LOGE_10);
                dLog10Std.assign(delta.reshape(dLog10Std.shape()));
                g.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_LOG_STD, dLog10Std);
            } else {
                INDArray globalVar = getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
                INDArray dVar = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_VAR);
                dVar.assign(globalVar.sub(unbiasedVar.reshape(globalVar.shape()))).muli(1 - decay);
                g.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_VAR, dVar);
            }
        }
    }
}
