package io.github.visionzoo.zoo.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The running {@link WindowAttention}: the positions' rows {@code [b*H*W, C]} gathered into window rows
 * {@code [b*nW*w*w, C]} (zero rows where the map is padded to whole windows), the attention of each window's
 * {@code w*w} tokens by {@link SelfAttentionPass} (as the ViT's and the Swin's), and the windows put back in place with
 * the padding cut off. The backward pass gathers the output's gradient the same way (the padded positions get none)
 * and puts the input's gradient back the same way.
 */
final class WindowAttentionImpl extends FeatureMapRowsImpl {
    private static final long serialVersionUID = 1L;

    private final SelfAttentionPass pass;
    private SelfAttentionPass.Saved saved;

    WindowAttentionImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        pass = new SelfAttentionPass(sums, dataType);
    }

    private WindowAttention window() {
        return (WindowAttention) layerConf();
    }

    @Override
    protected void forwardRows(INDArray x, long b, boolean training, ArrayType keep, INDArray out,
                               LayerWorkspaceMgr mgr) {
        WindowAttention c = window();
        long ws = c.getWindowSize();
        long windows = b * (c.padded(c.getHeight()) / ws) * (c.padded(c.getWidth()) / ws);
        INDArray rows = partition(x, b, mgr.createUninitialized(keep, dataType, windows * ws * ws, x.size(1)),
                ArrayType.FF_WORKING_MEM, mgr);
        INDArray attended = mgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, rows.shape());
        SelfAttentionPass.Saved s = pass.forward(rows, parameters(), windows, ws * ws, c.getNumHeads(), null, null,
                attended, keep, mgr);
        merge(attended, b, out, ArrayType.FF_WORKING_MEM, mgr);
        saved = training ? s : null;
    }

    @Override
    protected void backwardRows(INDArray x, INDArray dOut, long b, INDArray dx, LayerWorkspaceMgr mgr) {
        WindowAttention c = window();
        long ws = c.getWindowSize();
        ArrayType work = ArrayType.BP_WORKING_MEM;
        INDArray dRows = partition(dOut, b, mgr.createUninitialized(work, dataType, saved.input().shape()), work, mgr);
        long n = dRows.size(0);
        INDArray ones = mgr.createUninitialized(work, dataType, 1, n).assign(1);
        INDArray dxRows = mgr.createUninitialized(work, dataType, dRows.shape());
        pass.backward(dRows, saved, parameters(), gradients(), n / (ws * ws), ws * ws, c.getNumHeads(), ones, null,
                dxRows, mgr);
        merge(dxRows, b, dx, work, mgr);
    }

    @Override
    protected void forget() {
        saved = null;
    }

    private SelfAttentionPass.Projections parameters() {
        return new SelfAttentionPass.Projections(getParam(QkvAttention.QKV_WEIGHT), getParam(QkvAttention.QKV_BIAS),
                getParam(QkvAttention.PROJ_WEIGHT), getParam(QkvAttention.PROJ_BIAS));
    }

    private SelfAttentionPass.Projections gradients() {
        return new SelfAttentionPass.Projections(grad(QkvAttention.QKV_WEIGHT), grad(QkvAttention.QKV_BIAS),
                grad(QkvAttention.PROJ_WEIGHT), grad(QkvAttention.PROJ_BIAS));
    }

    /**
     * The rows {@code [b*H*W, C]} of {@code b} maps as window rows into {@code out [b*nW*w*w, C]}: windows in row-major
     * order of the padded map, each window's tokens row-major, padded positions zero (timm's {@code F.pad} and
     * {@code window_partition}).
     */
    private INDArray partition(INDArray rows, long b, INDArray out, ArrayType work, LayerWorkspaceMgr mgr) {
        WindowAttention c = window();
        long h = c.getHeight();
        long w = c.getWidth();
        long hp = c.padded(h);
        long wp = c.padded(w);
        long ws = c.getWindowSize();
        long ch = rows.size(1);
        INDArray map = rows.reshape('c', b, h, w, ch);
        if (hp != h || wp != w) {
            INDArray padded = mgr.create(work, dataType, b, hp, wp, ch);
            padded.get(NDArrayIndex.all(), NDArrayIndex.interval(0, h), NDArrayIndex.interval(0, w),
                    NDArrayIndex.all()).assign(map);
            map = padded;
        }
        // [b, Hp/w, w, Wp/w, w, C] -> [b, Hp/w, Wp/w, w, w, C]
        out.reshape('c', b, hp / ws, wp / ws, ws, ws, ch)
                .assign(map.reshape('c', b, hp / ws, ws, wp / ws, ws, ch).permute(0, 1, 3, 2, 4, 5));
        return out;
    }

    /** The inverse of {@link #partition}: window rows back into the rows {@code out [b*H*W, C]}, the padding cut off. */
    private void merge(INDArray windowRows, long b, INDArray out, ArrayType work, LayerWorkspaceMgr mgr) {
        WindowAttention c = window();
        long h = c.getHeight();
        long w = c.getWidth();
        long hp = c.padded(h);
        long wp = c.padded(w);
        long ws = c.getWindowSize();
        long ch = windowRows.size(1);
        // [b, Hp/w, Wp/w, w, w, C] -> [b, Hp/w, w, Wp/w, w, C]
        INDArray windows = windowRows.reshape('c', b, hp / ws, wp / ws, ws, ws, ch).permute(0, 1, 3, 2, 4, 5);
        if (hp == h && wp == w) {
            out.reshape('c', b, hp / ws, ws, wp / ws, ws, ch).assign(windows);
            return;
        }
        INDArray padded = mgr.createUninitialized(work, dataType, b, hp, wp, ch);
        padded.reshape('c', b, hp / ws, ws, wp / ws, ws, ch).assign(windows);
        out.reshape('c', b, h, w, ch).assign(padded.get(NDArrayIndex.all(), NDArrayIndex.interval(0, h),
                NDArrayIndex.interval(0, w), NDArrayIndex.all()));
    }
}
