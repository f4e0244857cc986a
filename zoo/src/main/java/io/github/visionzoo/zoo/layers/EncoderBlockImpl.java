package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.GaussianCdf;
import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import java.util.Arrays;
import java.util.function.Function;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The running {@link EncoderBlock}: forward and backward passes written out on ND4J ops, with the token sequence as
 * one {@code [n = b*T, D]} matrix so that every projection is one 2-D matrix product (oneDNN), and the heads a batch
 * dimension of the two attention products, which read and write strided views of those matrices (no copies).
 *
 * <p>The training forward pass keeps what the backward pass needs, as PyTorch's autograd does, in DL4J's activations
 * workspace (which lives until backprop is done): both layer norms' normalized inputs, inverse deviations and outputs,
 * the query/key/value projections, the attention probabilities, the merged heads, the MLP's pre-activation and its GELU
 * gate {@code Phi(u)}, and the dropout masks. Nothing is computed twice except the GELU output {@code u Phi(u)}
 * (one multiplication). Bias gradients are column sums, done as a product with a ones row (libnd4j's reductions over
 * the first axis are slow). For float, the layer norms run forward and backward as one Java pass over the tokens each
 * ({@link LayerNormPass}; a token's features stay in cache for its sums, and the parameter gradients are summed per
 * worker), and GELU and its derivative as one pass each ({@link GaussianCdf}), where ND4J takes several passes each.
 * Doubles take ND4J's ops, which the gradient checks cover and a test compares the float path with.
 */
final class EncoderBlockImpl extends BaseLayer<EncoderBlock> {
    private static final long serialVersionUID = 1L;

    private static final String W_IN = EncoderBlock.ATTENTION + MultiHeadSelfAttention.IN_PROJ_WEIGHT;
    private static final String B_IN = EncoderBlock.ATTENTION + MultiHeadSelfAttention.IN_PROJ_BIAS;
    private static final String W_OUT = EncoderBlock.ATTENTION + MultiHeadSelfAttention.OUT_PROJ_WEIGHT;
    private static final String B_OUT = EncoderBlock.ATTENTION + MultiHeadSelfAttention.OUT_PROJ_BIAS;
    private static final String W0 = EncoderBlock.MLP + MlpBlock.W0;
    private static final String B0 = EncoderBlock.MLP + MlpBlock.B0;
    private static final String W3 = EncoderBlock.MLP + MlpBlock.W3;
    private static final String B3 = EncoderBlock.MLP + MlpBlock.B3;
    private static final String G1 = EncoderBlock.LN_1 + "weight";
    private static final String BETA1 = EncoderBlock.LN_1 + "bias";
    private static final String G2 = EncoderBlock.LN_2 + "weight";
    private static final String BETA2 = EncoderBlock.LN_2 + "bias";

    /** Inverted-dropout masks of one training pass; {@code null} where the rate is 0. */
    private record Masks(INDArray attention, INDArray dropout, INDArray mlp2, INDArray mlp4) {
    }

    /** What the training forward pass keeps for the backward pass. */
    private record Saved(INDArray input, LayerNormPass.Norm ln1, SelfAttentionPass.Saved attention,
                         LayerNormPass.Norm ln2, MlpPass.Saved mlp, Masks masks) {
    }

    private Saved saved;
    private final MatrixSums sums = Kernels.matrixSums();
    private final SelfAttentionPass attention;
    private final LayerNormPass norms;
    private final MlpPass mlp;

    EncoderBlockImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        attention = new SelfAttentionPass(sums, dataType);
        norms = new LayerNormPass(sums, dataType);
        mlp = new MlpPass(sums, dataType);
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public void clearNoiseWeightParams() {
    }

    /** The flattened vector holds the parameters in C order ({@link EncoderBlock.Params}), not DL4J's usual F. */
    @Override
    public void setParams(INDArray params) {
        if (params != paramsFlattened) {
            setParams(params, 'c');
        }
    }

