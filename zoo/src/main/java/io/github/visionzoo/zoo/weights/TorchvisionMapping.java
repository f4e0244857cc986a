package io.github.visionzoo.zoo.weights;

import io.github.visionzoo.zoo.layers.Conv2d;
import io.github.visionzoo.zoo.layers.Linear;
import io.github.visionzoo.zoo.layers.PatchEmbedding;
import io.github.visionzoo.zoo.layers.ShiftedWindowAttention;
import io.github.visionzoo.zoo.layers.TorchNamed;
import java.util.function.UnaryOperator;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;

/**
 * The one mapping of every visionzoo family: vertices carry torchvision's module names ({@code features.0},
 * {@code layer1.0.downsample.1}, {@code classifier.6}, {@code fc}, {@code encoder.layers.encoder_layer_0}), so a
 * parameter's state-dict name is {@code VERTEX.SUFFIX} with the suffix and layout given by the layer type:
 *
 * <table>
 * <caption>torchvision tensor to DL4J parameter</caption>
 * <tr><th>layer</th><th>state dict</th><th>DL4J</th><th>layout</th></tr>
 * <tr><td>Conv2d</td><td>{@code weight [out, in, kH, kW]}, {@code bias [out]}</td><td>{@code W}, {@code b [1, out]}
 *     </td><td>same; vector</td></tr>
 * <tr><td>Linear</td><td>{@code weight [out, in]}, {@code bias [out]}</td><td>{@code W [in, out]},
 *     {@code b [1, out]}</td><td>transposed; vector</td></tr>
 * <tr><td>BatchNorm2d</td><td>{@code weight}, {@code bias}, {@code running_mean}, {@code running_var} {@code [c]};
 *     {@code num_batches_tracked} (ignored)</td><td>{@code gamma}, {@code beta}, {@code mean},
 *     {@code log10stdev} {@code [1, c]}</td><td>vector; {@code log10(sqrt(var))}</td></tr>
 * <tr><td>visionzoo's {@link TorchNamed} layers (the ViT's)</td><td>PyTorch's own names and shapes, from
 *     {@link TorchNamed#torchKey}</td><td>the same tensors ({@code _} written {@code -} in keys)</td><td>same; the
 *     position embedding is resized to the model's patch grid when the file's differs</td></tr>
 * </table>
 *
 * <p>ReLU, dropout, pooling, {@code AdaptiveAvgPool2d} and LRN have no parameters, so the indices that torchvision
 * gives them and that are not vertices here need no mapping. A layer with parameters of any other type is an error
 * rather than silently left out.
 */
public final class TorchvisionMapping implements WeightMapping {
    private static final String NUM_BATCHES_TRACKED = ".num_batches_tracked";
    private static final String RELATIVE_POSITION_INDEX = "." + ShiftedWindowAttention.INDEX_BUFFER;
    private final String head;
    private final UnaryOperator<String> fileNames;

    /** @param head the classifier vertex ({@code fc}, {@code classifier.6}) */
    public TorchvisionMapping(String head) {
        this(head, UnaryOperator.identity());
    }

    /**
     * @param head      the classifier vertex ({@code heads.head})
     * @param fileNames renames another library's tensor names to torchvision's (timm's ViT names, say)
     */
    public TorchvisionMapping(String head, UnaryOperator<String> fileNames) {
        this.head = head;
        this.fileNames = fileNames;
    }

    @Override
    public StateDict canonical(StateDict file) {
        return file.renamed(fileNames);
    }

    @Override
    public String head() {
        return head;
    }

