package io.github.visionzoo.zoo.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class FloatLoopsTest {
    private static float[] randomFloats(int n, long seed) {
        Random random = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextGaussian() + 3);
        }
        return a;
    }

    @Test
    void sumsDotsAndSquaresMatchDoubleReferencesForEveryLength() {
        for (int length : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 768, 12545}) {
            float[] a = randomFloats(length + 3, length);
            float[] b = randomFloats(length + 3, length + 1);
            double sum = 0;
            double dot = 0;
            double squares = 0;
            for (int i = 0; i < length; i++) {
                sum += a[i];
                dot += (double) a[i] * b[i];
            }
            float m = (float) (length == 0 ? 0 : sum / length);
            for (int i = 0; i < length; i++) {
                squares += (a[i] - m) * (double) (a[i] - m);
            }
            // elements past length are ignored
            double tolerance = 1e-6 * (length + 1) * 10;
            assertThat((double) FloatLoops.sum(a, length)).as("sum of %d", length).isCloseTo(sum, within(tolerance));
            assertThat((double) FloatLoops.dot(a, b, length)).as("dot of %d", length)
                    .isCloseTo(dot, within(tolerance * 4));
            assertThat((double) FloatLoops.squaresAbout(a, m, length)).as("squares of %d", length)
                    .isCloseTo(squares, within(tolerance));
        }
    }

    @Test
    void rowsReadEveryInputAndWriteEveryOutputIncludingAShortLastRowAndInPlace() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 7, 5);
        INDArray b = Nd4j.rand(DataType.FLOAT, 7, 5);
        INDArray expectedSum = a.add(b);
        INDArray expectedProduct = a.mul(b);
        INDArray product = Nd4j.createUninitialized(DataType.FLOAT, 7, 5);
        AtomicLong rowsSeen = new AtomicLong();
        // rows of 4 over 35 elements: the last row has 3; the sum goes back into a
        FloatLoops.rows(new INDArray[] {a, b}, new INDArray[] {a, product}, 4, (worker, row, in, out, length) -> {
            rowsSeen.incrementAndGet();
            assertThat(length).isEqualTo(row == 8 ? 3 : 4);
            for (int i = 0; i < length; i++) {
                out[0][i] = in[0][i] + in[1][i];
                out[1][i] = in[0][i] * in[1][i];
            }
        });
        assertThat(rowsSeen.get()).isEqualTo(9);
        assertThat(a).isEqualTo(expectedSum);
        assertThat(product).isEqualTo(expectedProduct);
    }

    @Test
    void eachWorkerRunsOneContiguousRangeOfRowsInOrder() {
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, 103, 3);
        int workers = FloatLoops.workers(103);
        long[] last = new long[workers];
        long[] count = new long[workers];
        java.util.Arrays.fill(last, -1);
        FloatLoops.rows(new INDArray[] {a}, new INDArray[0], 3, (worker, row, in, out, length) -> {
            assertThat(last[worker] == -1 || row == last[worker] + 1).as("row %d after %d", row, last[worker]).isTrue();
            last[worker] = row;
            count[worker]++;
        });
        assertThat(java.util.Arrays.stream(count).sum()).isEqualTo(103);
        assertThat(last[workers - 1]).isEqualTo(102);
        assertThat(FloatLoops.workers(0)).isEqualTo(1);
        assertThat(FloatLoops.workers(1)).isEqualTo(1);
    }

    @Test
    void takesOnlyWholeCOrderFloatArrays() {
        INDArray whole = Nd4j.rand(DataType.FLOAT, 4, 6);
        assertThat(FloatLoops.takes(whole)).isTrue();
        assertThat(FloatLoops.takes(whole, Nd4j.rand(DataType.FLOAT, 3))).isTrue();
        assertThat(FloatLoops.takes(whole.getRow(1))).as("a view with an offset").isFalse();
        assertThat(FloatLoops.takes(whole.transpose())).as("a transposed view").isFalse();
        assertThat(FloatLoops.takes(whole.castTo(DataType.DOUBLE))).as("double").isFalse();
        assertThat(FloatLoops.takes(whole, whole.dup('f'))).as("one of them in f order").isFalse();
    }

    @Test
    void takesDenseArraysWhateverTheStridesOfTheirUnitDimensions() {
        // a 1x1 channels-last feature map: [b, 1, 1, c] seen as [b, c, 1, 1] and back
        INDArray nhwc = Nd4j.rand(DataType.FLOAT, 4, 1, 1, 8).permute(0, 3, 1, 2).permute(0, 2, 3, 1);
        assertThat(FloatLoops.takes(nhwc)).isTrue();
        assertThat(FloatLoops.takes(Nd4j.rand(DataType.FLOAT, 4, 8, 1, 1))).isTrue();
        assertThat(FloatLoops.takes(Nd4j.rand(DataType.FLOAT, 4, 8, 2, 1).permute(0, 2, 3, 1)))
                .as("a channels-last view of a 2x1 map seen as NCHW memory").isFalse();
    }
}
