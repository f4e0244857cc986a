package io.github.visionzoo.zoo.layers;

import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products through libnd4j's {@code matmul} op (oneDNN for rank 2) or, batched, oneDNN's matmul called
 * directly ({@link DnnlMatMul}), and sums along an axis as products with a
 * ones vector, for the layers whose backward pass is written out ({@link BatchNorm}, {@link EncoderBlock}).
 *
 * <p>Why sums as products: libnd4j's reductions along a dimension run far below memory speed, and oneDNN's matrix-
 * vector product does not. Measured on 2 cores (float32, median of 11): row sums of {@code [1024, 12544]} 12.2 ms by
 * {@code sum(1)}, 2.5 ms as a product; {@code [1024, 3136]} 2.6 against 0.55 ms; {@code [4096, 196]} 0.64 against
 * 0.26 ms. The sums agree within a few float32 rounding steps (relative 5e-6 on 12544 terms).
 */
final class MatrixSums {
    private MatrixSums() {
    }

    /**
     * {@code out = alpha * op(a) op(b) + beta * out}, rank 2 or a batch of matrices in the leading dimensions (oneDNN
     * adds {@code beta * out} as a post-op, at no measurable cost).
     */
    static void mmul(INDArray a, INDArray b, INDArray out, boolean transposeA, boolean transposeB, double alpha,
                     double beta) {
        if (DnnlMatMul.takes(a, b, out)) {
            DnnlMatMul.product(transposeA ? DnnlMatMul.transposed(a) : a, transposeB ? DnnlMatMul.transposed(b) : b,
                    out, alpha, beta);
            return;
        }
        Nd4j.exec(new Mmul(a, b, out, alpha, beta,
                MMulTranspose.builder().transposeA(transposeA).transposeB(transposeB).build()));
    }

    /** {@code alpha * op(a) op(b)} into {@code out}, rank 2 or a batch of matrices in the leading dimensions. */
    static void mmul(INDArray a, INDArray b, INDArray out, boolean transposeA, boolean transposeB, double alpha) {
        mmul(a, b, out, transposeA, transposeB, alpha, 0.0);
    }

    /** {@code op(a) op(b)} into {@code out}. */
    static void mmul(INDArray a, INDArray b, INDArray out, boolean transposeA, boolean transposeB) {
        mmul(a, b, out, transposeA, transposeB, 1.0);
    }

    /** Sums down the columns of {@code m [n, k]} into {@code out} (length {@code k}); {@code ones} is {@code [1, n]}. */
    static void columnSums(INDArray m, INDArray ones, INDArray out) {
        mmul(ones, m, out.reshape('c', 1, out.length()), false, false);
    }

    /**
     * {@code scale} times the sums along the rows of {@code m [n, k]}: a new {@code [n, 1]} array (in the current
     * workspace), the product with a column filled with {@code scale} ({@code 1/k} gives the row means).
     */
    static INDArray rowSums(INDArray m, double scale) {
        INDArray sums = Nd4j.createUninitialized(m.dataType(), m.size(0), 1);
        mmul(m, Nd4j.valueArrayOf(new long[] {m.size(1), 1}, scale, m.dataType()), sums, false, false);
        return sums;
    }
}
