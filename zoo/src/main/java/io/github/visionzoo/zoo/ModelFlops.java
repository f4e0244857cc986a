package io.github.visionzoo.zoo;

import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.layers.ChannelAttention;
import io.github.visionzoo.zoo.layers.ConvMlp;
import io.github.visionzoo.zoo.layers.ConvPosEnc;
import io.github.visionzoo.zoo.layers.EncoderBlock;
import io.github.visionzoo.zoo.layers.LayerNorm;
import io.github.visionzoo.zoo.layers.MlpBlock;
import io.github.visionzoo.zoo.layers.MultiHeadSelfAttention;
import io.github.visionzoo.zoo.layers.PatchEmbedding;
import io.github.visionzoo.zoo.layers.PatchMerging;
import io.github.visionzoo.zoo.layers.PatchPartition;
import io.github.visionzoo.zoo.layers.ShiftedWindowAttention;
import io.github.visionzoo.zoo.layers.WindowAttention;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;

/**
 * Forward floating-point operations per image, counted from a configuration alone (nothing is allocated), with the
 * convention of fvcore and torchvision's model tables: a multiply-add is 2 FLOPs, and only the products of
 * convolutions, linear layers and attention are counted. Biases, activations, normalizations (batch norm, layer norm,
 * LRN), pooling (adaptive pooling included), softmax, residual additions and dropout are not: they are a few percent
 * of a CNN's or ViT's work. torchvision publishes multiply-adds ("GFLOPS" 3.66 for ResNet-34), so its figures times
 * 2 are this class's.
 *
 * <p>Counted, per image:
 * <ul>
 *   <li>a convolution (DL4J's {@link ConvolutionLayer}, 1-D, 2-D or 3-D):
 *   {@code 2 * C_in * prod(kernel) * C_out * prod(output size)}; depthwise
 *   {@code 2 * prod(kernel) * C_out * prod(output size)}; separable its depthwise and pointwise parts; a
 *   transposed convolution {@code 2 * C_in * prod(kernel) * C_out * prod(input size)}. DL4J 1.0.0-M2.1's
 *   convolutions have no groups;</li>
 *   <li>a dense or output layer: {@code 2 * n_in * n_out}, times the sequence length when it is applied to each
 *   token of a sequence;</li>
 *   <li>{@link PatchEmbedding}: the patch convolution, {@code 2 * N * C * p * p * D} for {@code N} patches;</li>
 *   <li>{@link MultiHeadSelfAttention} over {@code T} tokens of width {@code D}: the QKV projection
 *   {@code 2 * T * D * 3D}, the output projection {@code 2 * T * D * D}, and the two batched products
 *   {@code Q K^T} and {@code softmax(.) V}, {@code 2 * T * T * D} each (over all heads together);</li>
 *   <li>{@link MlpBlock}: {@code 2 * T * D * M} for each of its two linear layers;</li>
 *   <li>{@link EncoderBlock}: its attention and its MLP as above;</li>
 *   <li>{@link PatchPartition}: its patch convolution, as {@link PatchEmbedding}'s;</li>
 *   <li>{@link ShiftedWindowAttention}: the attention above over each of the {@code nW} windows of {@code N} tokens
 *   (windows over padding included, as they are computed);</li>
 *   <li>{@link PatchMerging}: its reduction, {@code 2 * T' * 4C * 2C} for {@code T'} merged tokens.</li>
 *   <li>DaViT's layers on an image of {@code N = H*W} positions and {@code C} channels: {@link WindowAttention} as
 *   multi-head attention within each {@code w x w} window of the map padded to whole windows ({@code N'}
 *   positions), {@code 2 * N' * C * 4C + 2 * (2 * N' * w * w * C)}; {@link ChannelAttention} its projections
 *   {@code 2 * N * C * 4C} and the two products over {@code C/h}-channel groups, {@code 2 * (2 * N * C * C/h)};
 *   {@link ConvMlp} {@code 2 * (2 * N * C * M)}; {@link ConvPosEnc} its depthwise 3x3 convolution
 *   {@code 2 * 9 * C * N}.</li>
 * </ul>
 * A layer with parameters of any other type (an LSTM, an embedding) is not counted and is listed in
 * {@link #uncounted()}, so a total is never silently short. Training is about 3 times the forward count (the backward
 * pass computes a gradient for the input and one for the weights, each about as costly as the forward pass).
 *
 * <p>For the registered models at 224 px (227 for {@code alexnet}), 1000 classes: resnet18 3.63 GFLOP, resnet34 7.33,
 * resnet50 8.18, vgg16 30.94, vit_b_16 35.13, alexnet_tv 1.43, swin_t 8.98: torchvision's published multiply-adds
 * times 2; davit_tiny 9.04, twice the 4.5 G multiply-adds that the DaViT paper and timm publish. At 10 classes the
 * paper's {@code alexnet} is 2.26 and {@code vit_s_16} 9.20.
 */
