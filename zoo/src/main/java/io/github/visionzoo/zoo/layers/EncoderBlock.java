package io.github.visionzoo.zoo.layers;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One pre-norm Transformer encoder block as a single layer, torchvision's ViT {@code EncoderBlock}, on a token
 * sequence {@code [b, T, D] -> [b, T, D]} (DL4J recurrent, {@code NWC}):
 *
 * <pre>
 *   x = x + Dropout(MHA(LN_1(x)))      (attention dropout inside MHA)
 *   x = x + MLP(LN_2(x))               (Linear, GELU, Dropout, Linear, Dropout)
 * </pre>
 *
 * The same computation as the separate SameDiff layers {@link LayerNorm}, {@link MultiHeadSelfAttention} and
 * {@link MlpBlock} with two residual additions
 * ({@link io.github.visionzoo.zoo.models.TransformerBlocks.Layout#SEPARATE}), written out by hand
 * ({@link EncoderBlockImpl}) with its backward pass, on ND4J's matrix products and element-wise ops. Why not SameDiff:
 * DL4J's SameDiff layers run the forward pass a second time inside backprop (their gradient session cannot reuse the
 * forward session's arrays), and SameDiff differentiates the layer norm and the biases through broadcast reductions
 * over the token axis, which libnd4j runs slowly; together these make the separate layers' training step far slower
 * than this block's (src/docs/PERFORMANCE.md). See {@link EncoderBlockImpl} for what this one keeps.
 *
 * <p>Parameter keys are torchvision's names inside the block with {@code _} written {@code -} ({@link TorchNamed}), so
 * vertex {@code encoder.layers.encoder_layer_0} holds, for instance, {@code self-attention.in-proj-weight}, that is
 * {@code encoder.layers.encoder_layer_0.self_attention.in_proj_weight}:
 * {@code ln-1.weight, ln-1.bias [D]}, {@code self-attention.in-proj-weight [3D, D]},
 * {@code self-attention.in-proj-bias [3D]}, {@code self-attention.out-proj.weight [D, D]},
 * {@code self-attention.out-proj.bias [D]}, {@code ln-2.weight, ln-2.bias [D]}, {@code mlp.0.weight [M, D]},
 * {@code mlp.0.bias [M]}, {@code mlp.3.weight [D, M]}, {@code mlp.3.bias [D]}. The four projection matrices are
 * weights (weight decay applies); the layer norms' scales and every bias are biases. Initialization as the separate
 * layers. DL4J's own dropout ({@code dropOut} on the layer) is not supported: the block has torchvision's four
 * dropout sites ({@code dropout}, {@code attentionDropout}).
 */
public class EncoderBlock extends BaseLayer implements TorchNamed {
    private static final long serialVersionUID = 1L;

    public static final String LN_1 = "ln-1.";
    public static final String ATTENTION = "self-attention.";
    public static final String LN_2 = "ln-2.";
    public static final String MLP = "mlp.";

    private int numHeads;
    private int mlpDim;
    private double dropout;
    private double attentionDropout;
    private double eps = TransformerOps.LAYER_NORM_EPS;
    private long hiddenDim;
    private long seqLength;

    /** For JSON. */
    public EncoderBlock() {
    }

    /**
     * @param numHeads         attention heads; they must divide the embedding size
     * @param mlpDim           the MLP's hidden width
     * @param dropout          torchvision's {@code dropout}: after the attention and twice in the MLP, in {@code [0, 1)}
     * @param attentionDropout on the attention probabilities, in {@code [0, 1)}
     * @param eps              the layer norms' epsilon, 1e-6 in torchvision's ViT
     */
    public EncoderBlock(int numHeads, int mlpDim, double dropout, double attentionDropout, double eps) {
        if (numHeads < 1) {
            throw new IllegalArgumentException("EncoderBlock.numHeads must be >= 1, was " + numHeads);
        }
        if (mlpDim < 1) {
            throw new IllegalArgumentException("EncoderBlock.mlpDim must be >= 1, was " + mlpDim);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("EncoderBlock.eps must be > 0, was " + eps);
        }
        this.numHeads = numHeads;
        this.mlpDim = mlpDim;
        this.dropout = ZooSameDiffLayer.checkRate("EncoderBlock.dropout", dropout);
        this.attentionDropout = ZooSameDiffLayer.checkRate("EncoderBlock.attentionDropout", attentionDropout);
        this.eps = eps;
    }

    /** The parameter shapes in the order of the flattened parameter vector: the weights, then the rest. */
    Map<String, long[]> paramShapes() {
        long d = hiddenDim;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put(ATTENTION + MultiHeadSelfAttention.IN_PROJ_WEIGHT, new long[] {3 * d, d});
        shapes.put(ATTENTION + MultiHeadSelfAttention.OUT_PROJ_WEIGHT, new long[] {d, d});
        shapes.put(MLP + MlpBlock.W0, new long[] {mlpDim, d});
        shapes.put(MLP + MlpBlock.W3, new long[] {d, mlpDim});
        shapes.put(LN_1 + "weight", new long[] {d});
        shapes.put(LN_1 + "bias", new long[] {d});
        shapes.put(ATTENTION + MultiHeadSelfAttention.IN_PROJ_BIAS, new long[] {3 * d});
        shapes.put(ATTENTION + MultiHeadSelfAttention.OUT_PROJ_BIAS, new long[] {d});
        shapes.put(LN_2 + "weight", new long[] {d});
        shapes.put(LN_2 + "bias", new long[] {d});
        shapes.put(MLP + MlpBlock.B0, new long[] {mlpDim});
        shapes.put(MLP + MlpBlock.B3, new long[] {d});
        return shapes;
    }

    private static final int WEIGHT_COUNT = 4;

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                      Collection<TrainingListener> trainingListeners,
                                                      int layerIndex, INDArray layerParamsView,
                                                      boolean initializeParams, DataType networkDataType) {
        if (getIDropout() != null) {
            throw new IllegalArgumentException("EncoderBlock '" + getLayerName() + "': DL4J's layer dropOut is not"
                    + " supported; use the block's dropout and attentionDropout");
        }
        return RuntimeLayers.wire(new EncoderBlockImpl(conf, networkDataType), conf, trainingListeners, layerIndex, layerParamsView,
                initializeParams);
    }

    @Override
    public ParamInitializer initializer() {
        return Params.INSTANCE;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeRecurrent r = ZooSameDiffLayer.requireTokens(this, inputType);
        return InputType.recurrent(r.getSize(), r.getTimeSeriesLength(), RNNFormat.NWC);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (hiddenDim == 0 || override) {
            InputType.InputTypeRecurrent r = ZooSameDiffLayer.requireTokens(this, inputType);
            if (r.getSize() % numHeads != 0) {
                throw new IllegalArgumentException("EncoderBlock '" + getLayerName() + "': numHeads " + numHeads
                        + " does not divide the embedding size " + r.getSize());
            }
            hiddenDim = r.getSize();
            seqLength = r.getTimeSeriesLength();
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return false;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        long t = getSeqLength();
        long d = getHiddenDim();
        long m = getMlpDim();
        long attention = (long) getNumHeads() * t * t;
        long params = initializer().numParams(this);
        long updaterState = getIUpdater() == null ? 0 : getIUpdater().stateSize(params);
        // per example, as EncoderBlockImpl allocates: training keeps both layer norms (normalized input, output and
        // 1/std), q/k/v, the attention probabilities (and their dropout mask), the context, the MLP's pre-activation
        // and gate and the dropout masks, and works in q/k/v rows, the heads, two [T, D] intermediates and the MLP's
        // output; inference allocates all of these in working memory, freed when the block is done
        long kept = 4 * t * d + 2 * t + 3 * t * d + attention + t * d + 2 * t * m;
        long inference = kept + 6 * t * d + t * m;
        long masks = (getAttentionDropout() > 0 ? attention : 0) + (getDropout() > 0 ? 2 * t * d + t * m : 0);
        long working = 3 * t * d + t * d + 2 * t * d + t * m;
        return new LayerMemoryReport.Builder(getLayerName(), EncoderBlock.class, inputType, inputType)
                .standardMemory(params, updaterState)
                .workingMemory(0, inference, 0, kept + masks + working)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    @Override
    public EncoderBlock clone() {
        return (EncoderBlock) super.clone();
    }

    /** The parameters: views of DL4J's flattened vector in {@link #paramShapes()} order, C order. */
    static final class Params implements ParamInitializer {
        static final Params INSTANCE = new Params();

        private static EncoderBlock block(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return (EncoderBlock) layer;
        }

        @Override
        public long numParams(NeuralNetConfiguration conf) {
            return numParams(conf.getLayer());
        }

        @Override
        public long numParams(org.deeplearning4j.nn.conf.layers.Layer layer) {
            long n = 0;
            for (long[] shape : block(layer).paramShapes().values()) {
                long size = 1;
                for (long s : shape) {
                    size *= s;
                }
                n += size;
            }
            return n;
        }

        @Override
        public List<String> paramKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return new ArrayList<>(block(layer).paramShapes().keySet());
        }

        @Override
        public List<String> weightKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return paramKeys(layer).subList(0, WEIGHT_COUNT);
        }

        @Override
        public List<String> biasKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            List<String> keys = paramKeys(layer);
            return keys.subList(WEIGHT_COUNT, keys.size());
        }

        @Override
        public boolean isWeightParam(org.deeplearning4j.nn.conf.layers.Layer layer, String key) {
            return weightKeys(layer).contains(key);
        }

        @Override
        public boolean isBiasParam(org.deeplearning4j.nn.conf.layers.Layer layer, String key) {
            return biasKeys(layer).contains(key);
        }

        @Override
        public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView,
                                          boolean initializeParams) {
            Map<String, INDArray> params = views(block(conf.getLayer()), paramsView);
            if (initializeParams) {
                for (String ln : new String[] {LN_1, LN_2}) {
                    params.get(ln + "weight").assign(1);
                    params.get(ln + "bias").assign(0);
                }
                MultiHeadSelfAttention.initialize(params, ATTENTION);
                MlpBlock.initialize(params, MLP);
            }
            params.keySet().forEach(conf::addVariable);
            return params;
        }

        @Override
        public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
            return views(block(conf.getLayer()), gradientView);
        }

        private static Map<String, INDArray> views(EncoderBlock block, INDArray flat) {
            INDArray vector = flat.reshape(flat.length());
            Map<String, INDArray> out = new LinkedHashMap<>();
            long offset = 0;
            for (Map.Entry<String, long[]> e : block.paramShapes().entrySet()) {
                long size = 1;
                for (long s : e.getValue()) {
                    size *= s;
                }
                out.put(e.getKey(), vector.get(NDArrayIndex.interval(offset, offset + size)).reshape('c', e.getValue()));
                offset += size;
            }
            return out;
        }
    }

    public int getNumHeads() {
        return numHeads;
    }

    public void setNumHeads(int numHeads) {
        this.numHeads = numHeads;
    }

    public int getMlpDim() {
        return mlpDim;
    }

    public void setMlpDim(int mlpDim) {
        this.mlpDim = mlpDim;
    }

    public double getDropout() {
        return dropout;
    }

    public void setDropout(double dropout) {
        this.dropout = dropout;
    }

    public double getAttentionDropout() {
        return attentionDropout;
    }

    public void setAttentionDropout(double attentionDropout) {
        this.attentionDropout = attentionDropout;
    }

    public double getEps() {
        return eps;
    }

    public void setEps(double eps) {
        this.eps = eps;
    }

    public long getHiddenDim() {
        return hiddenDim;
    }

    public void setHiddenDim(long hiddenDim) {
        this.hiddenDim = hiddenDim;
    }

    public long getSeqLength() {
        return seqLength;
    }

    public void setSeqLength(long seqLength) {
        this.seqLength = seqLength;
    }
}
