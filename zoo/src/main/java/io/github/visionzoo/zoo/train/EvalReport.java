package io.github.visionzoo.zoo.train;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A classifier evaluated on a labelled iterator: DL4J's {@link Evaluation} with top-5 (top-1, per-class statistics,
 * confusion matrix) plus the mean cross-entropy loss, computed from the softmax outputs so that it is the plain loss
 * even when training smooths labels or adds weight decay to DL4J's score.
 *
 * @param evaluation DL4J's evaluation, {@code topN} = min(5, classes)
 * @param loss       mean cross-entropy over the examples
 * @param classNames class names in output order
 */
public record EvalReport(Evaluation evaluation, double loss, List<String> classNames) {
    /** Probabilities below this count as this in the loss, so one confident mistake does not make it infinite. */
    private static final double MIN_PROBABILITY = 1e-12;

    public EvalReport {
        classNames = List.copyOf(classNames);
    }

    /** Evaluates {@code graph} in inference mode on the whole of {@code data}, which is reset before and after. */
    public static EvalReport of(ComputationGraph graph, DataSetIterator data, List<String> classNames) {
        return evaluate(features -> graph.outputSingle(false, features), data, classNames);
    }

    /**
     * Evaluates a classifier of more classes than the data's, such as an ImageNet-1k model on Imagenette, as timm's
     * {@code validate.py --valid-labels} does for ImageNet-A and -R: only the outputs {@code outputs} count (the
     * model's output of each of the data's classes, in the data's label order), their probabilities renormalized to
     * sum to 1, which keeps their order and so top-1 and top-5 among them.
     */
    public static EvalReport ofSubset(ComputationGraph graph, int[] outputs, DataSetIterator data,
                                      List<String> classNames) {
        return evaluate(features -> {
            // [b, all classes] -> [b, the data's classes]
            INDArray p = graph.outputSingle(false, features).getColumns(outputs);
            return p.diviColumnVector(p.sum(1));
        }, data, classNames);
    }

    /**
     * Evaluates any function from a batch of features to class probabilities ({@link Ensemble}).
     *
     * @param classNames class names, or null or empty for "0", "1", ...
     */
    static EvalReport evaluate(UnaryOperator<INDArray> probabilities, DataSetIterator data, List<String> classNames) {
        if (data.resetSupported()) {
            data.reset();
        }
        Evaluation eval = null;
        List<String> names = classNames;
        double lossSum = 0;
        long n = 0;
        while (data.hasNext()) {
            DataSet batch = data.next();
            INDArray p = probabilities.apply(batch.getFeatures());
            INDArray y = batch.getLabels();
            if (eval == null) {
                names = namesOrIndices(classNames, (int) p.size(1));
                eval = new Evaluation(names, Math.min(5, names.size()));
            }
            eval.eval(y, p);
            lossSum -= y.mul(Transforms.log(Transforms.max(p, MIN_PROBABILITY), false)).sumNumber().doubleValue();
            n += y.size(0);
        }
        if (data.resetSupported()) {
            data.reset();
        }
        if (eval == null) {
            throw new IllegalArgumentException("the evaluation iterator yielded no batches");
        }
        return new EvalReport(eval, lossSum / n, names);
    }

    private static List<String> namesOrIndices(List<String> names, int classes) {
        if (names != null && !names.isEmpty()) {
            if (names.size() != classes) {
                throw new IllegalArgumentException(names.size() + " class names for a model with " + classes
                        + " outputs");
            }
            return names;
        }
        List<String> indices = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            indices.add(Integer.toString(k));
        }
        return indices;
    }

    public double top1() {
        return evaluation.accuracy();
    }

    public double top5() {
        return evaluation.topNAccuracy();
    }

    public int examples() {
        return evaluation.getNumRowCounter();
    }

    /** Per class, the fraction of its examples classified correctly (its recall); NaN for a class without examples. */
    public double[] perClassAccuracy() {
        double[] acc = new double[classNames.size()];
        for (int k = 0; k < acc.length; k++) {
            acc[k] = evaluation.classCount(k) == 0 ? Double.NaN : evaluation.recall(k);
        }
        return acc;
    }

    /** The confusion matrix, {@code [actual][predicted]} counts. */
    public int[][] confusion() {
        int classes = classNames.size();
        int[][] m = new int[classes][classes];
        for (int a = 0; a < classes; a++) {
            for (int p = 0; p < classes; p++) {
                m[a][p] = evaluation.getConfusionMatrix().getCount(a, p);
            }
        }
        return m;
    }
}
