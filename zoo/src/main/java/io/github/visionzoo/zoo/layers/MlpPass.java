package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.GaussianCdf;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * torchvision's {@code MLPBlock} ({@code Linear(D, M)}, exact GELU, {@code Dropout}, {@code Linear(M, D)},
 * {@code Dropout}) on a token matrix {@code x [n, D] -> [n, D]}, forward and backward written out, for the layers that
 * do not run it in SameDiff ({@link EncoderBlockImpl}, {@link MlpBlockImpl}). The training forward pass keeps the
 * pre-activation {@code u} and its GELU gate {@code Phi(u)} ({@link GaussianCdf}: one pass each way, where ND4J takes
 * several); nothing is computed twice except the GELU output {@code u Phi(u)} (one multiplication). Bias gradients are
 * column sums, done as a product with a ones row (libnd4j's reductions over the first axis are slow).
 */
final class MlpPass {
    /** The two linear layers' parameters, or their gradients: {@code [M, D], [M], [D, M], [D]}. */
    record Weights(INDArray w0, INDArray b0, INDArray w3, INDArray b3) {
    }

    /** What the training forward pass keeps: input, pre-activation, GELU gate and the two dropout masks (or null). */
    record Saved(INDArray input, INDArray u, INDArray phi, INDArray mask2, INDArray mask4) {
    }

    private final MatrixSums sums;
    private final DataType dataType;

    MlpPass(MatrixSums sums, DataType dataType) {
        this.sums = sums;
        this.dataType = dataType;
    }

    /**
     * The MLP of {@code x [n, D]} with hidden width {@code m} into {@code out [n, D]}; what the backward pass reads in
     * workspace {@code keep}. {@code mask2} and {@code mask4} are the inverted-dropout masks of modules {@code 2} and
     * {@code 4}, or null.
     */
    Saved forward(INDArray x, Weights p, long m, INDArray mask2, INDArray mask4, boolean training, INDArray out,
                  ArrayType keep, LayerWorkspaceMgr mgr) {
        long n = x.size(0);
        // [n, D] -> [n, M] -> [n, D]
        INDArray u = mgr.createUninitialized(keep, dataType, n, m);
        SelfAttentionPass.linear(sums, x, p.w0(), p.b0(), u);
        // exact GELU u Phi(u); training keeps u and Phi(u), inference overwrites u
        INDArray phi = training ? mgr.createUninitialized(keep, dataType, n, m) : null;
        INDArray a = training ? mgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, n, m) : u;
        GaussianCdf.gelu(u, phi, a);
        dropout(a, mask2);
        SelfAttentionPass.linear(sums, a, p.w3(), p.b3(), out);
        dropout(out, mask4);
        return new Saved(x, u, phi, mask2, mask4);
    }

    /**
     * The backward pass from the output's gradient {@code dOut [n, D]} (not changed): parameter gradients into
     * {@code grads}' views, the input's gradient into {@code dx [n, D]}; {@code ones} is a row of {@code n} ones.
     */
    void backward(INDArray dOut, Saved s, Weights p, Weights grads, INDArray ones, INDArray dx,
                  LayerWorkspaceMgr mgr) {
        ArrayType work = ArrayType.BP_WORKING_MEM;
        long n = dOut.size(0);
        long m = s.u().size(1);
        INDArray dy = s.mask4() == null ? dOut : dOut.mul(s.mask4());
        INDArray a = mgr.createUninitialized(work, dataType, n, m);
        Nd4j.exec(new MulOp(s.u(), s.phi(), a));
        dropout(a, s.mask2());
        sums.mmul(dy, a, grads.w3(), true, false);
        sums.columnSums(dy, ones, grads.b3());
        INDArray du = mgr.createUninitialized(work, dataType, n, m);
        sums.mmul(dy, p.w3(), du, false, false);
        dropout(du, s.mask2());
        GaussianCdf.timesGeluDerivative(du, s.u(), s.phi(), a); // a is free again
        sums.mmul(du, s.input(), grads.w0(), true, false);
        sums.columnSums(du, ones, grads.b0());
        sums.mmul(du, p.w0(), dx, false, false);
    }

    private static void dropout(INDArray x, INDArray mask) {
        if (mask != null) {
            x.muli(mask);
        }
    }
}
