package io.github.visionzoo.zoo.layers;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Stochastic depth (Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016, arXiv:1603.09382) on a residual
 * branch, as torchvision's {@code StochasticDepth(p, "row")} and timm's {@code DropPath(p)}: in training each example's
 * branch output is zeroed with probability {@code p} and otherwise scaled by {@code 1/(1-p)}; in inference it passes
 * unchanged. Put it on the branch, before the residual addition: {@code x + StochasticDepth(branch(x))}.
 *
 * <p>One draw per example ({@code [b, 1, ..., 1]}, broadcast over the rest), fed as a dropout site of
 * {@link ZooSameDiffLayer}, so the backward pass multiplies by the forward pass's draw. Any input type (token
 * sequences, features, images); the output has the input's type. No parameters. It runs as
 * {@code StochasticDepthImpl} (one multiplication each way); the SameDiff definition stays as its specification.
 */
public class StochasticDepth extends ZooSameDiffLayer {
    private static final long serialVersionUID = 1L;

    /** The dropout site's name. */
    public static final String SITE = "row";

    private double p;
    /** One example's shape, without the batch dimension. */
    private long[] exampleShape = new long[0];

    /** For JSON. */
    public StochasticDepth() {
    }

    /** @param p the probability of dropping an example's branch, in {@code [0, 1)} */
    public StochasticDepth(double p) {
        this.p = checkRate("StochasticDepth.p", p);
    }

    @Override
    public List<DropoutSite> dropoutSites() {
        if (p == 0) {
            return List.of();
        }
        long[] ones = new long[exampleShape.length];
        Arrays.fill(ones, 1);
        return List.of(new DropoutSite(SITE, p, ones));
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        long[] shape = new long[exampleShape.length + 1];
        shape[0] = -1;
        System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
        // + 0: the output is a variable of its own, not the input placeholder, when p is 0
        return dropout(sd, input, SITE, shape).add(0.0);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new StochasticDepthImpl(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        // no parameters
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        // no parameters
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (exampleShape.length == 0 || override) {
            exampleShape = inputType.getShape(false);
        }
    }

    public double getP() {
        return p;
    }

    public void setP(double p) {
        this.p = p;
    }

    public long[] getExampleShape() {
        return exampleShape.clone();
    }

    public void setExampleShape(long[] exampleShape) {
        this.exampleShape = exampleShape.clone();
    }
}
