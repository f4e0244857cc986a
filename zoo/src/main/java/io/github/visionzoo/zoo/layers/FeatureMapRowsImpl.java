package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * The running layer of a layer over images whose passes are written out instead of run in SameDiff
 * ({@link ConvMlp}, {@link WindowAttention}, {@link ChannelAttention}, {@link LayerNorm} over channels): the image {@code [b, C, H, W]} as the matrix of its positions,
 * {@code [n = b*H*W, C]}, so that every projection is one 2-D matrix product. Why not SameDiff: DL4J's SameDiff layers
 * run the forward pass again inside backprop and allocate every intermediate afresh at each step (page faults), as
 * {@link EncoderBlock} explains.
 *
 * <p>Outputs and input gradients are channels-last: NCHW-shaped views of NHWC memory (the rows), which every ND4J op
 * reads as NCHW; an input or incoming gradient that is already channels-last is used in place, any other is copied
 * once. It extends DL4J's running SameDiff layer for its parameter and gradient views (the configuration's
 * {@code SDLayerParams}, so the parameter names and the flattened order stay those of the SameDiff layer, and
 * checkpoints load as before) and never builds the SameDiff graph.
 */
abstract class FeatureMapRowsImpl extends SameDiffLayer {
    private static final long serialVersionUID = 1L;

    protected final MatrixSums sums = Kernels.matrixSums();
    /** The rows of the training forward pass's input, for the backward pass; null otherwise. */
    private INDArray savedRows;
    private INDArray savedInput;

    FeatureMapRowsImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /**
     * The forward pass on the rows {@code x [n, C]} of {@code b} images into {@code out [n, C]}; in training, what the
     * backward pass needs goes to workspace {@code keep} (the activations workspace).
     */
    protected abstract void forward(INDArray x, long b, boolean training, ArrayType keep, INDArray out,
                                    LayerWorkspaceMgr mgr);

    /**
     * The backward pass after {@link #forward} in training: the parameter gradients into their views
     * ({@link #grad}), the input's gradient into {@code dx [n, C]}.
     */
    protected abstract void backward(INDArray x, INDArray dOut, long b, INDArray dx, LayerWorkspaceMgr mgr);

    /** Drops what the last training forward pass kept. */
    protected abstract void forget();

    protected final INDArray grad(String key) {
        return gradTable.get(key);
    }

    @Override
    public void clear() {
        super.clear();
        savedRows = null;
        savedInput = null;
        forget();
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        long[] chw = ((FeatureMapShape) layerConf()).featureMapShape();
        long[] expected = {input.size(0), chw[0], chw[1], chw[2]};
        if (input.rank() != 4 || !Arrays.equals(input.shape(), expected)) {
            throw new IllegalArgumentException(layerConf().getClass().getSimpleName() + " '" + layerConf().getLayerName()
                    + "' expects [b, " + chw[0] + ", " + chw[1] + ", " + chw[2] + "], got "
                    + Arrays.toString(input.shape()));
        }
        long b = input.size(0);
        ArrayType keep = training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM;
        INDArray x = rows(input, keep, mgr);
        INDArray nhwc = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {b, chw[1], chw[2], chw[0]},
                'c');
        forward(x, b, training, keep, nhwc.reshape('c', x.size(0), x.size(1)), mgr);
        savedRows = training ? x : null;
        savedInput = training ? input : null;
        return nhwc.permute(0, 3, 1, 2);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        if (savedRows == null || savedInput != input) {
            activate(true, mgr); // backprop without the training forward pass that it needs
        }
        long[] chw = ((FeatureMapShape) layerConf()).featureMapShape();
        long b = input.size(0);
        INDArray dOut = rows(epsilon, ArrayType.BP_WORKING_MEM, mgr);
        INDArray nhwc = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, new long[] {b, chw[1], chw[2],
                chw[0]}, 'c');
        backward(savedRows, dOut, b, nhwc.reshape('c', dOut.size(0), dOut.size(1)), mgr);
        Gradient g = new DefaultGradient(gradients);
        for (String key : paramTable.keySet()) {
            g.setGradientFor(key, gradTable.get(key));
        }
        savedRows = null;
        savedInput = null;
        forget();
        return new Pair<>(g, nhwc.permute(0, 3, 1, 2));
    }

    /**
     * The positions of an image {@code [b, C, H, W]} as rows {@code [b*H*W, C]}: a view where its memory is NHWC
     * (channels-last) in the layer's data type, else a copy in workspace {@code type}.
     */
    private INDArray rows(INDArray image, ArrayType type, LayerWorkspaceMgr mgr) {
        INDArray cast = image.castTo(dataType);
        INDArray nhwc = cast.permute(0, 2, 3, 1);
        long n = nhwc.size(0) * nhwc.size(1) * nhwc.size(2);
        if (Shape.hasDefaultStridesForShape(nhwc)) {
            return nhwc.reshape('c', n, nhwc.size(3));
        }
        return mgr.dup(type, nhwc, 'c').reshape('c', n, nhwc.size(3));
    }

    /** {@code x W^T + bias} into {@code out}, PyTorch's {@code nn.Linear} with its {@code [out, in]} weight. */
    protected final INDArray linear(INDArray x, String weight, String bias, INDArray out) {
        sums.mmul(x, getParam(weight), out, false, true);
        return out.addiRowVector(getParam(bias));
    }

    /**
     * The backward pass of {@link #linear}: the weight's and bias's gradients from {@code dOut [n, out]} and the
     * layer's input {@code x [n, in]}, and {@code dx = dOut W} into {@code dx [n, in]}.
     */
    protected final void linearBackward(INDArray x, INDArray dOut, String weight, String bias, INDArray ones,
                                        INDArray dx) {
        sums.mmul(dOut, x, grad(weight), true, false);
        sums.columnSums(dOut, ones, grad(bias));
        sums.mmul(dOut, getParam(weight), dx, false, false);
    }
}
