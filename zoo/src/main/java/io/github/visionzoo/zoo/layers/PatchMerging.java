package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.init.TorchInit;
import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Swin Transformer's patch merging between stages (Liu et al. 2021, arXiv:2103.14030), torchvision's
 * {@code PatchMerging}: on the tokens of a square {@code s x s} map, {@code [b, s*s, C] -> [b, s'*s', 2C]} with
 * {@code s' = ceil(s/2)}. The map is padded with zeros to an even side, each 2x2 group's four tokens are concatenated
 * in torchvision's order ({@code (0,0)}, {@code (1,0)}, {@code (0,1)}, {@code (1,1)}, as row, column) to {@code 4C}
 * features, layer-normalized and projected to {@code 2C} without a bias.
 *
 * <p>The four strided slices and their concatenation are one reshape and permute here, and one row gather in the
 * layer that runs ({@link PatchMergingImpl}), whose forward and backward passes are written out.
 *
 * <p>Parameters, torchvision's names: {@code reduction.weight [2C, 4C]}, {@code norm.weight [4C]},
 * {@code norm.bias [4C]}. Initialization as torchvision's {@code SwinTransformer}: the reduction normal with std 0.02,
 * the norm 1 and 0.
 */
public class PatchMerging extends ZooSameDiffLayer implements TorchNamed {
    private static final long serialVersionUID = 1L;

    public static final String REDUCTION = "reduction.weight";
    public static final String NORM_WEIGHT = "norm.weight";
    public static final String NORM_BIAS = "norm.bias";

    private double eps = 1e-5;
    private long dim;
    private long side;

    /** For JSON. */
    public PatchMerging() {
    }

    /** @param eps the layer norm's epsilon (1e-5 in torchvision's Swin) */
    public PatchMerging(double eps) {
        if (!(eps > 0)) {
            throw new IllegalArgumentException("PatchMerging.eps must be > 0, was " + eps);
        }
        this.eps = eps;
    }

    /** The side of the merged map. */
    long mergedSide() {
        return (side + 1) / 2;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        long m = mergedSide();
        // [b, s*s, C] -> [b, s, s, C] -> [b, 2m, 2m, C], padded with zeros at the bottom and right
        SDVariable x = input.reshape(-1, side, side, dim);
        if (2 * m > side) {
            x = sd.nn.pad(x, sd.constant("pad", Nd4j.createFromArray(
                    new int[][] {{0, 0}, {0, 1}, {0, 1}, {0, 0}})), 0.0);
        }
        // [b, m, dy, m, dx, C] -> [b, m, m, dx, dy, C] -> [b*m*m, 4C]: torchvision's x0, x1, x2, x3 are (dy, dx) =
        // (0, 0), (1, 0), (0, 1), (1, 1)
        SDVariable merged = x.reshape(-1, m, 2, m, 2, dim).permute(0, 1, 3, 4, 2, 5).reshape(-1, 4 * dim);
        SDVariable normed = TransformerOps.layerNorm(sd, merged, params.get(NORM_WEIGHT), params.get(NORM_BIAS), eps);
        // [b*m*m, 4C] -> [b*m*m, 2C] -> [b, m*m, 2C]
        return sd.mmul(normed, params.get(REDUCTION), false, true, false).reshape(-1, m * m, 2 * dim);
    }

    /** Runs written out ({@link PatchMergingImpl}); {@link #defineLayer} is its reference. */
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new PatchMergingImpl(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(REDUCTION, 2 * dim, 4 * dim);
        params.addBiasParam(NORM_WEIGHT, 4 * dim);
        params.addBiasParam(NORM_BIAS, 4 * dim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        TorchInit.normal(0.02).fill(params.get(REDUCTION), 1, 1);
        params.get(NORM_WEIGHT).assign(1);
        params.get(NORM_BIAS).assign(0);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeRecurrent r = requireTokens(inputType);
        long m = (ShiftedWindowAttention.squareSide(this, r.getTimeSeriesLength()) + 1) / 2;
        return InputType.recurrent(2 * r.getSize(), m * m, RNNFormat.NWC);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (dim == 0 || override) {
            InputType.InputTypeRecurrent r = requireTokens(inputType);
            dim = r.getSize();
            side = ShiftedWindowAttention.squareSide(this, r.getTimeSeriesLength());
            refreshParameters();
        }
    }

    public double getEps() {
        return eps;
    }

    public void setEps(double eps) {
        this.eps = eps;
    }

    public long getDim() {
        return dim;
    }

    public void setDim(long dim) {
        this.dim = dim;
    }

    public long getSide() {
        return side;
    }

    public void setSide(long side) {
        this.side = side;
    }
}
