package io.github.visionzoo.zoo.train;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link BatchStats} on the Spark workers: each worker network measures its steps as on one machine (loss without the
 * regularization term, accuracy from the head), and the sums travel to the driver in Spark accumulators, one set per
 * epoch. A non-finite loss is counted rather than thrown, so that the driver can stop the run with a
 * {@link TrainingDivergedException} before it saves anything.
 *
 * <p>DL4J's {@code SharedTrainingMaster} attaches the listeners to a worker's network once, in its first task, and
 * keeps that network for later epochs, whose tasks deserialize fresh copies that are never attached. An accumulator
 * only reports from the task that deserialized it, so the attached copy adds its sums to a live copy of the same run
 * in this JVM (one deserialized by a running task) when it is no longer live itself.
 */
final class SparkStepStats extends BaseTrainingListener implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Copies deserialized by tasks that are still running in this JVM. */
    private static final Set<SparkStepStats> LIVE = ConcurrentHashMap.newKeySet();

    private final String runId;
    private final LongAccumulator steps;
    private final LongAccumulator examples;
    private final DoubleAccumulator lossSum;
    private final LongAccumulator correct;
    private final LongAccumulator measured;
    private final LongAccumulator nonFinite;
    private transient BatchStats stats;

    /** A set of accumulators for one epoch of run {@code runId}, registered with {@code sc}. */
    SparkStepStats(JavaSparkContext sc, String runId) {
        this.runId = runId;
        this.steps = sc.sc().longAccumulator("visionzoo steps");
        this.examples = sc.sc().longAccumulator("visionzoo examples");
        this.lossSum = sc.sc().doubleAccumulator("visionzoo loss sum");
        this.correct = sc.sc().longAccumulator("visionzoo correct");
        this.measured = sc.sc().longAccumulator("visionzoo measured");
        this.nonFinite = sc.sc().longAccumulator("visionzoo non-finite losses");
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        TaskContext task = TaskContext.get();
        if (task != null) {
            LIVE.add(this);
            task.addTaskCompletionListener((TaskCompletionListener) context -> LIVE.remove(this));
        }
    }

    private BatchStats stats() {
        if (stats == null) {
            stats = new BatchStats();
        }
        return stats;
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        stats().onForwardPass(model, activations);
    }

    @Override
    public void onBackwardPass(Model model) {
        stats().onBackwardPass(model);
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        SparkStepStats sink = sink();
        try {
            stats().iterationDone(model, iteration, epoch);
        } catch (TrainingDivergedException e) {
            sink.nonFinite.add(1);
            return;
        }
        BatchStats.Totals t = stats().take();
        sink.steps.add(t.steps());
        sink.examples.add(t.examples());
        sink.lossSum.add(t.lossSum());
        sink.correct.add(t.correct());
        sink.measured.add(t.measuredExamples());
    }

    /** This copy while its task runs, else a live copy of the same run, else this one. */
    private SparkStepStats sink() {
        if (LIVE.contains(this)) {
            return this;
        }
        for (SparkStepStats s : LIVE) {
            if (s.runId.equals(runId)) {
                return s;
            }
        }
        return this;
    }

    /** What the workers measured, read on the driver after the epoch's jobs. */
    BatchStats.Totals totals(double learningRate) {
        return new BatchStats.Totals((int) (long) steps.value(), examples.value(), lossSum.value(), correct.value(),
                measured.value(), learningRate);
    }

    /** Steps whose loss was NaN or infinite. */
    long nonFiniteSteps() {
        return nonFinite.value();
    }
}
