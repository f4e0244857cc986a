package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.FloatLoops;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * PyTorch's {@code nn.LayerNorm} over the last axis of a token matrix {@code [n, D]}, forward and backward written out,
 * for the layers that do not run it in SameDiff ({@link EncoderBlockImpl}, {@link LayerNorm}'s token layer
 * {@link LayerNormImpl} and its image layer {@link ImageLayerNormImpl}). For float, each pass is one Java pass over the tokens ({@link FloatLoops}: a token's
 * features stay in cache for its sums, and the parameter gradients are summed per worker); doubles take ND4J's ops.
 */
final class LayerNormPass {
    /** One layer norm's forward results: normalized input, {@code 1/sqrt(var + eps)} as a column, output. */
    record Norm(INDArray xhat, INDArray rstd, INDArray out) {
    }

    private final MatrixSums sums;
    private final DataType dataType;

    LayerNormPass(MatrixSums sums, DataType dataType) {
        this.sums = sums;
        this.dataType = dataType;
    }

    /**
     * Layer norm over the last axis of {@code x [n, D]} (biased variance, two-pass), its results in workspace
     * {@code keep}: for float, one Java pass over the rows ({@link FloatLoops}: a row of {@code D} stays in cache for
     * its sums), else ND4J's ops. The normalized input is kept only in training, where the backward pass needs it.
     */
    Norm forward(INDArray x, INDArray gamma, INDArray beta, double eps, boolean training, ArrayType keep,
                           LayerWorkspaceMgr mgr) {
        return forward(x, gamma, beta, eps, training, keep, mgr.createUninitialized(keep, dataType, x.size(0),
                x.size(1)), mgr);
    }

    /** The layer norm of the overload without {@code out}, into {@code out [n, D]}. */
    Norm forward(INDArray x, INDArray gamma, INDArray beta, double eps, boolean training, ArrayType keep,
                 INDArray out, LayerWorkspaceMgr mgr) {
        long n = x.size(0);
        long d = x.size(1);
        INDArray xhat = training ? mgr.createUninitialized(keep, dataType, n, d) : null;
        INDArray rstd = mgr.createUninitialized(keep, dataType, n, 1);
        if (FloatLoops.takes(x, out, rstd) && (xhat == null || FloatLoops.takes(xhat))) {
            float[] g = gamma.toFloatVector();
            float[] bt = beta.toFloatVector();
            float[] r = new float[(int) n];
            float e = (float) eps;
            INDArray[] outputs = xhat == null ? new INDArray[] {out} : new INDArray[] {out, xhat};
            FloatLoops.rows(new INDArray[] {x}, outputs, (int) d, (worker, row, in, o, length) -> {
                float[] v = in[0];
                float mean = FloatLoops.sum(v, length) / length;
                float rs = (float) (1.0 / Math.sqrt(FloatLoops.squaresAbout(v, mean, length) / length + e));
                r[(int) row] = rs;
                float[] y = o[0];
                float[] h = o.length > 1 ? o[1] : y;
                for (int i = 0; i < length; i++) {
                    h[i] = (v[i] - mean) * rs;
                }
                for (int i = 0; i < length; i++) {
                    y[i] = h[i] * g[i] + bt[i];
                }
            });
            rstd.data().asNioFloat().put(0, r);
            return new Norm(xhat, rstd, out);
        }
        if (xhat == null) {
            xhat = mgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, n, d);
        }
        // mean as a product with ones, centred by a broadcasting subtract: faster than mean(1), a copy and an in-place
        // subtraction (libnd4j's broadcast op along dimension 0 is far slower)
        Nd4j.exec(new SubOp(new INDArray[] {x, sums.rowSums(x, 1.0 / d)}, new INDArray[] {xhat}));
        INDArray norms = xhat.norm2(true, 1);
        rstd.assign(Transforms.pow(norms.muli(norms).divi(d).addi(eps), -0.5, false));
        xhat.muliColumnVector(rstd);
        Nd4j.exec(new BroadcastMulOp(xhat, gamma, out, 1));
        out.addiRowVector(beta);
        return new Norm(xhat, rstd, out);
    }

    /**
     * The layer norm's backward pass: parameter gradients into their views, and
     * {@code dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))} with {@code dxhat = dOut * gamma} added
     * to {@code dxAccumulator}. For float, one Java pass over the rows, its parameter gradients summed per worker;
     * else ND4J's ops. {@code dOut} is left as it is.
     */
    void backward(INDArray dOut, Norm norm, INDArray gamma, INDArray gammaGrad, INDArray betaGrad,
                                   INDArray ones, INDArray dxAccumulator, LayerWorkspaceMgr mgr) {
        if (FloatLoops.takes(dOut, norm.xhat(), dxAccumulator)) {
            int d = (int) dOut.size(1);
            float[] g = gamma.toFloatVector();
            float[] r = norm.rstd().toFloatVector();
            int workers = FloatLoops.workers(dOut.size(0));
            float[][] dGamma = new float[workers][d];
            float[][] dBeta = new float[workers][d];
            float[][] dxhat = new float[workers][d];
            INDArray[] inputs = {dOut, norm.xhat(), dxAccumulator};
            FloatLoops.rows(inputs, new INDArray[] {dxAccumulator}, d, (worker, row, in, out, length) -> {
                float[] dy = in[0];
                float[] xh = in[1];
                float[] acc = in[2];
                float[] dgw = dGamma[worker];
                float[] dbw = dBeta[worker];
                float[] s = dxhat[worker];
                for (int i = 0; i < length; i++) {
                    dbw[i] += dy[i];
                    dgw[i] += dy[i] * xh[i];
                    s[i] = dy[i] * g[i];
                }
                float m1 = FloatLoops.sum(s, length) / length;
                float m2 = FloatLoops.dot(s, xh, length) / length;
                float rs = r[(int) row];
                float[] dx = out[0];
                for (int i = 0; i < length; i++) {
                    dx[i] = acc[i] + rs * (s[i] - m1 - xh[i] * m2);
                }
            });
            for (int w = 1; w < workers; w++) {
                for (int i = 0; i < d; i++) {
                    dGamma[0][i] += dGamma[w][i];
                    dBeta[0][i] += dBeta[w][i];
                }
            }
            gammaGrad.assign(Nd4j.createFromArray(dGamma[0]).reshape(gammaGrad.shape()));
            betaGrad.assign(Nd4j.createFromArray(dBeta[0]).reshape(betaGrad.shape()));
            return;
        }
        INDArray tmp = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, dOut.shape());
        sums.columnSums(dOut, ones, betaGrad);
        Nd4j.exec(new MulOp(dOut, norm.xhat(), tmp));
        sums.columnSums(tmp, ones, gammaGrad);
        // a copy: dOut may be the incoming gradient itself, which DL4J may hand to another layer too
        INDArray dxhat = mgr.dup(ArrayType.BP_WORKING_MEM, dOut, 'c').muliRowVector(gamma);
        INDArray meanDxhat = sums.rowSums(dxhat, 1.0 / dxhat.size(1));
        Nd4j.exec(new MulOp(dxhat, norm.xhat(), tmp));
        INDArray meanDxhatXhat = sums.rowSums(tmp, 1.0 / tmp.size(1));
        Nd4j.exec(new MulOp(new INDArray[] {norm.xhat(), meanDxhatXhat}, new INDArray[] {tmp}));
        dxhat.subi(tmp).subiColumnVector(meanDxhat).muliColumnVector(norm.rstd());
        dxAccumulator.addi(dxhat);
    }
}
