package io.github.visionzoo.zoo.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.OneDnn;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Supplier;
import io.github.visionzoo.zoo.weights.Binding;
import io.github.visionzoo.zoo.weights.WeightMapping;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.nd4j.linalg.learning.config.NoOp;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Checks shared by the tests of every custom layer, block and family: gradients, save-restore equality, and weight
 * names.
 */
public final class GraphChecks {
    private GraphChecks() {
    }

    /**
     * What {@code instantiate} returns, its layers instantiated with oneDNN's kernels ({@code oneDnn}) or the portable
     * ones: each layer chooses its kernel when it is instantiated ({@code kernels.Kernels}), by the switch
     * {@link OneDnn#DIRECT_PROPERTY}, which is set for the call and restored after it.
     */
    public static <T> T withKernels(boolean oneDnn, Supplier<T> instantiate) {
        String before = System.getProperty(OneDnn.DIRECT_PROPERTY);
        System.setProperty(OneDnn.DIRECT_PROPERTY, Boolean.toString(oneDnn));
        try {
            return instantiate.get();
        } finally {
            if (before == null) {
                System.clearProperty(OneDnn.DIRECT_PROPERTY);
            } else {
                System.setProperty(OneDnn.DIRECT_PROPERTY, before);
            }
        }
    }

    /**
     * A new graph with {@code graph}'s configuration and a copy of its parameters, its layers on oneDNN's kernels or
     * the portable ones ({@link #withKernels}): the same network on the other kernels.
     */
    public static ComputationGraph twin(ComputationGraph graph, boolean oneDnn) {
        return withKernels(oneDnn, () -> {
            ComputationGraph twin = new ComputationGraph(graph.getConfiguration().clone());
            twin.init(graph.params().dup(), false);
            return twin;
        });
    }

