package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A fully connected layer, torchvision's {@code Linear} (with its activation): DL4J's {@link DenseLayer} (same
 * parameters, same JSON apart from the class name, same forward pass) with a faster backward pass.
 *
 * <p>DL4J's backward pass multiplies the input gradient out through OpenBLAS as an f-order product and first runs the
 * forward product again to get the pre-activation. Here the input gradient is {@code dy W^T} through libnd4j's
 * {@code matmul} (oneDNN), the weight gradient is written as {@code dW^T = dy^T x} into the f-order gradient view seen
 * as C order, and the repeated forward product is gone: for identity and ReLU the layer's output stands in for the
 * pre-activation (as in {@link Conv2d}: ReLU's derivative is 1 exactly where the output is positive). The forward
 * pass stays DL4J's: its OpenBLAS product was the faster one there.
 *
 * <p>Other activations, layer norm, weight noise, masks, or a backward pass without the training forward pass that
 * it needs run DL4J's code unchanged.
 */
public class Linear extends DenseLayer {
    private static final long serialVersionUID = 1L;

    /** For JSON. */
    public Linear() {
    }

    /**
     * @param nOut       output units
     * @param activation the activation after the product
     * @param init       the weights' initialization
     * @param biasInit   every bias's initial value
     */
    public Linear(long nOut, IActivation activation, IWeightInit init, double biasInit) {
        if (nOut < 1) {
            throw new IllegalArgumentException("Linear needs nOut >= 1, was " + nOut);
        }
        setNOut(nOut);
        setActivationFn(activation);
        setWeightInitFn(init);
        setBiasInit(biasInit);
        setHasBias(true);
        setHasLayerNorm(false);
    }

    @Override
    public Linear clone() {
        return (Linear) super.clone();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new Impl(conf, networkDataType), conf, trainingListeners, layerIndex, layerParamsView,
                initializeParams);
    }

    /** The running layer: DL4J's, with the backward pass replaced where the forward pass's output serves it. */
    static final class Impl extends org.deeplearning4j.nn.layers.feedforward.dense.DenseLayer {
        private final MatrixSums sums = Kernels.matrixSums();
        /** The last training forward pass's input (after dropout) and output, in workspaces that outlast backprop. */
        private INDArray forwardInput;
        private INDArray forwardOutput;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private boolean plain() {
            DenseLayer c = layerConf();
            return !c.hasLayerNorm() && c.getWeightNoise() == null && maskArray == null
                    && RuntimeLayers.identityOrPlainRelu(c.getActivationFn());
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            INDArray out = super.activate(training, workspaceMgr);
            boolean keep = training && plain() && input.dataType() == dataType;
            forwardInput = keep ? input : null; // dropout, if any, has replaced the input by now
            forwardOutput = keep ? out : null;
            return out;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            if (forwardOutput == null || forwardInput != input || !plain()) {
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            // [b, out]: small next to the weights, so a copy keeps the output intact for anything that still reads it
            INDArray delta = layerConf().getActivationFn().backprop(forwardOutput.dup(), epsilon).getFirst();
            forwardInput = null;
            forwardOutput = null;

            Gradient ret = new DefaultGradient();
            if (hasBias()) {
                INDArray biasGrad = gradientViews.get(DefaultParamInitializer.BIAS_KEY);
                delta.sum(biasGrad, 0);
                ret.gradientForVariable().put(DefaultParamInitializer.BIAS_KEY, biasGrad);
            }

            INDArray w = getParam(DefaultParamInitializer.WEIGHT_KEY); // [in, out], f order
            INDArray weightGrad = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
            // dW^T = dy^T x: [out, b] x [b, in] into the f-order [in, out] view read as C-order [out, in]
            sums.mmul(delta, input, weightGrad.transpose(), true, false);
            ret.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, weightGrad);

            INDArray epsilonNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType,
                    new long[] {delta.size(0), w.size(0)}, 'c');
            sums.mmul(delta, w, epsilonNext, false, true); // [b, out] x [out, in]
            return new Pair<>(ret, backpropDropOutIfPresent(epsilonNext));
        }

        @Override
        public void clear() {
            super.clear();
            forwardInput = null;
            forwardOutput = null;
        }
    }
}
