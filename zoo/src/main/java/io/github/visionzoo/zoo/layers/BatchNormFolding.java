package io.github.visionzoo.zoo.layers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch normalization folded into the convolution before it, for inference, as PyTorch's
 * {@code torch.nn.utils.fusion.fuse_conv_bn_eval} (and {@code torch.fx}'s {@code fuse}) do it. In inference a batch
 * norm is the per-channel affine map {@code y = x * s + t} of its running statistics, {@code s = gamma /
 * sqrt(var + eps)}, {@code t = beta - mean * s}; after a convolution {@code x = W * in + b} it is the convolution with
 * weights {@code W * s} (each output channel's filter scaled) and bias {@code b * s + t}, followed by the batch norm's
 * activation, which the convolution then fuses. Each fold saves a pass over the activation and its memory.
 *
 * <p>Folded: a {@link BatchNorm} whose only input is a {@link Conv2d} (NCHW, identity activation, not a network
 * output) of which it is the only consumer and which has no input preprocessor. Layers wrapped for fine-tuning
 * ({@code FrozenLayer}) are left as they are.
 */
public final class BatchNormFolding {
    private BatchNormFolding() {
    }

    /**
     * An inference-only copy of {@code graph} with every batch norm that can be folded ({@link BatchNormFolding})
     * folded into its convolution, which keeps its name and takes the batch norm's consumers; every other vertex and
     * parameter is {@code graph}'s. {@code graph} itself where there is nothing to fold (VGG, the transformers).
     *
     * <p>Its outputs equal {@code graph}'s in inference up to float rounding. Its training passes do not: a training
     * batch norm normalizes by the batch's statistics, so train {@code graph}, not this copy. Its convolutions'
     * activations ({@code feedForward}) are the batch norms' outputs.
     */
    public static ComputationGraph fold(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        Map<String, String> convOfNorm = foldable(conf);
        if (convOfNorm.isEmpty()) {
            return graph;
        }
        Map<String, String> normOfConv = new LinkedHashMap<>();
        Map<String, List<String>> inputs = conf.getVertexInputs();
        convOfNorm.forEach((norm, conv) -> {
            normOfConv.put(conv, norm);
            Conv2d c = (Conv2d) layer(conf.getVertices().get(conv));
            c.setHasBias(true);
            c.setActivationFn(((BatchNorm) layer(conf.getVertices().get(norm))).getActivationFn());
            conf.getVertices().remove(norm);
            inputs.remove(norm);
            inputs.replaceAll((v, in) -> renamed(in, norm, conv));
            conf.setNetworkOutputs(renamed(conf.getNetworkOutputs(), norm, conv));
        });
        conf.setTopologicalOrder(null); // recomputed by init() from the vertices left
        conf.setTopologicalOrderStr(null);
        ComputationGraph folded = new ComputationGraph(conf);
        folded.init();
        for (Layer target : folded.getLayers()) {
            String name = target.conf().getLayer().getLayerName();
            Layer source = graph.getLayer(name);
            String norm = normOfConv.get(name);
            if (norm == null) {
                source.paramTable().forEach((key, value) -> target.getParam(key).assign(value));
            } else {
                foldInto(target, source, (BatchNorm.Impl) graph.getLayer(norm));
            }
        }
        return folded;
    }

    /** Batch norm vertex to convolution vertex, for every pair that folds. */
    private static Map<String, String> foldable(ComputationGraphConfiguration conf) {
        Map<String, Integer> consumers = new LinkedHashMap<>();
        conf.getVertexInputs().values().forEach(in -> in.forEach(v -> consumers.merge(v, 1, Integer::sum)));
        Map<String, String> pairs = new LinkedHashMap<>();
        conf.getVertexInputs().forEach((norm, in) -> {
            if (in.size() != 1 || !(layer(conf.getVertices().get(norm)) instanceof BatchNorm)) {
                return;
            }
            String conv = in.get(0);
            GraphVertex v = conf.getVertices().get(conv);
            if (layer(v) instanceof Conv2d c && c.getActivationFn() instanceof ActivationIdentity
                    && c.getCnn2dDataFormat() == CNN2DFormat.NCHW && consumers.get(conv) == 1
                    && !conf.getNetworkOutputs().contains(conv) && ((LayerVertex) v).getPreProcessor() == null
                    && ((LayerVertex) conf.getVertices().get(norm)).getPreProcessor() == null) {
                pairs.put(norm, conv);
            }
        });
        return pairs;
    }

    /** The layer of a layer vertex, else null. */
    private static org.deeplearning4j.nn.conf.layers.Layer layer(GraphVertex v) {
        return v instanceof LayerVertex lv ? lv.getLayerConf().getLayer() : null;
    }

    private static List<String> renamed(List<String> names, String from, String to) {
        List<String> out = new ArrayList<>(names);
        out.replaceAll(n -> n.equals(from) ? to : n);
        return out;
    }

    /** {@code target}'s weights {@code W * s} and bias {@code b * s + t} from convolution {@code source}. */
    private static void foldInto(Layer target, Layer source, BatchNorm.Impl norm) {
        double[][] scaleShift = norm.inferenceScaleShift();
        INDArray scale = Nd4j.createFromArray(scaleShift[0]).castTo(target.getParam(
                ConvolutionParamInitializer.WEIGHT_KEY).dataType());
        INDArray shift = Nd4j.createFromArray(scaleShift[1]).castTo(scale.dataType());
        INDArray w = source.getParam(ConvolutionParamInitializer.WEIGHT_KEY); // [oc, ic, kh, kw]
        long oc = w.size(0);
        // [oc, ic * kh * kw]: each output channel's filter a row, scaled by its channel's s
        INDArray scaled = w.dup('c').reshape('c', oc, w.length() / oc).muliColumnVector(scale.reshape(oc, 1));
        target.getParam(ConvolutionParamInitializer.WEIGHT_KEY).assign(scaled.reshape('c', w.shape()));
        INDArray bias = target.getParam(ConvolutionParamInitializer.BIAS_KEY);
        INDArray b = source.paramTable().containsKey(ConvolutionParamInitializer.BIAS_KEY)
                ? source.getParam(ConvolutionParamInitializer.BIAS_KEY).reshape(oc).mul(scale).addi(shift) : shift;
        bias.assign(b.reshape(bias.shape()));
    }
}