    @Override
    public List<Binding> bindings(ComputationGraph graph) {
        List<Binding> out = new ArrayList<>();
        for (Map.Entry<String, GraphVertex> e : graph.getConfiguration().getVertices().entrySet()) {
            if (!(e.getValue() instanceof LayerVertex lv)) {
                continue;
            }
            String v = e.getKey();
            Layer layer = graph.getLayer(v);
            boolean isHead = v.equals(head);
            List<Binding> mine = new ArrayList<>();
            var conf = lv.getLayerConf().getLayer();
            if (conf instanceof TorchNamed named) {
                for (String param : layer.paramTable().keySet()) {
                    String key = named.torchKey(v, param);
                    mine.add(new Binding(key, v, param, key.equals(PatchEmbedding.POSITION_EMBEDDING_KEY)
                            ? Layout.POSITION_EMBEDDING : Layout.SAME, isHead));
                }
            } else if (conf.getClass() == ConvolutionLayer.class || conf.getClass() == Conv2d.class) {
                mine.add(new Binding(v + ".weight", v, DefaultParamInitializer.WEIGHT_KEY, Layout.SAME, isHead));
                mine.add(new Binding(v + ".bias", v, DefaultParamInitializer.BIAS_KEY, Layout.VECTOR, isHead));
            } else if (conf.getClass() == DenseLayer.class || conf.getClass() == Linear.class
                    || conf.getClass() == OutputLayer.class) {
                mine.add(new Binding(v + ".weight", v, DefaultParamInitializer.WEIGHT_KEY, Layout.TRANSPOSE, isHead));
                mine.add(new Binding(v + ".bias", v, DefaultParamInitializer.BIAS_KEY, Layout.VECTOR, isHead));
            } else if (conf instanceof BatchNormalization) {
                mine.add(new Binding(v + ".weight", v, BatchNormalizationParamInitializer.GAMMA, Layout.VECTOR, isHead));
                mine.add(new Binding(v + ".bias", v, BatchNormalizationParamInitializer.BETA, Layout.VECTOR, isHead));
                mine.add(new Binding(v + ".running_mean", v, BatchNormalizationParamInitializer.GLOBAL_MEAN,
                        Layout.VECTOR, isHead));
                mine.add(new Binding(v + ".running_var", v, BatchNormalizationParamInitializer.GLOBAL_LOG_STD,
                        Layout.LOG10_STD, isHead));
                mine.add(new Binding(v + ".running_var", v, BatchNormalizationParamInitializer.GLOBAL_VAR,
                        Layout.VECTOR, isHead));
            }
            // keep what the layer has (no bias, variance stored plainly), and demand that nothing is left over
            Set<String> params = new HashSet<>(layer.paramTable().keySet());
            mine.removeIf(b -> !params.contains(b.param()));
            mine.forEach(b -> params.remove(b.param()));
            if (!params.isEmpty()) {
                throw new IllegalArgumentException("layer '" + v + "' (" + conf.getClass().getSimpleName()
                        + ") has parameters " + params + " that the torchvision CNN mapping does not know");
            }
            out.addAll(mine);
        }
        return out;
    }

    @Override
    public boolean ignored(String key) {
        return key.endsWith(NUM_BATCHES_TRACKED) || key.endsWith(RELATIVE_POSITION_INDEX);
    }

    /**
     * The buffers of torchvision's state dicts: {@code VERTEX.num_batches_tracked = 0} (int64) for every batch norm,
     * {@code VERTEX.relative_position_index} (int64) for every Swin window attention.
     */
    @Override
    public Map<String, StoredTensor> exportExtras(ComputationGraph graph) {
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        graph.getConfiguration().getVertices().forEach((name, vertex) -> {
            if (!(vertex instanceof LayerVertex lv)) {
                return;
            }
            if (lv.getLayerConf().getLayer() instanceof BatchNormalization) {
                out.put(name + NUM_BATCHES_TRACKED, StoredTensor.ofLong(0));
            } else if (lv.getLayerConf().getLayer() instanceof ShiftedWindowAttention a) {
                long[] index = ShiftedWindowAttention.relativePositionIndex(a.getWindowSize());
                out.put(name + RELATIVE_POSITION_INDEX, StoredTensor.ofLongs(index, index.length));
            }
        });
        return out;
    }

    @Override
    public String toString() {
        return "TorchvisionMapping(head " + head + ")";
    }
}