public final class ModelFlops {
    /** One counted vertex: its name, layer type and forward FLOPs for one image. */
    public record Row(String name, String type, long flops) {
    }

    private final List<Row> rows;
    private final List<String> uncounted;

    private ModelFlops(List<Row> rows, List<String> uncounted) {
        this.rows = List.copyOf(rows);
        this.uncounted = List.copyOf(uncounted);
    }

    /** The count of a registered model at its own input size. */
    public static ModelFlops of(String name, int numClasses) {
        return of(Zoo.spec(name), numClasses);
    }

    /** The count of a spec at its input size. */
    public static ModelFlops of(ModelSpec spec, int numClasses) {
        int s = spec.imageSize();
        return of(spec.configuration(numClasses), InputType.convolutional(s, s, 3));
    }

    /** The count of any graph configuration with one input of the given type; {@code conf} is not modified. */
    public static ModelFlops of(ComputationGraphConfiguration conf, InputType input) {
        ComputationGraphConfiguration copy = conf.clone();
        Map<String, InputType> types = copy.getLayerActivationTypes(input);
        List<Row> rows = new ArrayList<>();
        List<String> uncounted = new ArrayList<>();
        for (String name : Blocks.vertexOrder(copy)) {
            GraphVertex vertex = copy.getVertices().get(name);
            if (!(vertex instanceof LayerVertex lv)) {
                continue;
            }
            Layer layer = unwrap(lv.getLayerConf().getLayer());
            List<String> inputs = copy.getVertexInputs().get(name);
            InputType in = inputs == null || inputs.isEmpty() ? input : types.get(inputs.get(0));
            long flops = flops(layer, in, types.get(name));
            if (flops > 0) {
                rows.add(new Row(name, layer.getClass().getSimpleName(), flops));
            } else if (flops < 0) {
                uncounted.add(name + " (" + layer.getClass().getSimpleName() + ")");
            }
        }
        return new ModelFlops(rows, uncounted);
    }

    private static Layer unwrap(Layer layer) {
        if (layer instanceof FrozenLayer f) {
            return unwrap(f.getLayer());
        }
        if (layer instanceof FrozenLayerWithBackprop f) {
            return unwrap(f.getUnderlying());
        }
        return layer;
    }

