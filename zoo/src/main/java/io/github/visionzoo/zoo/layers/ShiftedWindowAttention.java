package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.init.TorchInit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Window multi-head self-attention with a relative position bias, plain (W-MSA) or on cyclically shifted windows
 * (SW-MSA): Liu et al., "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows", ICCV 2021
 * (arXiv:2103.14030), as torchvision's {@code ShiftedWindowAttention} and {@code shifted_window_attention}, on the
 * tokens of a square {@code s x s} feature map, row by row: {@code [b, s*s, C] -> [b, s*s, C]} (DL4J recurrent,
 * {@code NWC}).
 *
 * <p>As torchvision: the map is padded with zeros on the bottom and right to a multiple of the window size {@code w}
 * (padded tokens take part in the attention, unmasked), rolled by {@code -shift} on both axes (no shift where the
 * window covers the padded map), and cut into {@code nW} windows of {@code N = w*w} tokens; each window attends within
 * itself, heads {@code h}, scores {@code q k^T / sqrt(C/h)} plus the bias {@code table[index]} ({@code [h, N, N]}, the
 * table indexed by the relative offset of the two tokens) plus, for a shifted map, -100 between tokens that come from
 * different regions of the unrolled map; the windows are then put back, rolled back and cropped.
 *
 * <p>The partition is a reshape and a permute (one copy each way), the roll two slices and a concatenation per axis,
 * only in shifted blocks, the padding only where the map is not a multiple of the window. A gather with a fixed
 * index map would do padding, roll and partition in one copy, but SameDiff's gather has no working gradient along
 * an axis other than 0 in DL4J 1.0.0-M2.1. The attention is {@link TransformerOps#selfAttention} over the
 * {@code b*nW} windows, the bias and mask one broadcast addition to the scores.
 *
 * <p>Parameters, torchvision's names and shapes: {@code qkv.weight [3C, C]}, {@code qkv.bias [3C]},
 * {@code proj.weight [C, C]}, {@code proj.bias [C]}, {@code relative-position-bias-table [(2w-1)^2, h]}
 * ({@code relative_position_bias_table}). torchvision's buffer {@code relative_position_index} is
 * {@link #relativePositionIndex(int)}, a function of {@code w}. Initialization as torchvision's
 * {@code SwinTransformer}: weights and the table normal with std 0.02 ({@code trunc_normal_(std=0.02)}, whose cut at
 * +-2 lies 100 standard deviations out), biases 0.
 */
public class ShiftedWindowAttention extends ZooSameDiffLayer implements TorchNamed {
    private static final long serialVersionUID = 1L;

    public static final String QKV_WEIGHT = "qkv.weight";
    public static final String QKV_BIAS = "qkv.bias";
    public static final String PROJ_WEIGHT = "proj.weight";
    public static final String PROJ_BIAS = "proj.bias";
    public static final String BIAS_TABLE = "relative-position-bias-table";
    /** torchvision's buffer name, after the vertex name. */
    public static final String INDEX_BUFFER = "relative_position_index";
    /** The score between tokens of different regions of a shifted map, torchvision's. */
    static final double MASKED = -100.0;

    private int numHeads;
    private int windowSize;
    private int shiftSize;
    private double attentionDropout;
    private double dropout;
    private long dim;
    private long side;

    /** For JSON. */
    public ShiftedWindowAttention() {
    }

    /**
     * @param numHeads         heads; they must divide the embedding size
     * @param windowSize       the side {@code w} of the square windows
     * @param shiftSize        the cyclic shift, {@code 0} for W-MSA, {@code w/2} in torchvision's odd blocks
     * @param attentionDropout probability of dropping an attention weight, in {@code [0, 1)}
     * @param dropout          probability of dropping an output unit, in {@code [0, 1)}
     */
    public ShiftedWindowAttention(int numHeads, int windowSize, int shiftSize, double attentionDropout,
                                  double dropout) {
        if (numHeads < 1) {
            throw new IllegalArgumentException("ShiftedWindowAttention.numHeads must be >= 1, was " + numHeads);
        }
        if (windowSize < 1) {
            throw new IllegalArgumentException("ShiftedWindowAttention.windowSize must be >= 1, was " + windowSize);
        }
        if (shiftSize < 0 || shiftSize >= windowSize) {
            throw new IllegalArgumentException("ShiftedWindowAttention.shiftSize must be in [0, windowSize "
                    + windowSize + "), was " + shiftSize);
        }
        this.numHeads = numHeads;
        this.windowSize = windowSize;
        this.shiftSize = shiftSize;
        this.attentionDropout = checkRate("ShiftedWindowAttention.attentionDropout", attentionDropout);
        this.dropout = checkRate("ShiftedWindowAttention.dropout", dropout);
    }

    /**
     * Where the windows of a square {@code side x side} map lie: padded side, the shift in effect, window count.
     *
     * @param side   the map's side
     * @param window the window's side
     * @param shift  the shift asked for; 0 in effect where the window covers the padded map, as torchvision
     */
    record Windows(long side, int window, int shift) {
        long padded() {
            return (side + window - 1) / window * window;
        }

        int effectiveShift() {
            return window >= padded() ? 0 : shift;
        }

        long perSide() {
            return padded() / window;
        }

        long count() {
            return perSide() * perSide();
        }

        long tokensPerWindow() {
            return (long) window * window;
        }

        /**
         * torchvision's attention mask, {@code [nW, N, N]}: 0 between tokens of one region of the rolled map, -100
         * between regions (rows {@code [0, p-w)}, {@code [p-w, p-shift)}, {@code [p-shift, p)}, the same for
         * columns); null without a shift.
         */
        double[][][] mask() {
            int s = effectiveShift();
            if (s == 0) {
                return null;
            }
            long p = padded();
            int n = (int) tokensPerWindow();
            double[][][] mask = new double[(int) count()][n][n];
            int[] region = new int[n];
            for (long wy = 0; wy < perSide(); wy++) {
                for (long wx = 0; wx < perSide(); wx++) {
                    for (int r = 0; r < window; r++) {
                        for (int c = 0; c < window; c++) {
                            region[r * window + c] = 3 * band(wy * window + r, p, s) + band(wx * window + c, p, s);
                        }
                    }
                    double[][] m = mask[(int) (wy * perSide() + wx)];
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            m[i][j] = region[i] == region[j] ? 0.0 : MASKED;
                        }
                    }
                }
            }
            return mask;
        }

        private int band(long y, long p, int s) {
            return y < p - window ? 0 : y < p - s ? 1 : 2;
        }
    }

    /**
     * torchvision's {@code relative_position_index} for a {@code w x w} window, flattened ({@code [N*N]}): the row of
     * the bias table for query token {@code i} and key token {@code j},
     * {@code (dy + w - 1) * (2w - 1) + (dx + w - 1)} for their offset {@code (dy, dx)}.
     */
    public static long[] relativePositionIndex(int window) {
        int n = window * window;
        long[] index = new long[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int dy = i / window - j / window;
                int dx = i % window - j % window;
                index[i * n + j] = (long) (dy + window - 1) * (2 * window - 1) + dx + window - 1;
            }
        }
        return index;
    }

    Windows windows() {
        return new Windows(side, windowSize, shiftSize);
    }

    @Override
    public List<DropoutSite> dropoutSites() {
        Windows w = windows();
        long n = w.tokensPerWindow();
        List<DropoutSite> sites = new ArrayList<>();
        if (attentionDropout > 0) {
            sites.add(new DropoutSite("attention", attentionDropout, new long[] {w.count(), numHeads, n, n}));
        }
        if (dropout > 0) {
            sites.add(new DropoutSite("dropout", dropout, new long[] {w.count() * n, dim}));
        }
        return sites;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        Windows w = windows();
        long n = w.tokensPerWindow();
        long count = w.count();
        long p = w.padded();
        long per = w.perSide();
        int shift = w.effectiveShift();
        // [b, s*s, C] -> [b, s, s, C] -> [b, p, p, C], padded with zeros at the bottom and right
        SDVariable x = input.reshape(-1, side, side, dim);
        if (p > side) {
            x = sd.nn.pad(x, sd.constant("pad", Nd4j.createFromArray(
                    new int[][] {{0, 0}, {0, (int) (p - side)}, {0, (int) (p - side)}, {0, 0}})), 0.0);
        }
        x = roll(x, shift, p);
        // [b, p, p, C] -> [b, p/w, w, p/w, w, C] -> [b, p/w, p/w, w, w, C] -> [b*nW*N, C]
        x = x.reshape(-1, per, windowSize, per, windowSize, dim).permute(0, 1, 3, 2, 4, 5).reshape(-1, dim);
        SDVariable bias = relativePositionBias(sd, params.get(BIAS_TABLE), input.dataType());
        SDVariable out = TransformerOps.selfAttention(sd, x, n, dim, numHeads, params.get(QKV_WEIGHT),
                params.get(QKV_BIAS), params.get(PROJ_WEIGHT), params.get(PROJ_BIAS),
                scores -> scores.reshape(-1, count, numHeads, n, n).add(bias).reshape(-1, numHeads, n, n),
                probs -> dropout(sd, probs, "attention", -1, numHeads, n, n));
        out = dropout(sd, out, "dropout", -1, dim);
        // [b*nW*N, C] -> [b, p/w, p/w, w, w, C] -> [b, p/w, w, p/w, w, C] -> [b, p, p, C]
        SDVariable y = out.reshape(-1, per, per, windowSize, windowSize, dim).permute(0, 1, 3, 2, 4, 5)
                .reshape(-1, p, p, dim);
        y = roll(y, p - shift, p);
        if (p > side) {
            y = y.get(SDIndex.all(), SDIndex.interval(0L, side), SDIndex.interval(0L, side), SDIndex.all());
        }
        return y.reshape(-1, side * side, dim);
    }

    /** {@code torch.roll(x, -shift, dims=(1, 2))} on {@code [b, p, p, C]}: two slices and a concatenation per axis. */
    private static SDVariable roll(SDVariable x, long shift, long p) {
        if (shift % p == 0) {
            return x;
        }
        SDVariable rows = x.getSameDiff().concat(1,
                x.get(SDIndex.all(), SDIndex.interval(shift, p), SDIndex.all(), SDIndex.all()),
                x.get(SDIndex.all(), SDIndex.interval(0L, shift), SDIndex.all(), SDIndex.all()));
        return x.getSameDiff().concat(2,
                rows.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(shift, p), SDIndex.all()),
                rows.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0L, shift), SDIndex.all()));
    }

    /**
     * {@code table[index]} as {@code [1, 1, h, N, N]}, plus the shifted windows' mask {@code [1, nW, 1, N, N]}. The
     * lookup is a product with a fixed one-hot {@code [N*N, (2w-1)^2]} matrix, whose gradient is the transposed
     * product (SameDiff's gather has no usable gradient in 1.0.0-M2.1).
     */
    private SDVariable relativePositionBias(SameDiff sd, SDVariable table, DataType type) {
        Windows w = windows();
        long n = w.tokensPerWindow();
        long[] index = relativePositionIndex(windowSize);
        long rows = (2L * windowSize - 1) * (2L * windowSize - 1);
        INDArray oneHot = Nd4j.zeros(type, index.length, rows);
        for (int i = 0; i < index.length; i++) {
            oneHot.putScalar(i, index[i], 1.0);
        }
        // [N*N, (2w-1)^2] x [(2w-1)^2, h] -> [N*N, h] -> [h, N*N] -> [1, 1, h, N, N]
        SDVariable bias = sd.mmul(sd.constant("relative_position_one_hot", oneHot), table).permute(1, 0)
                .reshape(1, 1, numHeads, n, n);
        double[][][] mask = w.mask();
        if (mask == null) {
            return bias;
        }
        INDArray m = Nd4j.create(mask).castTo(type).reshape(1, w.count(), 1, n, n);
        return bias.add(sd.constant("shift_mask", m));
    }

    /** The running layer is written out ({@link ShiftedWindowAttentionImpl}); {@link #defineLayer} is its reference. */
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new ShiftedWindowAttentionImpl(conf, networkDataType), conf, trainingListeners,
                layerIndex, layerParamsView, initializeParams);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(QKV_WEIGHT, 3 * dim, dim);
        params.addWeightParam(PROJ_WEIGHT, dim, dim);
        params.addBiasParam(QKV_BIAS, 3 * dim);
        params.addBiasParam(PROJ_BIAS, dim);
        params.addBiasParam(BIAS_TABLE, (2L * windowSize - 1) * (2L * windowSize - 1), numHeads);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        TorchInit std002 = TorchInit.normal(0.02);
        for (String key : new String[] {QKV_WEIGHT, PROJ_WEIGHT, BIAS_TABLE}) {
            std002.fill(params.get(key), 1, 1);
        }
        params.get(QKV_BIAS).assign(0);
        params.get(PROJ_BIAS).assign(0);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return sameTokens(inputType);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (dim == 0 || override) {
            InputType.InputTypeRecurrent r = requireTokens(inputType);
            if (r.getSize() % numHeads != 0) {
                throw new IllegalArgumentException("ShiftedWindowAttention '" + getLayerName() + "': numHeads "
                        + numHeads + " does not divide the embedding size " + r.getSize());
            }
            dim = r.getSize();
            side = squareSide(this, r.getTimeSeriesLength());
            refreshParameters();
        }
    }

    /** The side of a square map of {@code tokens} tokens; else an exception naming the layer. */
    static long squareSide(org.deeplearning4j.nn.conf.layers.Layer layer, long tokens) {
        long s = Math.round(Math.sqrt(tokens));
        if (s * s != tokens) {
            throw new IllegalArgumentException(layer.getClass().getSimpleName() + " '" + layer.getLayerName()
                    + "' needs the tokens of a square feature map, got " + tokens + " tokens");
        }
        return s;
    }

    public int getNumHeads() {
        return numHeads;
    }

    public void setNumHeads(int numHeads) {
        this.numHeads = numHeads;
    }

    public int getWindowSize() {
        return windowSize;
    }

    public void setWindowSize(int windowSize) {
        this.windowSize = windowSize;
    }

    public int getShiftSize() {
        return shiftSize;
    }

    public void setShiftSize(int shiftSize) {
        this.shiftSize = shiftSize;
    }

    public double getAttentionDropout() {
        return attentionDropout;
    }

    public void setAttentionDropout(double attentionDropout) {
        this.attentionDropout = attentionDropout;
    }

    public double getDropout() {
        return dropout;
    }

    public void setDropout(double dropout) {
        this.dropout = dropout;
    }

    public long getDim() {
        return dim;
    }

    public void setDim(long dim) {
        this.dim = dim;
    }

    public long getSide() {
        return side;
    }

    public void setSide(long side) {
        this.side = side;
    }
}
