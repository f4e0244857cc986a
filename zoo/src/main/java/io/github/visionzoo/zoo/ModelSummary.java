package io.github.visionzoo.zoo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import io.github.visionzoo.zoo.models.Blocks;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;

/**
 * A model summary in the style of torchsummary, computed from the configuration alone (nothing is allocated, so a
 * summary of ViT-L costs no memory): one row per vertex with its type, output shape and parameter count, then the
 * totals, the sizes in MB for one image in float32, and the forward FLOPs per image ({@link ModelFlops}).
 *
 * <p>Parameters are counted as PyTorch counts {@code model.parameters()}: batch norm's running mean and variance,
 * which DL4J stores among a layer's parameters, are buffers, not parameters, and are left out. Layers frozen for
 * fine-tuning count as non-trainable.
 */
public final class ModelSummary {
    /** One vertex: its name, type, output shape (batch dimension {@code -1}) and parameters. */
    public record Row(String name, String type, long[] outputShape, long params, boolean trainable) {
    }

    private final List<Row> rows;
    private final long[] inputShape;
    private final ModelFlops flops;

    private ModelSummary(List<Row> rows, long[] inputShape, ModelFlops flops) {
        this.rows = List.copyOf(rows);
        this.inputShape = inputShape;
        this.flops = flops;
    }

    /** The summary of a registered model. */
    public static ModelSummary of(String name, int numClasses) {
        return of(Zoo.spec(name), numClasses);
    }

    public static ModelSummary of(ModelSpec spec, int numClasses) {
        int s = spec.imageSize();
        return of(spec.configuration(numClasses), InputType.convolutional(s, s, 3));
    }

    /** The summary of any graph configuration with one input of the given type. */
    public static ModelSummary of(ComputationGraphConfiguration conf, InputType input) {
        Map<String, InputType> types = conf.getLayerActivationTypes(input);
        List<Row> rows = new ArrayList<>();
        for (String name : Blocks.vertexOrder(conf)) {
            GraphVertex vertex = conf.getVertices().get(name);
            long params = 0;
            boolean trainable = true;
            String type = vertex.getClass().getSimpleName();
            if (vertex instanceof LayerVertex lv) {
                Layer layer = lv.getLayerConf().getLayer();
                if (layer instanceof FrozenLayer f) {
                    layer = f.getLayer();
                    trainable = false;
                } else if (layer instanceof FrozenLayerWithBackprop f) {
                    layer = f.getUnderlying();
                    trainable = false;
                }
                type = layer.getClass().getSimpleName();
                params = torchParameterCount(layer);
            }
            rows.add(new Row(name, type, shapeOf(types.get(name)), params, trainable));
        }
        return new ModelSummary(rows, shapeOf(input), ModelFlops.of(conf, input));
    }

    private static long torchParameterCount(Layer layer) {
        long n = layer.initializer().numParams(layer);
        if (layer instanceof BatchNormalization bn) {
            n -= 2 * bn.getNOut(); // running mean and variance are buffers in PyTorch
        }
        return n;
    }

    private static long[] shapeOf(InputType t) {
        if (t == null) {
            return new long[0];
        }
        long[] shape = t.getShape(true);
        shape[0] = -1;
        return shape;
    }

    public List<Row> rows() {
        return rows;
    }

    /** Forward FLOPs for one image ({@link ModelFlops}). */
    public ModelFlops flops() {
        return flops;
    }

    public long totalParams() {
        return rows.stream().mapToLong(Row::params).sum();
    }

    public long trainableParams() {
        return rows.stream().filter(Row::trainable).mapToLong(Row::params).sum();
    }

    public long nonTrainableParams() {
        return totalParams() - trainableParams();
    }

    /** Megabytes of one float32 input image. */
    public double inputSizeMb() {
        return mb(product(inputShape));
    }

    /** Megabytes of activations kept for one image's forward and backward pass (twice the outputs, as torchsummary). */
    public double forwardBackwardSizeMb() {
        return mb(2 * rows.stream().mapToLong(r -> product(r.outputShape())).sum());
    }

    public double paramsSizeMb() {
        return mb(totalParams());
    }

    private static long product(long[] shape) {
        long p = 1;
        for (int i = 1; i < shape.length; i++) {
            p *= shape[i];
        }
        return shape.length == 0 ? 0 : p;
    }

    private static double mb(long floats) {
        return floats * 4.0 / (1024 * 1024);
    }

    /** The table, torchsummary's layout. */
    @Override
    public String toString() {
        int nameWidth = Math.max(24, rows.stream().mapToInt(r -> r.name().length()).max().orElse(0) + 2);
        int typeWidth = Math.max(20, rows.stream().mapToInt(r -> r.type().length()).max().orElse(0) + 2);
        String rowFormat = "%-" + nameWidth + "s%-" + typeWidth + "s%24s%15s%n";
        int width = nameWidth + typeWidth + 24 + 15;
        String rule = "-".repeat(width) + System.lineSeparator();
        StringBuilder sb = new StringBuilder(rule);
        sb.append(String.format(Locale.ROOT, rowFormat, "Layer (name)", "Type", "Output Shape", "Param #"));
        sb.append("=".repeat(width)).append(System.lineSeparator());
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, rowFormat, r.name(), r.type(), Arrays.toString(r.outputShape()),
                    String.format(Locale.ROOT, "%,d", r.params())));
        }
        sb.append("=".repeat(width)).append(System.lineSeparator());
        sb.append(String.format(Locale.ROOT, "Total params: %,d%n", totalParams()));
        sb.append(String.format(Locale.ROOT, "Trainable params: %,d%n", trainableParams()));
        sb.append(String.format(Locale.ROOT, "Non-trainable params: %,d%n", nonTrainableParams()));
        sb.append(rule);
        double in = inputSizeMb();
        double fb = forwardBackwardSizeMb();
        double ps = paramsSizeMb();
        sb.append(String.format(Locale.ROOT, "Input size (MB): %.2f%n", in));
        sb.append(String.format(Locale.ROOT, "Forward/backward pass size (MB): %.2f%n", fb));
        sb.append(String.format(Locale.ROOT, "Params size (MB): %.2f%n", ps));
        sb.append(String.format(Locale.ROOT, "Estimated Total Size (MB): %.2f%n", in + fb + ps));
        sb.append(rule);
        sb.append(String.format(Locale.ROOT, "Forward GFLOP per image: %.3f (2 per multiply-add; convolutions, linear"
                + " layers and attention)%n", flops.gflops()));
        if (!flops.uncounted().isEmpty()) {
            sb.append("Not counted: ").append(String.join(", ", flops.uncounted())).append(System.lineSeparator());
        }
        sb.append(rule);
        return sb.toString();
    }
}
