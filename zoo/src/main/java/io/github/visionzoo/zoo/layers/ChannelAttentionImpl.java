package io.github.visionzoo.zoo.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
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
 * The running {@link ChannelAttention} on the positions' rows {@code [n = b*N, C]}: {@code qkv} as one matrix product
 * {@code [n, 3C]}, read as {@code [3, b, h, N, d]} strided views (the groups a batch dimension of the two attention
 * products, no copies), {@code A = softmax((k / sqrt(d))^T v) [b, h, d, d]}, the groups' output {@code q A^T} written
 * straight into the merged rows {@code [n, C]}, then {@code proj}. Training keeps the projections, {@code A} and the
 * merged rows for the backward pass.
 */
final class ChannelAttentionImpl extends FeatureMapRowsImpl {
    private static final long serialVersionUID = 1L;

    private INDArray qkv;
    private INDArray attention;
    private INDArray context;

    ChannelAttentionImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    protected void forwardRows(INDArray x, long b, boolean training, ArrayType keep, INDArray out,
                               LayerWorkspaceMgr mgr) {
        long n = x.size(0);
        long c = x.size(1);
        long heads = ((ChannelAttention) layerConf()).getNumHeads();
        long d = c / heads;
        long positions = n / b;
        // [n, 3C] = [b, N, 3, h, d] -> [3, b, h, N, d]
        INDArray projections = byHead(linear(x, QkvAttention.QKV_WEIGHT, QkvAttention.QKV_BIAS,
                mgr.createUninitialized(keep, dataType, n, 3 * c)), b, positions, 3, heads);
        // [b, h, d, N] x [b, h, N, d] -> [b, h, d, d]
        INDArray a = mgr.createUninitialized(keep, dataType, b, heads, d, d);
        sums.mmul(part(projections, 1), part(projections, 2), a, true, false, 1.0 / Math.sqrt(d));
        Nd4j.exec(new SoftMax(a, a, 3));
        // [b, h, N, d] x [b, h, d, d]^T -> [b, h, N, d], written as [b, N, h, d] = [n, C]
        INDArray merged = mgr.createUninitialized(keep, dataType, n, c);
        sums.mmul(part(projections, 0), a, part(byHead(merged, b, positions, 1, heads), 0), false, true);
        linear(merged, QkvAttention.PROJ_WEIGHT, QkvAttention.PROJ_BIAS, out);
        if (training) {
            qkv = projections;
            attention = a;
            context = merged;
        }
    }

    @Override
    protected void backwardRows(INDArray x, INDArray dOut, long b, INDArray dx, LayerWorkspaceMgr mgr) {
        ArrayType work = ArrayType.BP_WORKING_MEM;
        long n = x.size(0);
        long c = x.size(1);
        long heads = attention.size(1);
        long d = attention.size(2);
        long positions = n / b;
        double scale = 1.0 / Math.sqrt(d);
        INDArray ones = mgr.createUninitialized(work, dataType, 1, n).assign(1);
        INDArray dMerged = mgr.createUninitialized(work, dataType, n, c);
        linearBackward(context, dOut, QkvAttention.PROJ_WEIGHT, QkvAttention.PROJ_BIAS, ones, dMerged);
        INDArray dHeads = part(byHead(dMerged, b, positions, 1, heads), 0);
        INDArray dQkvRows = mgr.createUninitialized(work, dataType, n, 3 * c);
        INDArray dQkv = byHead(dQkvRows, b, positions, 3, heads);
        // out = q A^T: dq = dOut A, dA = dOut^T q
        sums.mmul(dHeads, attention, part(dQkv, 0), false, false);
        INDArray dA = mgr.createUninitialized(work, dataType, b, heads, d, d);
        sums.mmul(dHeads, part(qkv, 0), dA, true, false);
        // softmax backward, row by row: ds = A * (dA - sum(dA * A))
        INDArray dsRows = dA.reshape('c', b * heads * d, d);
        INDArray aRows = attention.reshape('c', b * heads * d, d);
        INDArray rowDots = Nd4j.getExecutioner().exec(new Dot(dsRows, aRows, 1)).reshape(b * heads * d, 1);
        dsRows.subiColumnVector(rowDots).muli(aRows);
        // S = scale k^T v: dk = scale v dS^T, dv = scale k dS
        sums.mmul(part(qkv, 2), dA, part(dQkv, 1), false, true, scale);
        sums.mmul(part(qkv, 1), dA, part(dQkv, 2), false, false, scale);
        linearBackward(x, dQkvRows, QkvAttention.QKV_WEIGHT, QkvAttention.QKV_BIAS, ones, dx);
    }

    @Override
    protected void forget() {
        qkv = null;
        attention = null;
        context = null;
    }

    /** The rows {@code [n, parts * C]} of {@code b} images of {@code N} positions as {@code [parts, b, h, N, d]}. */
    private static INDArray byHead(INDArray rows, long b, long positions, long parts, long h) {
        return rows.reshape('c', b, positions, parts, h, rows.size(1) / (parts * h)).permute(2, 0, 3, 1, 4);
    }

    /** Part {@code i} of a {@code [3, b, h, N, d]} array (query, key, value): a view {@code [b, h, N, d]}. */
    private static INDArray part(INDArray qkv, int i) {
        INDArrayIndex all = NDArrayIndex.all();
        return qkv.get(NDArrayIndex.point(i), all, all, all, all);
    }
}
