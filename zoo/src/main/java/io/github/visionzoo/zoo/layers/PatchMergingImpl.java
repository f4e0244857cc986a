package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The running {@link PatchMerging}: the 2x2 groups (with the zero padding of an odd side) gathered by one index map
 * ({@link RowGather}, {@link #groupRows}) into {@code [b*m*m, 4C]}, layer-normalized ({@link LayerNormPass}) and
 * projected, forward and backward written out, where the SameDiff definition pads, reshapes, permutes and
 * differentiates the norm through broadcast reductions, running the forward pass twice per training step. The
 * parameters are the SameDiff layer's views.
 */
final class PatchMergingImpl extends WrittenOutLayer {
    private static final long serialVersionUID = 1L;

    private final MatrixSums sums = Kernels.matrixSums();
    private final LayerNormPass norms;
    private RowGather groups;
    private LayerNormPass.Norm saved;

    PatchMergingImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        norms = new LayerNormPass(sums, dataType);
    }

    private PatchMerging config() {
        return (PatchMerging) layerConf();
    }

    @Override
    protected void forget() {
        saved = null;
    }

    @Override
    protected INDArray forward(boolean training, LayerWorkspaceMgr mgr) {
        PatchMerging c = config();
        long s = c.getSide();
        long dim = c.getDim();
        long m = c.mergedSide();
        if (input.rank() != 3 || input.size(1) != s * s || input.size(2) != dim) {
            throw new IllegalArgumentException("PatchMerging '" + c.getLayerName() + "' expects tokens [b, " + s * s
                    + ", " + dim + "], got " + Arrays.toString(input.shape()));
        }
        long b = input.size(0);
        long n = b * m * m;
        ArrayType keep = training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM;
        ArrayType work = ArrayType.FF_WORKING_MEM;
        INDArray x = RuntimeLayers.contiguous(input, dataType, work, mgr).reshape('c', b * s * s, dim);
        // [b*s*s, C] -> [b*m*m*4, C] = [b*m*m, 4C]
        INDArray merged = groups().gather(x, mgr.createUninitialized(work, dataType, 4 * n, dim), work, mgr)
                .reshape('c', n, 4 * dim);
        LayerNormPass.Norm norm = norms.forward(merged, getParam(PatchMerging.NORM_WEIGHT),
                getParam(PatchMerging.NORM_BIAS), c.getEps(), training, keep, mgr);
        // [b*m*m, 4C] -> [b*m*m, 2C] = [b, m*m, 2C]
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {b, m * m, 2 * dim}, 'c');
        sums.mmul(norm.out(), getParam(PatchMerging.REDUCTION), out.reshape('c', n, 2 * dim), false, true);
        saved = training ? norm : null;
        return out;
    }

    @Override
    protected INDArray backward(INDArray epsilon, LayerWorkspaceMgr mgr) {
        PatchMerging c = config();
        long s = c.getSide();
        long dim = c.getDim();
        long m = c.mergedSide();
        long b = input.size(0);
        long n = b * m * m;
        ArrayType work = ArrayType.BP_WORKING_MEM;
        INDArray dOut = RuntimeLayers.contiguous(epsilon, dataType, work, mgr).reshape('c', n, 2 * dim);
        sums.mmul(dOut, saved.out(), gradTable.get(PatchMerging.REDUCTION), true, false);
        INDArray dNormed = mgr.createUninitialized(work, dataType, n, 4 * dim);
        sums.mmul(dOut, getParam(PatchMerging.REDUCTION), dNormed, false, false);
        INDArray ones = mgr.createUninitialized(work, dataType, 1, n).assign(1);
        // the norm's backward pass adds the input's gradient to what dMerged holds
        INDArray dMerged = mgr.create(work, dataType, n, 4 * dim);
        norms.backward(dNormed, saved, getParam(PatchMerging.NORM_WEIGHT), gradTable.get(PatchMerging.NORM_WEIGHT),
                gradTable.get(PatchMerging.NORM_BIAS), ones, dMerged, mgr);
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, new long[] {b, s * s, dim}, 'c');
        groups().putBack(dMerged.reshape('c', 4 * n, dim), dx.reshape('c', b * s * s, dim));
        return dx;
    }

    private RowGather groups() {
        if (groups == null) {
            long s = config().getSide();
            groups = new RowGather(groupRows(s), Math.toIntExact(s * s));
        }
        return groups;
    }

    /**
     * For each row of one image's merged map, 4 per merged position {@code (i, j)} in torchvision's order
     * ({@code x0..x3}: {@code (dy, dx)} = (0, 0), (1, 0), (0, 1), (1, 1)), the token of the {@code s x s} map it
     * holds, {@code (2i + dy) * s + 2j + dx}, or -1 in the padding of an odd side.
     */
    static int[] groupRows(long s) {
        long m = (s + 1) / 2;
        int[] map = new int[Math.toIntExact(4 * m * m)];
        int r = 0;
        for (long i = 0; i < m; i++) {
            for (long j = 0; j < m; j++) {
                for (int k = 0; k < 4; k++) {
                    long y = 2 * i + k % 2;
                    long x = 2 * j + k / 2;
                    map[r++] = y < s && x < s ? (int) (y * s + x) : -1;
                }
            }
        }
        return map;
    }
}
