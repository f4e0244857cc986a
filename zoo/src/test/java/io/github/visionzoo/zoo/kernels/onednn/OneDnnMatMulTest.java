package io.github.visionzoo.zoo.kernels.onednn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

class OneDnnMatMulTest {
    /**
     * Batched products on oneDNN against a loop of 2-D products, on the strided views that the attention layers pass
     * (heads of interleaved query/key/value rows), with transposes, a scale and accumulation.
     */
    @Test
    void batchedProductsOnOneDnnOfStridedViews() {
        Nd4j.getRandom().setSeed(3);
        long b = 2;
        long t = 5;
        long heads = 3;
        long hd = 4;
        // [b*T, 3*h*hd] rows -> [3, b, h, T, hd] views, as EncoderBlockImpl splits them
        INDArray rows = Nd4j.rand(DataType.FLOAT, b * t, 3 * heads * hd).subi(0.5);
        INDArray qkv = rows.reshape('c', b, t, 3, heads, hd).permute(2, 0, 3, 1, 4);
        INDArray q = qkv.get(point(0), all(), all(), all(), all());
        INDArray k = qkv.get(point(1), all(), all(), all(), all());
        INDArray scores = Nd4j.rand(DataType.FLOAT, b, heads, t, t);
        INDArray before = scores.dup();
        assertThat(OneDnnMatMul.takes(q, k, scores)).isTrue();
        OneDnnMatMul.INSTANCE.mmul(q, k, scores, false, true, 0.5, 1.0); // 0.5 * q k^T + scores
        INDArray grads = Nd4j.create(DataType.FLOAT, b, heads, hd, hd);
        OneDnnMatMul.INSTANCE.mmul(q, k, grads, true, false); // q^T k
        INDArray qc = q.dup('c');
        INDArray kc = k.dup('c');
        for (int i = 0; i < b; i++) {
            for (int h = 0; h < heads; h++) {
                INDArray qi = qc.slice(i).slice(h);
                INDArray ki = kc.slice(i).slice(h);
                INDArray expected = qi.mmul(ki.transpose()).muli(0.5).addi(before.slice(i).slice(h));
                assertThat(scores.slice(i).slice(h).equalsWithEps(expected, 1e-5)).isTrue();
                assertThat(grads.slice(i).slice(h).equalsWithEps(qi.transpose().mmul(ki), 1e-5)).isTrue();
            }
        }
        assertThat(OneDnnMatMul.takes(q, k.get(point(0), all(), all(), all()), scores)).as("no broadcasting").isFalse();
        assertThat(OneDnnMatMul.takes(q.castTo(DataType.DOUBLE), k, scores)).as("float only").isFalse();
    }

    private static INDArrayIndex point(long i) {
        return NDArrayIndex.point(i);
    }

    private static INDArrayIndex all() {
        return NDArrayIndex.all();
    }
}