    @Override
    public void clear() {
        super.clear();
        saved = null;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        EncoderBlock c = layerConf();
        long t = c.getSeqLength();
        long d = c.getHiddenDim();
        if (input.rank() != 3 || input.size(1) != t || input.size(2) != d) {
            throw new IllegalArgumentException("EncoderBlock '" + c.getLayerName() + "' expects tokens [b, " + t + ", "
                    + d + "], got " + Arrays.toString(input.shape()));
        }
        long b = input.size(0);
        long n = b * t;
        long heads = c.getNumHeads();
        long m = c.getMlpDim();
        // what the backward pass reads lives in the activations workspace, the rest in working memory
        ArrayType keep = training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM;
        ArrayType work = ArrayType.FF_WORKING_MEM;
        Masks masks = training ? newMasks(c, b, mgr) : new Masks(null, null, null, null);

        INDArray x = RuntimeLayers.contiguous(input, dataType, work, mgr).reshape('c', n, d);
        LayerNormPass.Norm ln1 = norms.forward(x, getParam(G1), getParam(BETA1), c.getEps(), training, keep, mgr);
        INDArray x2 = mgr.createUninitialized(work, dataType, n, d);
        SelfAttentionPass.Saved attended = attention.forward(ln1.out(), projections(this::getParam), b, t, heads,
                null, masks.attention(), x2, keep, mgr);
        dropout(x2, masks.dropout());
        x2.addi(x);

        LayerNormPass.Norm ln2 = norms.forward(x2, getParam(G2), getParam(BETA2), c.getEps(), training, keep, mgr);
        INDArray y = mgr.createUninitialized(work, dataType, n, d);
        MlpPass.Saved mlpSaved = mlp.forward(ln2.out(), mlpWeights(this::getParam), m, masks.mlp2(), masks.mlp4(),
                training, y, keep, mgr);

        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {b, t, d}, 'c');
        Nd4j.exec(new AddOp(x2, y, out.reshape('c', n, d)));
        saved = training ? new Saved(input, ln1, attended, ln2, mlpSaved, masks) : null;
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        if (saved == null || saved.input() != input) {
            activate(true, mgr); // backprop without the training forward pass that it needs
        }
        Saved s = saved;
        EncoderBlock c = layerConf();
        long t = c.getSeqLength();
        long d = c.getHiddenDim();
        long b = input.size(0);
        long n = b * t;
        long m = c.getMlpDim();
        ArrayType work = ArrayType.BP_WORKING_MEM;
        Masks masks = s.masks();
        INDArray ones = mgr.createUninitialized(work, dataType, 1, n).assign(1);

        INDArray dOut = RuntimeLayers.contiguous(epsilon, dataType, work, mgr).reshape('c', n, d);
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, new long[] {b, t, d}, 'c');
        INDArray dxRows = dx.reshape('c', n, d);
        dxRows.assign(dOut);

        INDArray dh2 = mgr.createUninitialized(work, dataType, n, d);
        mlp.backward(dOut, s.mlp(), mlpWeights(this::getParam), mlpWeights(this::grad), ones, dh2, mgr);
        norms.backward(dh2, s.ln2(), getParam(G2), grad(G2), grad(BETA2), ones, dxRows, mgr);

        // attention: dxRows is now the gradient of x2 = x + dropout(attention)
        INDArray dAttn = masks.dropout() == null ? dxRows : dxRows.mul(masks.dropout());
        INDArray dh1 = mgr.createUninitialized(work, dataType, n, d);
        attention.backward(dAttn, s.attention(), projections(this::getParam), projections(this::grad), b, t,
                c.getNumHeads(), ones, null, dh1, mgr);
        norms.backward(dh1, s.ln1(), getParam(G1), grad(G1), grad(BETA1), ones, dxRows, mgr);

        Gradient g = new DefaultGradient(gradientsFlattened);
        for (String key : paramTable().keySet()) {
            g.setGradientFor(key, gradientViews.get(key));
        }
        saved = null;
        return new Pair<>(g, dx);
    }

    private INDArray grad(String key) {
        return gradientViews.get(key);
    }

    /** The attention's parameters, or their gradients, by key. */
    private static SelfAttentionPass.Projections projections(Function<String, INDArray> byKey) {
        return new SelfAttentionPass.Projections(byKey.apply(W_IN), byKey.apply(B_IN), byKey.apply(W_OUT),
                byKey.apply(B_OUT));
    }

    /** The MLP's parameters, or their gradients, by key. */
    private static MlpPass.Weights mlpWeights(Function<String, INDArray> byKey) {
        return new MlpPass.Weights(byKey.apply(W0), byKey.apply(B0), byKey.apply(W3), byKey.apply(B3));
    }

    private static void dropout(INDArray x, INDArray mask) {
        if (mask != null) {
            x.muli(mask);
        }
    }

    /** Fresh inverted-dropout masks for the sites with a rate above 0 (PyTorch's {@code Dropout}). */
    private Masks newMasks(EncoderBlock c, long b, LayerWorkspaceMgr mgr) {
        long t = c.getSeqLength();
        long n = b * t;
        return new Masks(mask(c.getAttentionDropout(), mgr, b, c.getNumHeads(), t, t),
                mask(c.getDropout(), mgr, n, c.getHiddenDim()),
                mask(c.getDropout(), mgr, n, c.getMlpDim()),
                mask(c.getDropout(), mgr, n, c.getHiddenDim()));
    }

    private INDArray mask(double rate, LayerWorkspaceMgr mgr, long... shape) {
        return SelfAttentionPass.dropoutMask(rate, dataType, mgr, shape);
    }
}
