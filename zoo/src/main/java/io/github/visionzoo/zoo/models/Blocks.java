package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.OneDnn;
import io.github.visionzoo.zoo.layers.BatchNorm;
import io.github.visionzoo.zoo.layers.Conv2d;
import io.github.visionzoo.zoo.layers.Linear;
import io.github.visionzoo.zoo.layers.MaxPool2d;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The one place where visionzoo's architectures add DL4J layers to a graph. Every method adds one vertex under the
 * given name (torchvision's state-dict name) and returns that name, so a family builder reads as a list of layers.
 *
 * <p>Convolutions use {@link ConvolutionMode#Truncate} with explicit padding, which is PyTorch's arithmetic. Batch
 * normalization uses PyTorch's defaults (eps 1e-5, momentum 0.1, that is DL4J decay 0.9). Activations are fused into
 * the convolution or linear layer before them where PyTorch has a separate {@code ReLU} module: DL4J then keeps one
 * activation array instead of two, and the ReLU module's index in torchvision's {@code Sequential} is simply left
 * unused. After batch normalization, whose DL4J layer ignores an activation, the ReLU is a vertex of its own
 * ({@link #batchNorm}).
 */
public final class Blocks {
    /** Name of the input vertex of every visionzoo graph. */
    public static final String INPUT = "input";

    private Blocks() {
    }

    /**
     * A graph builder with visionzoo's global settings: float32, the seed, a placeholder updater (a training recipe
     * replaces it), workspaces on, and one image input {@code [b, channels, height, width]}.
     *
     * <p>{@code CacheMode.DEVICE} keeps each layer's pre-activation from the forward pass for its backward pass:
     * without it DL4J's convolution layers run their forward convolution a second time in backprop. visionzoo's
     * convolutions ({@link Conv2d}) keep their
     * output for it rather than DL4J's copy of the pre-activation. It also switches on DL4J's oneDNN helpers
     * ({@link OneDnn#enable()}), which are chosen when a layer is created.
     */
    public static GraphBuilder newGraph(long seed, int channels, int height, int width) {
        return newGraph(seed, DataType.FLOAT, channels, height, width);
    }

    /** The same with another data type: {@code DOUBLE} for gradient checks. */
    public static GraphBuilder newGraph(long seed, DataType dataType, int channels, int height, int width) {
        OneDnn.enable();
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(dataType)
                .updater(new Adam(1e-3))
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .cacheMode(CacheMode.DEVICE)
                .graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.convolutional(height, width, channels));
    }

    /**
     * Builds the configuration and pins DL4J's topological order to the order in which the vertices were added.
     *
     * <p>DL4J lays the flattened parameter vector out in its own topological order but names parameters in
     * insertion order ({@code ComputationGraph.paramTable()}), so wherever the two differ (a residual block's
     * projection shortcut), its gradient checker and any flat-vector tooling mislabel parameters. Pinning the order
     * makes the flat layout follow the vertices as added, which for visionzoo's builders is torchvision's state-dict
     * order. DL4J keeps the pinned order in the configuration's JSON.
     *
     * <p>Where only convolutions read a network input, they compute no gradient for it
     * ({@link Conv2d#isInputGradient}).
     */
    public static ComputationGraphConfiguration build(GraphBuilder g) {
        ComputationGraphConfiguration conf = g.build();
        List<String> inputs = conf.getNetworkInputs();
        for (String input : inputs) {
            List<Conv2d> readers = new ArrayList<>();
            conf.getVertexInputs().forEach((name, from) -> {
                if (from.contains(input)) {
                    readers.add(from.size() == 1 ? conv2d(conf.getVertices().get(name)) : null);
                }
            });
            // DL4J sums the gradients its readers return and fails on a mix of arrays and nulls
            if (!readers.contains(null)) {
                readers.forEach(conv -> conv.setInputGradient(false));
            }
        }
        // DL4J numbers the inputs first, then the vertices in insertion order
        Map<String, Integer> index = new HashMap<>();
        for (String name : inputs) {
            index.put(name, index.size());
        }
        for (String name : conf.getVertices().keySet()) {
            index.put(name, index.size());
        }
        List<String> order = new ArrayList<>(inputs);
        order.addAll(vertexOrder(conf));
        conf.setTopologicalOrder(order.stream().mapToInt(index::get).toArray());
        conf.setTopologicalOrderStr(order);
        return conf;
    }

    /**
     * {@code conf} with every {@link Conv2d} computing its input gradient again: before a layer is put in front of
     * one that reads the images, or where the gradient with respect to the images is the point (saliency maps,
     * adversarial examples). Call it before building the network; returns {@code conf}.
     */
    public static ComputationGraphConfiguration withInputGradients(ComputationGraphConfiguration conf) {
        conf.getVertices().values().forEach(vertex -> {
            Conv2d conv = conv2d(vertex);
            if (conv != null) {
                conv.setInputGradient(true);
            }
        });
        return conf;
    }

    /** The {@link Conv2d} that {@code vertex} holds, or null. */
    private static Conv2d conv2d(GraphVertex vertex) {
        return vertex instanceof LayerVertex v && v.getLayerConf().getLayer() instanceof Conv2d conv ? conv : null;
    }

    /** The vertices (inputs left out) in an order where each comes after its inputs, ties in insertion order. */
    public static List<String> vertexOrder(ComputationGraphConfiguration conf) {
        Map<String, List<String>> inputs = conf.getVertexInputs();
        Set<String> done = new HashSet<>(conf.getNetworkInputs());
        List<String> order = new ArrayList<>();
        List<String> pending = new ArrayList<>(conf.getVertices().keySet());
        while (!pending.isEmpty()) {
            int before = pending.size();
            for (Iterator<String> it = pending.iterator(); it.hasNext(); ) {
                String name = it.next();
                if (done.containsAll(inputs.getOrDefault(name, List.of()))) {
                    order.add(name);
                    done.add(name);
                    it.remove();
                }
            }
            if (pending.size() == before) {
                throw new IllegalArgumentException("the graph has a cycle or a missing input among " + pending);
            }
        }
        return order;
    }

    /**
     * A 2-D convolution, square kernel, with PyTorch's padding arithmetic: a {@link Conv2d}, which caches its output
     * for the backward pass instead of a copy of it.
     */
    public static String conv(GraphBuilder g, String name, String input, int nOut, int kernel, int stride, int padding,
                              boolean bias, Activation activation, IWeightInit init, double biasInit) {
        g.addLayer(name, new Conv2d(new ConvolutionLayer.Builder(kernel, kernel)
                .stride(stride, stride)
                .padding(padding, padding)
                .convolutionMode(ConvolutionMode.Truncate)
                .nOut(nOut)
                .hasBias(bias)
                .activation(activation)
                .weightInit(init)
                .biasInit(biasInit)), input);
        return name;
    }

    /**
     * Batch normalization over channels (gamma 1, beta 0, eps 1e-5, decay 0.9 as PyTorch's momentum 0.1) with the
     * activation fused: {@link BatchNorm}. {@code null} or identity for none; otherwise ReLU.
     *
     * @return {@code name}
     */
    public static String batchNorm(GraphBuilder g, String name, String input, Activation activation) {
        Activation a = activation == null ? Activation.IDENTITY : activation;
        g.addLayer(name, new BatchNorm(a.getActivationFunction(), 1e-5, 0.9), input);
        return name;
    }

    /** Max pooling, square window, PyTorch's arithmetic (padding never wins the max). */
    public static String maxPool(GraphBuilder g, String name, String input, int kernel, int stride, int padding) {
        g.addLayer(name, new MaxPool2d(new SubsamplingLayer.Builder(PoolingType.MAX)
                .kernelSize(kernel, kernel)
                .stride(stride, stride)
                .padding(padding, padding)
                .convolutionMode(ConvolutionMode.Truncate)), input);
        return name;
    }

    /** Global average pooling {@code [b, c, h, w] -> [b, c]}, torchvision's {@code AdaptiveAvgPool2d((1, 1))}. */
    public static String globalAvgPool(GraphBuilder g, String name, String input) {
        g.addLayer(name, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), input);
        return name;
    }

    /** A stand-alone activation (after a residual addition, for instance). */
    public static String activation(GraphBuilder g, String name, String input, Activation activation) {
        g.addLayer(name, new ActivationLayer.Builder().activation(activation).build(), input);
        return name;
    }

    /**
     * A fully connected layer: a {@link Linear}. {@code dropoutBefore} is the probability of dropping each input unit
     * (PyTorch's {@code Dropout(p)} just before this layer), 0 for none; DL4J's own {@code dropOut} takes the keep
     * probability.
     */
    public static String dense(GraphBuilder g, String name, String input, int nOut, Activation activation,
                               double dropoutBefore, IWeightInit init, double biasInit) {
        Linear linear = new Linear(nOut, activation.getActivationFunction(), init, biasInit);
        if (dropoutBefore > 0) {
            linear.setIDropout(new Dropout(1.0 - dropoutBefore));
        }
        g.addLayer(name, linear, input);
        return name;
    }

    /** The classifier: a fully connected layer with softmax and cross-entropy loss, and the graph's output. */
    public static String classifier(GraphBuilder g, String name, String input, int numClasses, double dropoutBefore,
                                    IWeightInit init) {
        OutputLayer.Builder b = new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(numClasses)
                .activation(Activation.SOFTMAX)
                .weightInit(init)
                .biasInit(0.0);
        if (dropoutBefore > 0) {
            b.dropOut(1.0 - dropoutBefore);
        }
        g.addLayer(name, b.build(), input);
        g.setOutputs(name);
        return name;
    }
}
