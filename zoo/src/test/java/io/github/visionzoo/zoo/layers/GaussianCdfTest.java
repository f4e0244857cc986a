package io.github.visionzoo.zoo.layers;

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

    @Test
    void refusesArraysOfDifferentShapes() {
        assertThatThrownBy(() -> GaussianCdf.of(Nd4j.zeros(DataType.FLOAT, 2, 3), Nd4j.zeros(DataType.FLOAT, 3, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3]");
    }
}