    /** Makes new arrays double precision, as gradient checks need. */
    public static void useDoublePrecision() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    /**
     * The configuration made ready for a gradient check: DL4J's check demands plain gradients, so every layer's
     * updater becomes {@link NoOp}.
     */
    public static ComputationGraphConfiguration withoutUpdater(ComputationGraphConfiguration conf) {
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                Layer layer = lv.getLayerConf().getLayer();
                if (layer instanceof BaseLayer b) {
                    b.setIUpdater(new NoOp());
                    b.setBiasUpdater(null);
                } else if (layer instanceof AbstractSameDiffLayer sd) {
                    sd.setUpdater(new NoOp());
                    sd.setBiasUpdater(null);
                }
            }
        }
        return conf;
    }

    /** One-hot labels {@code [n, classes]} of {@code type}, example {@code i} in class {@code i % classes}. */
    public static INDArray cyclicLabels(DataType type, int n, int classes) {
        INDArray y = Nd4j.zeros(type, n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % classes, 1.0);
        }
        return y;
    }

    /** {@link #cyclicLabels(DataType, int, int)} of ND4J's default type (double after {@link #useDoublePrecision}). */
    public static INDArray cyclicLabels(int n, int classes) {
        return cyclicLabels(Nd4j.defaultFloatingPointType(), n, classes);
    }

    /** A double-precision graph for a gradient check. */
    public static ComputationGraph gradientCheckGraph(ComputationGraphConfiguration conf) {
        ComputationGraph graph = new ComputationGraph(withoutUpdater(conf));
        graph.init();
        return graph;
    }

    /** Central-difference gradient check of a double-precision graph on one input and its labels. */
    public static void assertGradientsMatch(ComputationGraph graph, INDArray input, INDArray labels) {
        assertThat(graph.params().dataType()).as("gradient checks need a DOUBLE graph").isEqualTo(DataType.DOUBLE);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig()
                .net(graph)
                .inputs(new INDArray[] {input})
                .labels(new INDArray[] {labels})
                .epsilon(1e-6)
                .maxRelError(1e-3)
                .minAbsoluteError(1e-8)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                .exitOnFirstError(false)
                .excludeParams(batchNormStatistics(graph)));
        assertThat(ok).as("analytic gradients equal numeric ones").isTrue();
    }

    /** Batch norm's running statistics: DL4J stores them as parameters, but the loss has no gradient for them. */
    private static Set<String> batchNormStatistics(ComputationGraph graph) {
        Set<String> names = new HashSet<>();
        for (org.deeplearning4j.nn.api.Layer layer : graph.getLayers()) {
            if (layer.conf().getLayer() instanceof BatchNormalization) {
                for (String key : layer.paramTable().keySet()) {
                    if (!key.equals(BatchNormalizationParamInitializer.GAMMA)
                            && !key.equals(BatchNormalizationParamInitializer.BETA)) {
                        names.add(layer.conf().getLayer().getLayerName() + "_" + key);
                    }
                }
            }
        }
        return names;
    }

    /** Four random images of {@code size} px (seeded) with cyclic labels over {@code classes}. */
    public static MultiDataSet randomBatch(int size, int classes) {
        Nd4j.getRandom().setSeed(8);
        return new MultiDataSet(Nd4j.rand(DataType.FLOAT, 4, 3, size, size),
                cyclicLabels(DataType.FLOAT, 4, classes));
    }

    /** {@code spec} with 3 classes, initialized and trained on one {@link #randomBatch}. */
    public static ComputationGraph trainedOnce(ModelSpec spec, int size) {
        ComputationGraph graph = new ComputationGraph(spec.configuration(3, 1));
        graph.init();
        graph.fit(randomBatch(size, 3));
        return graph;
    }

    /**
     * Replaces {@code head} of {@code base} with a zero-initialized one for {@code classes} through DL4J's
     * {@code TransferLearning} (Adam 1e-3) and asserts the new output width and that every other parameter is carried
     * over unchanged.
     */
    public static ComputationGraph assertNewHeadKeepsTheRest(ComputationGraph base, String head, int classes,
                                                             int size) {
        ComputationGraph tuned = new TransferLearning.GraphBuilder(base)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Adam(1e-3)).seed(2).build())
                .nOutReplace(head, classes, WeightInit.ZERO)
                .build();
        assertThat(tuned.outputSingle(randomBatch(size, classes).getFeatures(0)).shape()).containsExactly(4, classes);
        Map<String, INDArray> before = base.paramTable();
        tuned.paramTable().forEach((k, v) -> {
            if (!k.startsWith(head + "_")) {
                assertThat(v).as(k).isEqualTo(before.get(k));
            }
        });
        return tuned;
    }

    /**
     * Saves with {@link ModelSerializer} (updater included), restores, and asserts the restored graph has the same
     * configuration JSON, parameters, updater state and outputs.
     *
     * @return the restored graph
     */
    public static ComputationGraph assertSaveRestoreSame(ComputationGraph graph, INDArray input, Path dir)
            throws IOException {
        File file = dir.resolve("model.zip").toFile();
        ModelSerializer.writeModel(graph, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        assertThat(graph.params().dataType()).as("ModelSerializer restores DOUBLE graphs as FLOAT: test in FLOAT")
                .isEqualTo(DataType.FLOAT);
        assertThat(restored.getConfiguration().toJson()).isEqualTo(graph.getConfiguration().toJson());
        assertThat(restored.params()).isEqualTo(graph.params());
        if (graph.getUpdater() != null && graph.getUpdater().getStateViewArray() != null) {
            assertThat(restored.getUpdater().getStateViewArray()).isEqualTo(graph.getUpdater().getStateViewArray());
        }
        INDArray expected = graph.outputSingle(false, input);
        INDArray actual = restored.outputSingle(false, input);
        assertThat(actual.equalsWithEps(expected, 1e-6)).as("restored output equals the original").isTrue();
        return restored;
    }

    /**
     * The mapping's bindings of {@code graph}, asserting that they bind every DL4J parameter exactly once, each under
     * its own state-dict name.
     */
    public static List<Binding> assertBindsEveryParameterOnce(WeightMapping mapping, ComputationGraph graph) {
        List<Binding> bindings = mapping.bindings(graph);
        Set<String> bound = new HashSet<>();
        for (Binding b : bindings) {
            assertThat(bound.add(b.vertex() + "_" + b.param())).as("bound twice: " + b).isTrue();
        }
        assertThat(bound).as("every DL4J parameter is bound").isEqualTo(graph.paramTable().keySet());
        assertThat(bindings.stream().map(Binding::key).distinct().count()).as("distinct state-dict names")
                .isEqualTo(bindings.size());
        return bindings;
    }
}
