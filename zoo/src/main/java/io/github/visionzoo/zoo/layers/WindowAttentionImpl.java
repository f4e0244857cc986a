package io.github.visionzoo.zoo.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The running {@link WindowAttention}: the positions' rows {@code [b*H*W, C]} gathered into window rows
 * {@code [b*nW*w*w, C]} by one index map ({@link RowGather}; zero rows where the map is padded to whole windows), the attention of each window's
 * {@code w*w} tokens by {@link SelfAttentionPass} (as the ViT's and the Swin's), and the windows put back in place with
 * the padding cut off. The backward pass gathers the output's gradient the same way (the padded positions get none)
 * and puts the input's gradient back the same way.
 */
final class WindowAttentionImpl extends FeatureMapRowsImpl {
    private static final long serialVersionUID = 1L;

    private final SelfAttentionPass pass;
    private SelfAttentionPass.Saved saved;
    /** timm's pad and window partition, and back ({@link RowGather#windows}); built at the first pass. */
    private RowGather partition;

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
        INDArray rows = partition().gather(x, mgr.createUninitialized(keep, dataType, windows * ws * ws, x.size(1)),
                ArrayType.FF_WORKING_MEM, mgr);
        INDArray attended = mgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, rows.shape());
        SelfAttentionPass.Saved s = pass.forward(rows, parameters(), windows, ws * ws, c.getNumHeads(), null, null,
                attended, keep, mgr);
        partition().putBack(attended, out);
        saved = training ? s : null;
    }

    @Override
    protected void backwardRows(INDArray x, INDArray dOut, long b, INDArray dx, LayerWorkspaceMgr mgr) {
        WindowAttention c = window();
        long ws = c.getWindowSize();
        ArrayType work = ArrayType.BP_WORKING_MEM;
        INDArray dRows = partition().gather(dOut, mgr.createUninitialized(work, dataType, saved.input().shape()), work,
                mgr);
        long n = dRows.size(0);
        INDArray ones = mgr.createUninitialized(work, dataType, 1, n).assign(1);
        INDArray dxRows = mgr.createUninitialized(work, dataType, dRows.shape());
        pass.backward(dRows, saved, parameters(), gradients(), n / (ws * ws), ws * ws, c.getNumHeads(), ones, null,
                dxRows, mgr);
        partition().putBack(dxRows, dx);
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

    private RowGather partition() {
        if (partition == null) {
            WindowAttention c = window();
            partition = new RowGather(RowGather.windows(c.getHeight(), c.getWidth(), c.getWindowSize(), 0),
                    Math.toIntExact(c.getHeight() * c.getWidth()));
        }
        return partition;
    }
}
