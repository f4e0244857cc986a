package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.MatrixSums;
import java.util.function.Consumer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Multi-head scaled dot-product self-attention with its input and output projections, forward and backward written
 * out on ND4J ops, for the layers that do not run it in SameDiff ({@link EncoderBlockImpl},
 * {@link ShiftedWindowAttentionImpl}): {@code x [n = b*T, D] -> [n, D]}, {@code b} sequences of {@code T} tokens,
 * {@code h} heads. Every projection is one 2-D matrix product; the heads are a batch dimension of the two attention
 * products, which read and write strided views of the projections (no copies). The same computation as
 * {@link TransformerOps#selfAttention}.
 *
 * <p>The training forward pass keeps in workspace {@code keep} what the backward pass reads: the input, the
 * query/key/value projections, the attention probabilities and the merged heads.
 */
final class SelfAttentionPass {
    /** The projections' parameters, or their gradients: PyTorch's {@code [3D, D], [3D], [D, D], [D]}. */
    record Projections(INDArray inWeight, INDArray inBias, INDArray outWeight, INDArray outBias) {
    }

    /**
     * What the forward pass keeps: the input {@code [n, D]}, the projections as {@code [3, b, h, T, D/h]} views, the
     * probabilities {@code [b, h, T, T]}, the merged heads {@code [n, D]} and the attention dropout mask (or null).
     */
    record Saved(INDArray input, INDArray qkv, INDArray probs, INDArray context, INDArray dropoutMask) {
    }

    private final MatrixSums sums;
    private final DataType dataType;

    SelfAttentionPass(MatrixSums sums, DataType dataType) {
        this.sums = sums;
        this.dataType = dataType;
    }

    /**
     * The attention of {@code b} sequences of {@code t} tokens into {@code out [n, D]}.
     *
     * @param scoreBias   applied to the scaled scores {@code [b, h, T, T]} in place before the softmax (the Swin
     *                    Transformer's relative position bias and mask), or null
     * @param dropoutMask the inverted-dropout mask of the probabilities {@code [b, h, T, T]}, or null
     */
    Saved forward(INDArray x, Projections p, long b, long t, long heads, Consumer<INDArray> scoreBias,
                  INDArray dropoutMask, INDArray out, ArrayType keep, LayerWorkspaceMgr mgr) {
        long n = x.size(0);
        long d = x.size(1);
        double scale = 1.0 / Math.sqrt(d / heads);
        // [n, 3D] = [b, T, 3, h, d/h] -> [3, b, h, T, d/h]: the heads become a batch dimension of strided views (a
        // copy into contiguous heads costs a pass over them; the products run as fast on the views)
        INDArray projected = mgr.createUninitialized(keep, dataType, n, 3 * d);
        INDArray qkv = byHead(linear(sums, x, p.inWeight(), p.inBias(), projected), b, t, 3, heads);
        // [b, h, T, d/h] x [b, h, d/h, T] -> [b, h, T, T]
        INDArray probs = mgr.createUninitialized(keep, dataType, b, heads, t, t);
        sums.mmul(part(qkv, 0), part(qkv, 1), probs, false, true, scale);
        if (scoreBias != null) {
            scoreBias.accept(probs);
        }
        Nd4j.exec(new SoftMax(probs, probs, 3));
        INDArray weights = dropoutMask == null ? probs : probs.mul(dropoutMask);
        // [b, h, T, T] x [b, h, T, d/h] -> [b, h, T, d/h], written as [b, T, h, d/h] = [n, D]
        INDArray context = mgr.createUninitialized(keep, dataType, n, d);
        sums.mmul(weights, part(qkv, 2), part(byHead(context, b, t, 1, heads), 0), false, false);
        linear(sums, context, p.outWeight(), p.outBias(), out);
        return new Saved(x, qkv, probs, context, dropoutMask);
    }

    /**
     * The backward pass: the parameter gradients into {@code grads}' views, the input's gradient into
     * {@code dx [n, D]}.
     *
     * @param dOut        the gradient of the output {@code [n, D]}
     * @param ones        a row of {@code n} ones, for the bias gradients
     * @param scoreBiasGrad given the gradient of the biased scores {@code [b, h, T, T]} (read only), or null
     */
    void backward(INDArray dOut, Saved s, Projections p, Projections grads, long b, long t, long heads,
                  INDArray ones, Consumer<INDArray> scoreBiasGrad, INDArray dx, LayerWorkspaceMgr mgr) {
        ArrayType work = ArrayType.BP_WORKING_MEM;
        long n = dOut.size(0);
        long d = dOut.size(1);
        double scale = 1.0 / Math.sqrt(d / heads);
        sums.mmul(dOut, s.context(), grads.outWeight(), true, false);
        sums.columnSums(dOut, ones, grads.outBias());
        INDArray dContext = mgr.createUninitialized(work, dataType, n, d);
        sums.mmul(dOut, p.outWeight(), dContext, false, false);
        INDArray dHeads = part(byHead(dContext, b, t, 1, heads), 0);
        INDArray weights = s.dropoutMask() == null ? s.probs() : s.probs().mul(s.dropoutMask());
        INDArray dQkvRows = mgr.createUninitialized(work, dataType, n, 3 * d);
        INDArray dQkv = byHead(dQkvRows, b, t, 3, heads);
        sums.mmul(weights, dHeads, part(dQkv, 2), true, false);
        INDArray dScores = mgr.createUninitialized(work, dataType, b, heads, t, t);
        sums.mmul(dHeads, part(s.qkv(), 2), dScores, false, true);
        if (s.dropoutMask() != null) {
            dScores.muli(s.dropoutMask());
        }
        // softmax backward, row by row: ds = p * (dp - sum(dp * p)); the 1/sqrt(d/h) scale goes into the products
        INDArray dsRows = dScores.reshape('c', b * heads * t, t);
        INDArray pRows = s.probs().reshape('c', b * heads * t, t);
        INDArray rowDots = Nd4j.getExecutioner().exec(new Dot(dsRows, pRows, 1)).reshape(b * heads * t, 1);
        dsRows.subiColumnVector(rowDots).muli(pRows);
        if (scoreBiasGrad != null) {
            scoreBiasGrad.accept(dScores);
        }
        sums.mmul(dScores, part(s.qkv(), 1), part(dQkv, 0), false, false, scale);
        sums.mmul(dScores, part(s.qkv(), 0), part(dQkv, 1), true, false, scale);
        sums.mmul(dQkvRows, s.input(), grads.inWeight(), true, false);
        sums.columnSums(dQkvRows, ones, grads.inBias());
        sums.mmul(dQkvRows, p.inWeight(), dx, false, false);
    }

    /** {@code x W^T + bias} into {@code out}, PyTorch's {@code nn.Linear} with its {@code [out, in]} weight. */
    static INDArray linear(MatrixSums sums, INDArray x, INDArray weight, INDArray bias, INDArray out) {
        sums.mmul(x, weight, out, false, true);
        return out.addiRowVector(bias);
    }

    /**
     * The rows {@code [n, parts * D]} of {@code b} sequences of length {@code t} as the view
     * {@code [parts, b, h, T, d/h]} of {@code h} heads per part.
     */
    private static INDArray byHead(INDArray rows, long b, long t, long parts, long h) {
        return rows.reshape('c', b, t, parts, h, rows.size(1) / (parts * h)).permute(2, 0, 3, 1, 4);
    }

    /** Part {@code i} of a {@code [3, b, h, T, d/h]} array (query, key, value): a view {@code [b, h, T, d/h]}. */
    private static INDArray part(INDArray qkv, int i) {
        INDArrayIndex all = NDArrayIndex.all();
        return qkv.get(NDArrayIndex.point(i), all, all, all, all);
    }

    /**
     * A fresh inverted-dropout mask (PyTorch's {@code Dropout}: 0 with probability {@code rate}, else
     * {@code 1/(1-rate)}) in the activations workspace, or null for rate 0.
     */
    static INDArray dropoutMask(double rate, DataType dataType, LayerWorkspaceMgr mgr, long... shape) {
        if (rate == 0) {
            return null;
        }
        double keep = 1.0 - rate;
        INDArray mask = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, shape);
        return mask.assign(Nd4j.rand(dataType, shape).lt(keep).castTo(dataType)).divi(keep);
    }
}
