package io.github.visionzoo.zoo.train;

import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Measures each optimizer step where DL4J computes it anyway, and stops training on a NaN or infinite loss. Thread-safe:
 * with several workers, every worker's network reports here.
 *
 * <ul>
 * <li>Loss: DL4J's score minus the regularization term it adds (SGD's L2, 0.5 * wd * |w|^2, not part of PyTorch's
 * loss; AdamW's {@link DecoupledWeightDecay} adds none), so the reported loss is the cross-entropy of the batch (with smoothed labels, when the recipe smooths them).
 * <li>Accuracy: DL4J does not compute the output layer's activations during training, so the forward-pass activations
 * are multiplied through the head's weights once more ({@code argmax(x W + b)}, a few flops per example, after the
 * head's input preprocessor if it has one); for heads that are not a dense {@code OutputLayer} on features, the
 * accuracy is not measured (NaN).
 * </ul>
 */
final class BatchStats extends BaseTrainingListener {
    /** What one step measured, on the thread that ran it. */
    private static final class Step {
        double regularization;
        INDArray predictions;
    }

    /** Sums over the steps since the last {@link #take()}. */
    record Totals(int steps, long examples, double lossSum, long correct, long measuredExamples,
                  double learningRate) {
    }

    private final ThreadLocal<Step> current = ThreadLocal.withInitial(Step::new);
    private int steps;
    private long examples;
    private double lossSum;
    private long correct;
    private long measuredExamples;
    private double learningRate = Double.NaN;

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        ComputationGraph graph = (ComputationGraph) model;
        Step step = current.get();
        step.regularization = graph.calcRegularizationScore(true);
        step.predictions = headPredictions(graph, activations);
    }

    private static INDArray headPredictions(ComputationGraph graph, Map<String, INDArray> activations) {
        String head = graph.getConfiguration().getNetworkOutputs().get(0);
        GraphVertex conf = graph.getConfiguration().getVertices().get(head);
        Layer layer = graph.getOutputLayer(0);
        if (!(layer instanceof org.deeplearning4j.nn.layers.OutputLayer) || !(conf instanceof LayerVertex lv)) {
            return null;
        }
        INDArray x = activations.get(graph.getConfiguration().getVertexInputs().get(head).get(0));
        if (x != null && lv.getPreProcessor() != null) {
            // the Swin's head reads pooled tokens [b, C] through DL4J's RnnToFeedForward, which passes them as they are
            x = lv.getPreProcessor().preProcess(x, (int) x.size(0), LayerWorkspaceMgr.noWorkspaces());
        }
        if (x == null || x.rank() != 2) {
            return null;
        }
        INDArray logits = x.mmul(layer.getParam("W"));
        INDArray bias = layer.getParam("b");
        if (bias != null) {
            logits.addiRowVector(bias);
        }
        return logits.argMax(1);
    }

    @Override
    public void onBackwardPass(Model model) {
        // the labels reach the output layer only now
        Step step = current.get();
        if (step.predictions != null) {
            INDArray labels = ((IOutputLayer) ((ComputationGraph) model).getOutputLayer(0)).getLabels();
            INDArray truth = labels.argMax(1);
            long hits = truth.eq(step.predictions.castTo(truth.dataType())).castTo(DataType.INT32).sumNumber()
                    .longValue();
            step.predictions = null;
            addCorrect(hits, labels.size(0));
        }
    }

    private synchronized void addCorrect(long hits, long n) {
        correct += hits;
        measuredExamples += n;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        ComputationGraph graph = (ComputationGraph) model;
        double loss = graph.score() - current.get().regularization;
        String head = graph.getConfiguration().getNetworkOutputs().get(0);
        Double rate = graph.getLearningRate(head);
        double lr = rate == null ? Double.NaN : rate;
        if (!Double.isFinite(loss)) {
            throw new TrainingDivergedException(iteration + 1, loss, lr);
        }
        long n = graph.batchSize();
        synchronized (this) {
            steps++;
            examples += n;
            lossSum += loss * n;
            learningRate = lr;
        }
    }

    /** The sums since the previous call, and the learning rate of the latest step. */
    synchronized Totals take() {
        Totals t = new Totals(steps, examples, lossSum, correct, measuredExamples, learningRate);
        steps = 0;
        examples = 0;
        lossSum = 0;
        correct = 0;
        measuredExamples = 0;
        return t;
    }
}
