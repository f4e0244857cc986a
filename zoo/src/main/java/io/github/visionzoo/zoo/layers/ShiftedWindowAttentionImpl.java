package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The running {@link ShiftedWindowAttention}: forward and backward passes written out ({@link SelfAttentionPass} over
 * the {@code b*nW} windows), where its configuration's SameDiff definition runs the forward pass twice per training
 * step and allocates every intermediate afresh.
 *
 * <p>Padding, cyclic shift and window partition are one row gather, {@code [b*s*s, C] -> [b*nW*N, C]}, by an index map
 * ({@link RowGather#windows}): window row {@code r} reads token {@code map[r]} of its image, or a zero row
 * where {@code r} lies in the padding. Putting the windows back (reverse shift, crop) is the gather by the inverse map,
 * and so are the backward pass's two rearrangements, so nothing is rolled, permuted or concatenated. The relative
 * position bias {@code [h, N, N]} is gathered from its table once per pass, with the shifted windows' mask added
 * ({@code [nW, h, N, N]}), and added to the scores in one pass; the table's gradient is the scores' gradient summed
 * over the images and windows, scattered back by the same index.
 *
 * <p>The parameters are DL4J's SameDiff layer's views ({@link ShiftedWindowAttention}'s parameter layout), so
 * configurations, checkpoints and imported weights are those of the SameDiff layer.
 */
final class ShiftedWindowAttentionImpl extends WrittenOutLayer {
    private static final long serialVersionUID = 1L;

    private static final String[] PROJECTIONS = {ShiftedWindowAttention.QKV_WEIGHT, ShiftedWindowAttention.QKV_BIAS,
            ShiftedWindowAttention.PROJ_WEIGHT, ShiftedWindowAttention.PROJ_BIAS};

    /** What the training forward pass keeps for the backward pass. */
    private record Saved(SelfAttentionPass.Saved attention, INDArray dropoutMask) {
    }

    private final MatrixSums sums = Kernels.matrixSums();
    private final SelfAttentionPass attention;
    private Saved saved;
    /** Pad, roll by -shift and partition, and back ({@link #windowRows}); built at the first pass. */
    private RowGather partition;
    /** The shifted windows' mask repeated over the heads, {@code [nW, h*N*N]}, outside workspaces; null unshifted. */
    private INDArray mask;

    ShiftedWindowAttentionImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        attention = new SelfAttentionPass(sums, dataType);
    }

    private ShiftedWindowAttention config() {
        return (ShiftedWindowAttention) layerConf();
    }

    @Override
    protected void forget() {
        saved = null;
    }

    @Override
    protected INDArray forward(boolean training, LayerWorkspaceMgr mgr) {
        ShiftedWindowAttention c = config();
        ShiftedWindowAttention.Windows w = c.windows();
        long s = c.getSide();
        long dim = c.getDim();
        if (input.rank() != 3 || input.size(1) != s * s || input.size(2) != dim) {
            throw new IllegalArgumentException("ShiftedWindowAttention '" + c.getLayerName() + "' expects tokens [b, "
                    + s * s + ", " + dim + "], got " + Arrays.toString(input.shape()));
        }
        long b = input.size(0);
        long windows = b * w.count();
        long rows = windows * w.tokensPerWindow();
        ArrayType keep = training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM;
        ArrayType work = ArrayType.FF_WORKING_MEM;
        INDArray x = RuntimeLayers.contiguous(input, dataType, work, mgr).reshape('c', b * s * s, dim);
        // [b*s*s, C] -> [b*nW*N, C]: pad, roll by -shift, partition
        INDArray xw = partition().gather(x, mgr.createUninitialized(keep, dataType, rows, dim), work, mgr);
        INDArray attentionMask = training ? SelfAttentionPass.dropoutMask(c.getAttentionDropout(), dataType, mgr,
                windows, c.getNumHeads(), w.tokensPerWindow(), w.tokensPerWindow()) : null;
        INDArray dropoutMask = training ? SelfAttentionPass.dropoutMask(c.getDropout(), dataType, mgr, rows, dim)
                : null;
        INDArray bias = scoreBias(w, work, mgr);
        INDArray ow = mgr.createUninitialized(work, dataType, rows, dim);
        SelfAttentionPass.Saved attended = attention.forward(xw, projections(paramTable), windows,
                w.tokensPerWindow(), c.getNumHeads(),
                scores -> scores.reshape('c', scores.length() / bias.length(), bias.length()).addiRowVector(bias),
                attentionMask, ow, keep, mgr);
        if (dropoutMask != null) {
            ow.muli(dropoutMask);
        }
        // [b*nW*N, C] -> [b*s*s, C]: put back, roll by +shift, crop
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {b, s * s, dim}, 'c');
        partition().putBack(ow, out.reshape('c', b * s * s, dim));
        saved = training ? new Saved(attended, dropoutMask) : null;
        return out;
    }

    @Override
    protected INDArray backward(INDArray epsilon, LayerWorkspaceMgr mgr) {
        Saved sv = saved;
        ShiftedWindowAttention c = config();
        ShiftedWindowAttention.Windows w = c.windows();
        long s = c.getSide();
        long dim = c.getDim();
        long b = input.size(0);
        long windows = b * w.count();
        long n = w.tokensPerWindow();
        long rows = windows * n;
        int heads = c.getNumHeads();
        ArrayType work = ArrayType.BP_WORKING_MEM;
        INDArray dOut = RuntimeLayers.contiguous(epsilon, dataType, work, mgr).reshape('c', b * s * s, dim);
        INDArray dw = partition().gather(dOut, mgr.createUninitialized(work, dataType, rows, dim), work, mgr);
        if (sv.dropoutMask() != null) {
            dw.muli(sv.dropoutMask());
        }
        INDArray ones = mgr.createUninitialized(work, dataType, 1, rows).assign(1);
        INDArray dxw = mgr.createUninitialized(work, dataType, rows, dim);
        INDArray tableGrad = gradTable.get(ShiftedWindowAttention.BIAS_TABLE);
        attention.backward(dw, sv.attention(), projections(paramTable), projections(gradTable), windows, n, heads,
                ones, dScores -> tableGradient(dScores, windows, heads, n, ones, tableGrad, work, mgr), dxw, mgr);
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, new long[] {b, s * s, dim}, 'c');
        partition().putBack(dxw, dx.reshape('c', b * s * s, dim));
        return dx;
    }

    private static SelfAttentionPass.Projections projections(java.util.Map<String, INDArray> table) {
        return new SelfAttentionPass.Projections(table.get(PROJECTIONS[0]), table.get(PROJECTIONS[1]),
                table.get(PROJECTIONS[2]), table.get(PROJECTIONS[3]));
    }

    private RowGather partition() {
        if (partition == null) {
            ShiftedWindowAttention c = config();
            ShiftedWindowAttention.Windows w = c.windows();
            partition = new RowGather(RowGather.windows(c.getSide(), c.getSide(), w.window(), w.effectiveShift()),
                    Math.toIntExact(c.getSide() * c.getSide()));
        }
        return partition;
    }

    /**
     * The scores' bias for one image, {@code [nW * h * N * N]} in working memory: {@code table[index]} per head, plus
     * the shifted windows' mask.
     */
    private INDArray scoreBias(ShiftedWindowAttention.Windows w, ArrayType work, LayerWorkspaceMgr mgr) {
        ShiftedWindowAttention c = config();
        int heads = c.getNumHeads();
        long[] index = ShiftedWindowAttention.relativePositionIndex(w.window());
        double[] table = paramTable.get(ShiftedWindowAttention.BIAS_TABLE).ravel().toDoubleVector(); // [(2w-1)^2, h]
        double[] perHead = new double[heads * index.length];
        for (int h = 0; h < heads; h++) {
            for (int k = 0; k < index.length; k++) {
                perHead[h * index.length + k] = table[(int) index[k] * heads + h];
            }
        }
        INDArray bias = mgr.createUninitialized(work, dataType, 1, perHead.length).assign(
                Nd4j.createFromArray(perHead).reshape(1, perHead.length));
        if (w.effectiveShift() == 0) {
            return bias;
        }
        if (mask == null) {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                mask = Nd4j.create(w.mask()).castTo(dataType).reshape('c', w.count(), 1, index.length)
                        .repeat(1, heads).reshape('c', w.count(), (long) heads * index.length);
            }
        }
        INDArray full = mgr.createUninitialized(work, dataType, w.count(), perHead.length);
        return full.assign(mask).addiRowVector(bias).reshape('c', 1, full.length());
    }

    /**
     * The bias table's gradient from the biased scores' {@code dScores [b*nW, h, N, N]}: their sum over the windows
     * of all images, added up per table row through the index.
     */
    private void tableGradient(INDArray dScores, long windows, int heads, long n, INDArray ones, INDArray tableGrad,
                               ArrayType work, LayerWorkspaceMgr mgr) {
        long perWindow = heads * n * n;
        INDArray sum = mgr.createUninitialized(work, dataType, 1, perWindow);
        sums.mmul(ones.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, windows)).reshape(1, windows),
                dScores.reshape('c', windows, perWindow), sum, false, false);
        double[] perHead = sum.toDoubleVector();
        long[] index = ShiftedWindowAttention.relativePositionIndex(config().getWindowSize());
        double[] grad = new double[(int) tableGrad.length()];
        for (int h = 0; h < heads; h++) {
            for (int k = 0; k < index.length; k++) {
                grad[(int) index[k] * heads + h] += perHead[h * index.length + k];
            }
        }
        tableGrad.assign(Nd4j.createFromArray(grad).castTo(dataType).reshape(tableGrad.shape()));
    }
}