    /**
     * Forward FLOPs of one layer for one image, given the type of its input (before any preprocessor) and of its
     * output: 0 for the layers that are not counted by convention, -1 for a layer with parameters that this class
     * cannot count.
     */
    static long flops(Layer layer, InputType in, InputType out) {
        if (layer instanceof PatchEmbedding p) {
            InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) in;
            long patch = p.getPatchSize();
            long patches = (c.getHeight() / patch) * (c.getWidth() / patch);
            return 2 * patches * c.getChannels() * patch * patch * p.getHiddenDim();
        }
        if (layer instanceof PatchPartition p) {
            InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) in;
            long patch = p.getPatchSize();
            long patches = (c.getHeight() / patch) * (c.getWidth() / patch);
            return 2 * patches * c.getChannels() * patch * patch * p.getEmbedDim();
        }
        if (layer instanceof ShiftedWindowAttention a) {
            InputType.InputTypeRecurrent r = (InputType.InputTypeRecurrent) in;
            long padded = (a.getSide() + a.getWindowSize() - 1) / a.getWindowSize();
            return padded * padded * attention((long) a.getWindowSize() * a.getWindowSize(), r.getSize());
        }
        if (layer instanceof PatchMerging) {
            InputType.InputTypeRecurrent r = (InputType.InputTypeRecurrent) in;
            InputType.InputTypeRecurrent o = (InputType.InputTypeRecurrent) out;
            return 2 * o.getTimeSeriesLength() * 4 * r.getSize() * o.getSize();
        }
        if (layer instanceof EncoderBlock b) {
            InputType.InputTypeRecurrent r = (InputType.InputTypeRecurrent) in;
            return attention(r.getTimeSeriesLength(), r.getSize()) + mlp(r.getTimeSeriesLength(), r.getSize(),
                    b.getMlpDim());
        }
        if (layer instanceof MultiHeadSelfAttention) {
            InputType.InputTypeRecurrent r = (InputType.InputTypeRecurrent) in;
            return attention(r.getTimeSeriesLength(), r.getSize());
        }
        if (layer instanceof MlpBlock m) {
            InputType.InputTypeRecurrent r = (InputType.InputTypeRecurrent) in;
            return mlp(r.getTimeSeriesLength(), r.getSize(), m.getMlpDim());
        }
        if (layer instanceof WindowAttention w) {
            long c = w.getChannels();
            long window = (long) w.getWindowSize() * w.getWindowSize();
            long positions = w.padded(w.getHeight()) * w.padded(w.getWidth());
            return 2 * positions * c * 4 * c + 2 * (2 * positions * window * c);
        }
        if (layer instanceof ChannelAttention a) {
            long c = a.getChannels();
            long n = a.getHeight() * a.getWidth();
            return 2 * n * c * 4 * c + 2 * (2 * n * c * (c / a.getNumHeads()));
        }
        if (layer instanceof ConvMlp m) {
            return mlp(m.getHeight() * m.getWidth(), m.getChannels(), m.getHiddenDim());
        }
        if (layer instanceof ConvPosEnc p) {
            return 2 * 9 * p.getChannels() * p.getHeight() * p.getWidth();
        }
        if (layer instanceof Deconvolution2D || layer instanceof Deconvolution3D) {
            ConvolutionLayer c = (ConvolutionLayer) layer;
            return 2 * c.getNIn() * product(c.getKernelSize()) * c.getNOut() * positions(in);
        }
        if (layer instanceof DepthwiseConvolution2D d) {
            return 2 * product(d.getKernelSize()) * d.getNOut() * positions(out);
        }
        if (layer instanceof SeparableConvolution2D s) {
            long depthwiseOut = s.getNIn() * s.getDepthMultiplier();
            return 2 * positions(out) * (product(s.getKernelSize()) * depthwiseOut + depthwiseOut * s.getNOut());
        }
        if (layer instanceof ConvolutionLayer c) {
            return 2 * c.getNIn() * product(c.getKernelSize()) * c.getNOut() * positions(out);
        }
        if (layer instanceof DenseLayer || layer instanceof BaseOutputLayer) {
            org.deeplearning4j.nn.conf.layers.FeedForwardLayer f =
                    (org.deeplearning4j.nn.conf.layers.FeedForwardLayer) layer;
            long tokens = in instanceof InputType.InputTypeRecurrent r ? r.getTimeSeriesLength() : 1;
            return 2 * f.getNIn() * f.getNOut() * tokens;
        }
        if (layer instanceof BatchNormalization || layer instanceof LayerNorm
                || layer.initializer().numParams(layer) == 0) {
            return 0;
        }
        return -1;
    }

    /** QKV and output projections, {@code Q K^T} and {@code A V} over {@code t} tokens of width {@code d}. */
    private static long attention(long t, long d) {
        return 2 * t * d * 3 * d + 2 * t * d * d + 2 * (2 * t * t * d);
    }

    private static long mlp(long t, long d, long m) {
        return 2 * (2 * t * d * m);
    }

    private static long product(int[] sizes) {
        long p = 1;
        for (int s : sizes) {
            p *= s;
        }
        return p;
    }

    /** Positions a kernel is applied at: the spatial size of a convolutional type, a sequence's length. */
    private static long positions(InputType t) {
        if (t instanceof InputType.InputTypeConvolutional c) {
            return c.getHeight() * c.getWidth();
        }
        if (t instanceof InputType.InputTypeConvolutional3D c) {
            return c.getDepth() * c.getHeight() * c.getWidth();
        }
        if (t instanceof InputType.InputTypeRecurrent r) {
            return r.getTimeSeriesLength();
        }
        return 1;
    }

    /** The counted vertices in graph order. */
    public List<Row> rows() {
        return rows;
    }

    /** Vertices with parameters that are not counted ({@code name (Type)}); empty for every registered model. */
    public List<String> uncounted() {
        return uncounted;
    }

    /** Forward FLOPs for one image. */
    public long total() {
        return rows.stream().mapToLong(Row::flops).sum();
    }

    /** Forward GFLOP for one image. */
    public double gflops() {
        return total() / 1e9;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%.3f GFLOP per image forward (%d layers counted%s)", gflops(),
                rows.size(), uncounted.isEmpty() ? "" : "; not counted: " + String.join(", ", uncounted));
    }
}
