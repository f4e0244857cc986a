package io.github.visionzoo.zoo.weights;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Loads PyTorch weights (torchvision's {@code .pth}, timm's {@code .safetensors}, NumPy's {@code .npz}) into
 * visionzoo models, with outputs equal to PyTorch's.
 *
 * <pre>{@code
 * // torchvision's ResNet-50 with its ImageNet head
 * ComputationGraph net = WeightImporter.create("resnet50", Path.of("resnet50-11ad3fa6.pth"), ImportOptions.strict());
 * // the same backbone with a fresh 10-class head, to fine-tune on Imagenette
 * ComputationGraph ft = WeightImporter.create(Zoo.spec("resnet50"), 10, Path.of("resnet50-11ad3fa6.pth"),
 *         ImportOptions.allowingHeadMismatch());
 * }</pre>
 *
 * <p>Strict by default: the file must hold exactly the model's tensors with the model's shapes; otherwise one
 * {@link WeightMismatchException} lists every missing, unexpected and wrongly shaped tensor, and nothing is loaded.
 * Floating tensors of any stored type (float32, float16, bfloat16, float64) load into the model's float32; a NaN or
 * infinite value is refused, naming the file and the tensor.
 */
public final class WeightImporter {
    private WeightImporter() {
    }

    /** A registered model with the file's weights and the file's class count. */
    public static ComputationGraph create(String modelName, Path file, ImportOptions options) throws IOException {
        return create(Zoo.spec(modelName), file, options);
    }

    /** A model of {@code spec} with the file's weights and the file's class count (the rows of its classifier). */
    public static ComputationGraph create(ModelSpec spec, Path file, ImportOptions options) throws IOException {
        StateDict weights = StateDict.read(file);
        WeightMapping mapping = WeightMapping.of(spec);
        int classes = numClasses(mapping, weights).orElseThrow(() -> new IllegalArgumentException(file
                + ": has no " + mapping.head() + ".weight to tell the class count from; give the number of classes"));
        return create(spec, classes, weights, mapping, options);
    }

    /** A model of {@code spec} with {@code numClasses} outputs and the file's weights. */
    public static ComputationGraph create(ModelSpec spec, int numClasses, Path file, ImportOptions options)
            throws IOException {
        return create(spec, numClasses, StateDict.read(file), WeightMapping.of(spec), options);
    }

    private static ComputationGraph create(ModelSpec spec, int numClasses, StateDict weights, WeightMapping mapping,
                                           ImportOptions options) {
        ComputationGraph graph = Zoo.create(spec, numClasses, ModelSpec.DEFAULT_SEED);
        try {
            load(graph, mapping, weights, options);
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
        return graph;
    }

    /** Loads a file into an existing graph of {@code spec}. */
    public static ImportReport load(ComputationGraph graph, ModelSpec spec, Path file, ImportOptions options)
            throws IOException {
        return load(graph, WeightMapping.of(spec), StateDict.read(file), options);
    }

    /** The class count of a file's classifier, the rows of {@code HEAD.weight}, if it has one. */
    public static OptionalInt numClasses(WeightMapping mapping, StateDict weights) {
        StoredTensor w = mapping.canonical(weights).get(mapping.head() + ".weight");
        if (w == null || w.shape().length < 1) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(Math.toIntExact(w.shape()[0]));
    }

    /**
     * Loads {@code weights} into {@code graph}: checks every tensor first, then fills the parameters.
     *
     * @throws WeightMismatchException listing every missing, unexpected and wrongly shaped tensor; the graph is
     *                                 then unchanged
     * @throws WeightFileException     naming the first tensor to load that holds a NaN or infinite value; the graph
     *                                 is then unchanged
     */
    public static ImportReport load(ComputationGraph graph, WeightMapping mapping, StateDict weights,
                                    ImportOptions options) {
        StateDict file = mapping.canonical(weights);
        List<Binding> bindings = mapping.bindings(graph);
        List<String> missing = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        List<String> headProblems = new ArrayList<>();
        Set<String> bound = new HashSet<>();
        for (Binding b : bindings) {
            bound.add(b.key());
            long[] expected = b.layout().torchShape(param(graph, b).shape());
            StoredTensor t = file.get(b.key());
            String problem = null;
            boolean isMissing = false;
            if (t == null) {
                problem = b.key() + " (the model expects " + Arrays.toString(expected) + ")";
                isMissing = true;
            } else if (!b.layout().accepts(t.shape(), expected)) {
                problem = b.key() + ": the file has " + Arrays.toString(t.shape()) + ", the model expects "
                        + Arrays.toString(expected);
            } else if (!t.dtype().isFloating()) {
                problem = b.key() + ": the file has " + t.dtype() + " values, the model needs floating-point ones";
            }
            if (problem == null) {
                continue;
            }
            if (b.head() && options.allowHeadMismatch()) {
                headProblems.add(problem);
            } else if (isMissing) {
                missing.add(problem);
            } else {
                wrong.add(problem + (b.head() ? " (allowHeadMismatch skips the classifier)" : ""));
            }
        }
        List<String> unexpected = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (String key : file.names()) {
            if (bound.contains(key)) {
                continue;
            }
            if (mapping.ignored(key)) {
                ignored.add(key);
            } else {
                unexpected.add(key + " " + Arrays.toString(file.get(key).shape()));
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrong.isEmpty()) {
            throw new WeightMismatchException(file.source() + " does not fit the model"
                    + (options.allowHeadMismatch() ? "" : " (strict import)"), missing, unexpected, wrong);
        }
        boolean skipHead = !headProblems.isEmpty();
        for (Binding b : bindings) {
            if (!(b.head() && skipHead)) {
                requireFinite(file, b.key());
            }
        }
        List<String> loaded = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Binding b : bindings) {
            if (b.head() && skipHead) {
                skipped.add(b.key());
                continue;
            }
            INDArray target = param(graph, b);
            target.assign(b.layout().toDl4j(file.get(b.key()).toINDArray(), target.shape()));
            loaded.add(b.key());
        }
        return new ImportReport(file.source(), file.format(), loaded, skipped, ignored);
    }

    private static void requireFinite(StateDict file, String key) {
        float[] values = file.get(key).toFloats();
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new WeightFileException(file.source() + ": tensor " + key + " holds " + values[i]
                        + " (element " + i + " of " + values.length + "); damaged weights, or those of a diverged"
                        + " training, so nothing was loaded");
            }
        }
    }

    static INDArray param(ComputationGraph graph, Binding b) {
        var layer = graph.getLayer(b.vertex());
        if (layer == null) {
            throw new IllegalArgumentException("the mapping names vertex '" + b.vertex() + "', which the graph lacks");
        }
        INDArray p = layer.getParam(b.param());
        if (p == null) {
            throw new IllegalArgumentException("vertex '" + b.vertex() + "' has no parameter '" + b.param() + "'");
        }
        return p;
    }
}
