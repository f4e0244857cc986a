package io.github.visionzoo.zoo.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

class GaussianCdfTest {
    /** Phi(u) in double through libnd4j's exact erf. */
    private static INDArray exact(INDArray u) {
        INDArray ud = u.castTo(DataType.DOUBLE);
        INDArray phi = Nd4j.createUninitialized(DataType.DOUBLE, ud.shape());
        Nd4j.exec(new Erf(ud.mul(Math.sqrt(0.5)), phi));
        return phi.muli(0.5).addi(0.5);
    }

    private static double maxAbsDiff(INDArray a, INDArray b) {
        return Transforms.abs(a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE))).maxNumber().doubleValue();
    }

    @Test
    void floatsWithinAFewUlpOfTheExactCdfEverywhere() {
        // [-12, 12] in steps of 1e-4, across several chunks and an uneven last one
        INDArray u = Nd4j.linspace(DataType.FLOAT, -12.0, 1e-4, 240_001).reshape(1, 240_001);
        INDArray phi = Nd4j.createUninitialized(DataType.FLOAT, u.shape());
        GaussianCdf.of(u, phi);
        assertThat(maxAbsDiff(phi, exact(u))).isLessThan(3e-7);
        assertThat(phi.getDouble(0, 0)).isEqualTo(0.0);
        assertThat(phi.getDouble(0, 240_000)).isEqualTo(1.0);
        INDArray points = Nd4j.createFromArray(0f, 1f, -1.96f);
        INDArray atPoints = Nd4j.createUninitialized(DataType.FLOAT, 3);
        GaussianCdf.of(points, atPoints);
        assertThat(atPoints.toDoubleVector()).containsExactly(new double[] {0.5, 0.8413447, 0.0249979},
                org.assertj.core.data.Offset.offset(3e-7));
    }

    @Test
    void viewsWithOffsetsReadAndWriteOnlyTheirOwnElements() {
        INDArray big = Nd4j.rand(DataType.FLOAT, 4, 3, 5000).subi(0.5).muli(8);
        INDArray out = Nd4j.zeros(DataType.FLOAT, 4, 3, 5000);
        INDArray u = big.get(NDArrayIndex.point(2), NDArrayIndex.all(), NDArrayIndex.all()); // contiguous, offset
        INDArray phi = out.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all());
        assertThat(u.offset()).isGreaterThan(0);
        GaussianCdf.of(u, phi);
        assertThat(maxAbsDiff(phi, exact(u))).isLessThan(3e-7);
        // nothing outside the target view was written
        assertThat(out.get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all()).sumNumber().doubleValue())
                .isZero();
        assertThat(out.get(NDArrayIndex.point(2), NDArrayIndex.all(), NDArrayIndex.all()).sumNumber().doubleValue())
                .isZero();
    }

    @Test
    void doublesAndStridedArraysTakeTheExactErf() {
        INDArray ud = Nd4j.rand(DataType.DOUBLE, 7, 9).subi(0.5).muli(6);
        INDArray phid = Nd4j.createUninitialized(DataType.DOUBLE, 7, 9);
        GaussianCdf.of(ud, phid);
        assertThat(maxAbsDiff(phid, exact(ud))).isLessThan(1e-15);

        INDArray strided = Nd4j.rand(DataType.FLOAT, 9, 7).subi(0.5).muli(6).transpose();
        INDArray phis = Nd4j.createUninitialized(DataType.FLOAT, 7, 9);
        GaussianCdf.of(strided, phis);
        assertThat(maxAbsDiff(phis, exact(strided))).isLessThan(1e-7);
    }

    /** d/du [u Phi(u)] in double: Phi(u) + u exp(-u^2/2) / sqrt(2 pi). */
    private static INDArray exactGeluDerivative(INDArray u) {
        INDArray ud = u.castTo(DataType.DOUBLE);
        INDArray density = Transforms.exp(ud.mul(ud).muli(-0.5), false).muli(1 / Math.sqrt(2 * Math.PI));
        return density.muli(ud).addi(exact(u));
    }

    @Test
    void geluDerivativeOfFloatsIsWithinAMillionthEverywhere() {
        INDArray u = Nd4j.linspace(DataType.FLOAT, -12.0, 1e-4, 240_001).reshape(1, 240_001);
        INDArray cdf = Nd4j.createUninitialized(DataType.FLOAT, u.shape());
        GaussianCdf.of(u, cdf);
        INDArray du = Nd4j.rand(DataType.FLOAT, u.shape()).subi(0.5).muli(4);
        INDArray expected = exactGeluDerivative(u).muli(du.castTo(DataType.DOUBLE));
        GaussianCdf.timesGeluDerivative(du, u, cdf, Nd4j.createUninitialized(DataType.FLOAT, u.shape()));
        // |du| <= 2: the derivative itself within 1e-6 (and Phi's own 3e-7)
        assertThat(maxAbsDiff(du, expected)).isLessThan(2 * (1e-6 + 3e-7));
        for (float x : new float[] {0f, 0.5f, 1f, 2f, -3f, 5.9f}) {
            double exactDensity = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            assertThat((double) GaussianCdf.density(x)).as("density at %s", x)
                    .isCloseTo(exactDensity, org.assertj.core.data.Offset.offset(6e-6 * exactDensity));
        }
        assertThat(GaussianCdf.density(30f)).isBetween(0f, 1e-8f);
    }

    @Test
    void geluDerivativeOfDoublesIsExact() {
        INDArray u = Nd4j.rand(DataType.DOUBLE, 5, 8).subi(0.5).muli(8);
        INDArray cdf = Nd4j.createUninitialized(DataType.DOUBLE, 5, 8);
        GaussianCdf.of(u, cdf);
        INDArray du = Nd4j.ones(DataType.DOUBLE, 5, 8);
        GaussianCdf.timesGeluDerivative(du, u, cdf, Nd4j.createUninitialized(DataType.DOUBLE, 5, 8));
        assertThat(maxAbsDiff(du, exactGeluDerivative(u))).isLessThan(1e-14);
    }

    @Test
    void geluKeepsTheGateAndGivesUTimesIt() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray u = Nd4j.rand(type, 3, 10_000).subi(0.5).muli(12);
            INDArray phi = Nd4j.createUninitialized(type, u.shape());
            INDArray gelu = Nd4j.createUninitialized(type, u.shape());
            GaussianCdf.gelu(u, phi, gelu);
            boolean single = type == DataType.FLOAT;
            assertThat(maxAbsDiff(phi, exact(u))).as("%s gate", type).isLessThan(single ? 3e-7 : 1e-15);
            // |u| <= 6: the gate's error times 6, and the product's rounding
            assertThat(maxAbsDiff(gelu, exact(u).muli(u.castTo(DataType.DOUBLE)))).as("%s gelu", type)
                    .isLessThan(single ? 2.5e-6 : 1e-14);
        }
        assertThatThrownBy(() -> GaussianCdf.gelu(Nd4j.zeros(DataType.FLOAT, 2, 3), Nd4j.zeros(DataType.FLOAT, 2, 3),
                Nd4j.zeros(DataType.FLOAT, 3, 2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 2]");
    }

    @Test
    void geluWithoutTheGateOverwritesItsInputWithTheSameValues() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray u = Nd4j.rand(type, 3, 10_000).subi(0.5).muli(12);
            INDArray expected = Nd4j.createUninitialized(type, u.shape());
            GaussianCdf.gelu(u, Nd4j.createUninitialized(type, u.shape()), expected);
            GaussianCdf.gelu(u, null, u);
            assertThat(maxAbsDiff(u, expected)).as("%s", type).isEqualTo(0.0);
        }
    }

    @Test
    void refusesArraysOfDifferentShapes() {
        assertThatThrownBy(() -> GaussianCdf.of(Nd4j.zeros(DataType.FLOAT, 2, 3), Nd4j.zeros(DataType.FLOAT, 3, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3]");
    }
}
