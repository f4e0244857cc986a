package io.github.visionzoo.zoo.kernels;

import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products, and sums along an axis as products with a ones vector, for the layers whose backward pass is
 * written out ({@code BatchNorm}, {@code EncoderBlock}, {@code Linear}, {@code LocalResponseNorm}); a layer takes its
 * instance from {@link Kernels#matrixSums}. {@link #ND4J} runs every product through libnd4j's {@code matmul} op
 * (oneDNN for rank 2 in a oneDNN build); oneDNN's kernel also takes batched products on strided views, which
 * libnd4j's op loops over.
 *
 * <p>Why sums as products: libnd4j's reductions along a dimension run far below memory speed, and oneDNN's matrix-
 * vector product does not. The sums agree within a few float32 rounding steps.
 */
@FunctionalInterface
public interface MatrixSums {
    /** Every product through libnd4j's {@code matmul} op. */
    MatrixSums ND4J = (a, b, out, transposeA, transposeB, alpha, beta) -> Nd4j.exec(new Mmul(a, b, out, alpha, beta,
            MMulTranspose.builder().transposeA(transposeA).transposeB(transposeB).build()));

    /**
     * {@code out = alpha * op(a) op(b) + beta * out}, rank 2 or a batch of matrices in the leading dimensions.
     */
    void mmul(INDArray a, INDArray b, INDArray out, boolean transposeA, boolean transposeB, double alpha,
              double beta);

    /** {@code alpha * op(a) op(b)} into {@code out}, rank 2 or a batch of matrices in the leading dimensions. */
    default void mmul(INDArray a, INDArray b, INDArray out, boolean transposeA, boolean transposeB, double alpha) {
        mmul(a, b, out, transposeA, transposeB, alpha, 0.0);
    }

    /** {@code op(a) op(b)} into {@code out}. */
    default void mmul(INDArray a, INDArray b, INDArray out, boolean transposeA, boolean transposeB) {
        mmul(a, b, out, transposeA, transposeB, 1.0);
    }

    /** Sums down the columns of {@code m [n, k]} into {@code out} ({@code [k]}); {@code ones} is {@code [1, n]}. */
    default void columnSums(INDArray m, INDArray ones, INDArray out) {
        mmul(ones, m, out.reshape('c', 1, out.length()), false, false);
    }

    /**
     * {@code scale} times the sums along the rows of {@code m [n, k]}: a new {@code [n, 1]} array (in the current
     * workspace), the product with a column filled with {@code scale} ({@code 1/k} gives the row means).
     */
    default INDArray rowSums(INDArray m, double scale) {
        INDArray sums = Nd4j.createUninitialized(m.dataType(), m.size(0), 1);
        mmul(m, Nd4j.valueArrayOf(new long[] {m.size(1), 1}, scale, m.dataType()), sums, false, false);
        return sums;
    }
}
