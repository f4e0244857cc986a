package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * The running layer of a layer over images whose passes are written out instead of run in SameDiff ({@link ConvMlp},
 * {@link ConvPosEnc}, {@link WindowAttention}, {@link ChannelAttention}, {@link LayerNorm} over channels): the image
 * {@code [b, C, H, W]} as the matrix of its positions, {@code [n = b*H*W, C]}, so that every projection is one 2-D matrix product. Why not
 * SameDiff: DL4J's SameDiff layers run the forward pass again inside backprop and allocate every intermediate afresh at
 * each step (page faults), as {@link EncoderBlock} explains.
 *
 * <p>Outputs and input gradients are channels-last: NCHW-shaped views of NHWC memory (the rows), which every ND4J op
 * reads as NCHW; an input or incoming gradient that is already channels-last is used in place, any other is copied
 * once.
 */
abstract class FeatureMapRowsImpl extends WrittenOutLayer {
    private static final long serialVersionUID = 1L;

    protected final MatrixSums sums = Kernels.matrixSums();
    /** The rows of the training forward pass's input, for the backward pass; null otherwise. */
    private INDArray savedRows;

    FeatureMapRowsImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /**
     * The forward pass on the rows {@code x [n, C]} of {@code b} images into {@code out [n, C]}; in training, what the
     * backward pass needs goes to workspace {@code keep} (the activations workspace).
     */
    protected abstract void forwardRows(INDArray x, long b, boolean training, ArrayType keep, INDArray out,
                                        LayerWorkspaceMgr mgr);

    /**
     * The backward pass after {@link #forwardRows} in training: the parameter gradients into their views
     * ({@link #grad}), the input's gradient into {@code dx [n, C]}.
     */
    protected abstract void backwardRows(INDArray x, INDArray dOut, long b, INDArray dx, LayerWorkspaceMgr mgr);

    protected final INDArray grad(String key) {
        return gradTable.get(key);
    }

    @Override
    public void clear() {
        super.clear();
        savedRows = null;
    }

    @Override
    protected final INDArray forward(boolean training, LayerWorkspaceMgr mgr) {
        long[] chw = ((FeatureMapShape) layerConf()).featureMapShape();
        long[] expected = {input.size(0), chw[0], chw[1], chw[2]};
        if (input.rank() != 4 || !Arrays.equals(input.shape(), expected)) {
            throw new IllegalArgumentException(layerConf().getClass().getSimpleName() + " '"
                    + layerConf().getLayerName() + "' expects [b, " + chw[0] + ", " + chw[1] + ", " + chw[2] + "], got "
                    + Arrays.toString(input.shape()));
        }
        long b = input.size(0);
        ArrayType keep = training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM;
        INDArray x = rows(input, keep, mgr);
        INDArray nhwc = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {b, chw[1], chw[2], chw[0]},
                'c');
        forwardRows(x, b, training, keep, nhwc.reshape('c', x.size(0), x.size(1)), mgr);
        savedRows = training ? x : null;
        return nhwc.permute(0, 3, 1, 2);
    }

    @Override
    protected final INDArray backward(INDArray epsilon, LayerWorkspaceMgr mgr) {
        long[] chw = ((FeatureMapShape) layerConf()).featureMapShape();
        long b = input.size(0);
        INDArray dOut = rows(epsilon, ArrayType.BP_WORKING_MEM, mgr);
        INDArray nhwc = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, new long[] {b, chw[1], chw[2],
                chw[0]}, 'c');
        backwardRows(savedRows, dOut, b, nhwc.reshape('c', dOut.size(0), dOut.size(1)), mgr);
        savedRows = null;
        return nhwc.permute(0, 3, 1, 2);
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
