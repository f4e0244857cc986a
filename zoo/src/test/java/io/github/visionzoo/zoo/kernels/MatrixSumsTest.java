package io.github.visionzoo.zoo.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Both implementations: libnd4j's, and the one the layers get here (oneDNN's, which takes batched products). */
class MatrixSumsTest {
    private static final MatrixSums[] BOTH = {MatrixSums.ND4J, Kernels.matrixSums()};

    @Test
    void rowAndColumnSumsEqualNd4jSums() {
        for (MatrixSums sums : BOTH) {
            Nd4j.getRandom().setSeed(7);
            INDArray m = Nd4j.rand(DataType.DOUBLE, 5, 7).subi(0.5);
            INDArray rows = sums.rowSums(m, 1.0);
            INDArray means = sums.rowSums(m, 1.0 / 7);
            INDArray cols = Nd4j.create(DataType.DOUBLE, 7);
            sums.columnSums(m, Nd4j.ones(DataType.DOUBLE, 1, 5), cols);
            assertThat(rows.shape()).containsExactly(5, 1);
            assertThat(rows.equalsWithEps(m.sum(true, 1), 1e-12)).as(rows + " vs " + m.sum(true, 1)).isTrue();
            assertThat(means.equalsWithEps(m.mean(true, 1), 1e-12)).as(means + " vs " + m.mean(true, 1)).isTrue();
            assertThat(cols.equalsWithEps(m.sum(0), 1e-12)).as(cols + " vs " + m.sum(0)).isTrue();
        }
    }

    @Test
    void mmulTransposesAndScales() {
        for (MatrixSums sums : BOTH) {
            INDArray a = Nd4j.createFromArray(new double[][] {{1, 2}, {3, 4}, {5, 6}}); // [3, 2]
            INDArray b = Nd4j.createFromArray(new double[][] {{1, 0, 2}, {0, 1, 1}});  // [2, 3]
            INDArray out = Nd4j.create(DataType.DOUBLE, 2, 2);
            sums.mmul(a, b, out, true, true, 0.5); // 0.5 * a^T b^T
            INDArray expected = a.transpose().mmul(b.transpose()).muli(0.5);
            assertThat(out).isEqualTo(expected);
        }
    }

}
