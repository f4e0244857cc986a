package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.ModelSpec;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the single-machine {@link Trainer} and the {@link SparkTrainer} share: the {@link RunDirectory} they train
 * into, the options both take (the model's name, the checkpoints kept, the console), and the course of {@code fit}
 * and {@code resume} around their own training loops: the directory locked while they train, a new run refused where
 * one is, a finished run's summary returned as it is, and a run resumed to more epochs with its recipe applied anew
 * for the longer schedule.
 *
 * @param <T> the trainer itself, which each option returns
 * @param <D> its training data: a {@link DataSetIterator} or {@link SparkTrainer.Data}
 */
public abstract sealed class RunTrainer<T extends RunTrainer<T, D>, D> permits Trainer, SparkTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(RunTrainer.class);

    /** The console output. */
    public enum Console {
        /** A progress bar on a terminal ({@code System.console() != null}), plain lines otherwise. */
        AUTO,
        /** A progress bar per epoch with images/s, loss, accuracy and ETA. */
        BAR,
        /** A line every metrics window and one per epoch. */
        PLAIN,
        /** Nothing. */
        QUIET
    }

    /** The options both trainers take: by default the model named {@code model}, the newest 3 checkpoints kept. */
    record Options(String modelName, int keepLast, Console console) {
        static final Options DEFAULT = new Options("model", 3, Console.AUTO);
    }

    private final RunDirectory run;
    private final Options options;

    RunTrainer(RunDirectory run, Options options) {
        this.run = Objects.requireNonNull(run, "runDir");
        this.options = options;
    }

    /** This trainer with {@code options} in place of its shared options, its own kept. */
    abstract T with(Options options);

    /** The name recorded in checkpoints and the summary, e.g. the {@code Zoo} name. */
    public T withModelName(String modelName) {
        if (modelName == null || modelName.isBlank()) {
            throw new IllegalArgumentException("modelName must not be blank");
        }
        return with(new Options(modelName, options.keepLast(), options.console()));
    }

    /** How many of the newest checkpoints to keep, besides {@value RunDirectory#BEST}. */
    public T withKeepLast(int keepLast) {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be >= 1, was " + keepLast);
        }
        return with(new Options(options.modelName(), keepLast, options.console()));
    }

    public T withConsole(Console console) {
        return with(new Options(options.modelName(), options.keepLast(), Objects.requireNonNull(console,
                "console")));
    }

    public RunDirectory runDirectory() {
        return run;
    }

    Options options() {
        return options;
    }

    /**
     * The newest loadable checkpoint of the run ({@link RunDirectory#latest()}): after {@code fit} or {@code resume},
     * the trained network (the trainer trains a copy of the graph it is given, with the recipe's updater).
     */
    public Checkpoint latest() {
        return run.latest();
    }

    /** The epoch-end checkpoint with the best validation top-1 ({@value RunDirectory#BEST}). */
    public Checkpoint best() {
        return run.best();
    }

    /**
     * Trains a copy of {@code graph}, its parameters with the recipe's updater, from the start; {@link #latest()} and
     * {@link #best()} give the trained network. The checkpoints record no spec, so exporting them needs the model
     * named; the overload with a {@link ModelSpec} records it.
     *
     * @param train the training data
     * @param val   the validation batches, evaluated at each epoch end
     * @throws IllegalStateException     when the run directory already holds a run (resume it instead)
     * @throws RunLock.InUseException    when another process trains in the run directory
     * @throws TrainingDivergedException when the loss, a parameter or the updater state is NaN or infinite
     */
    public TrainingResult fit(ComputationGraph graph, TrainingRecipe recipe, D train, DataSetIterator val) {
        return fit(graph, null, recipe, train, val);
    }

    /**
     * {@link #fit(ComputationGraph, TrainingRecipe, Object, DataSetIterator) fit} for a graph built from {@code spec}
     * (by {@link io.github.visionzoo.zoo.Zoo#create}, or fine-tuned from such a graph), which the checkpoints record
     * so that exporting, evaluating and predicting know the architecture and its input size.
     *
     * @param spec the graph's spec, its head named as the graph's output; null when there is none
     */
    public TrainingResult fit(ComputationGraph graph, ModelSpec spec, TrainingRecipe recipe, D train,
                              DataSetIterator val) {
        requireReady();
        try (RunLock lock = run.lock()) {
            if (run.holdsRun()) {
                throw new IllegalStateException("run directory " + run + " already holds checkpoints: call resume()"
                        + " to continue that run, or train into an empty directory");
            }
            return start(graph, spec, recipe, train, val);
        }
    }

    /**
     * Continues the run of this trainer's directory from its newest loadable checkpoint, with the recipe, position
     * and model recorded there; damaged checkpoints are skipped (and renamed {@code *.corrupt}). The data must be
     * that of the original run.
     *
     * @return the result; at once when the run had already finished
     * @throws RunLock.InUseException when another process trains in the run directory
     */
    public TrainingResult resume(D train, DataSetIterator val) {
        return resume(train, val, null);
    }

    /**
     * {@link #resume(Object, DataSetIterator)} to {@code epochs} epochs in all instead of the recipe's: a finished run
     * is extended, as with timm's {@code --resume} and a larger {@code --epochs}. The recipe's schedule is recomputed
     * for the new length and goes on from the iteration reached, so a cosine schedule, which had decayed to its
     * minimum at the old end, continues on the longer curve: the rate rises again to that curve's value at the
     * iteration reached and decays to the minimum at the new end. Constant and step schedules do not depend on the
     * length. The parameters and the optimizer's state carry over; {@value RunDirectory#RECIPE} and the checkpoints
     * record the new length.
     *
     * @param epochs epochs in all, counting those done; more than the run has completed unless it is the recipe's
     * @throws IllegalArgumentException when {@code epochs} is not more than the epochs completed
     */
    public TrainingResult resume(D train, DataSetIterator val, int epochs) {
        return resume(train, val, Integer.valueOf(epochs));
    }

    private TrainingResult resume(D train, DataSetIterator val, Integer epochs) {
        requireReady();
        try (RunLock lock = run.lock()) {
            Checkpoint checkpoint = run.latest();
            if (RunDirectory.isFinished(checkpoint.info(), epochs)) {
                return run.summary();
            }
            return resume(checkpoint, epochs, train, val);
        }
    }

    /** {@link #fit} in the locked run directory, which holds no run. */
    abstract TrainingResult start(ComputationGraph graph, ModelSpec spec, TrainingRecipe recipe, D train,
                                  DataSetIterator val);

    /**
     * {@link #resume} in the locked run directory, from {@code checkpoint}, its run not finished or to be extended;
     * {@link #resumePoint} turns it into the checkpoint to train on from.
     */
    abstract TrainingResult resume(Checkpoint checkpoint, Integer epochs, D train, DataSetIterator val);

    /** Fails before the run directory is touched when the trainer cannot train as configured. */
    void requireReady() {
    }

    /**
     * The info a new run starts from, for {@code net}, the graph with the recipe applied, whose output is the head;
     * writes {@value RunDirectory#RECIPE}.
     *
     * @param dataClasses the classes of the training data, 0 when unknown
     * @param data        what the data is, for the message when its classes are not the head's
     */
    final Checkpoint.Info startInfo(ComputationGraph net, ModelSpec spec, TrainingRecipe recipe,
                                    List<String> classNames, int dataClasses, String data) {
        String head = net.getConfiguration().getNetworkOutputs().get(0);
        int classes = numClasses(net, head);
        if (spec != null && !spec.headName().equals(head)) {
            throw new IllegalArgumentException("the spec's head '" + spec.headName() + "' is not the graph's output '"
                    + head + "': give the spec the graph was built from");
        }
        if (dataClasses > 0 && dataClasses != classes) {
            throw new IllegalArgumentException(data + " has " + dataClasses + " classes, the model's head '" + head
                    + "' " + classes + "; replace the head (FineTune) or build the model with " + dataClasses
                    + " classes");
        }
        run.writeRecipe(recipe);
        return Checkpoint.Info.start(options.modelName(), head, classes, classNames, recipe, spec);
    }

    /**
     * The checkpoint to resume from when training to {@code epochs} (null: the recipe's): as loaded when that is the
     * recipe's length, else with the recipe's epochs changed and applied to the network, its parameters, optimizer
     * state and position kept, and the run directory's {@value RunDirectory#RECIPE} rewritten.
     *
     * @param stepsPerEpoch optimizer steps per epoch, for the schedule
     */
    final Checkpoint resumePoint(Checkpoint checkpoint, Integer epochs, int stepsPerEpoch) {
        Checkpoint.Info info = checkpoint.info();
        if (epochs != null && epochs != info.recipe().epochs()) {
            if (epochs <= info.epochsCompleted()) {
                throw new IllegalArgumentException("cannot train the run in " + run + " to " + epochs
                        + " epochs: it has completed " + info.epochsCompleted() + "; give more epochs to extend it");
            }
            TrainingRecipe recipe = info.recipe().withEpochs(epochs);
            ComputationGraph loaded = checkpoint.graph();
            ComputationGraph graph = recipe.applyTo(loaded, stepsPerEpoch);
            graph.getUpdater().setStateViewArray(loaded.getUpdater().getStateViewArray().dup());
            graph.getConfiguration().setIterationCount(loaded.getConfiguration().getIterationCount());
            graph.getConfiguration().setEpochCount(loaded.getConfiguration().getEpochCount());
            run.writeRecipe(recipe);
            LOG.info("training the run in {} to {} epochs instead of {}", run, epochs, info.recipe().epochs());
            checkpoint = new Checkpoint(checkpoint.file(), info.withRecipe(recipe), graph);
            info = checkpoint.info();
        }
        LOG.info("resuming {} from {} (epoch {}, iteration {})", info.model(), checkpoint.file().getFileName(),
                info.epochsCompleted() + 1, info.iteration());
        return checkpoint;
    }

    /** The classes of the classifier {@code head}. */
    static int numClasses(ComputationGraph graph, String head) {
        if (graph.getLayer(head) != null
                && graph.getLayer(head).conf().getLayer() instanceof FeedForwardLayer f) {
            return (int) f.getNOut();
        }
        throw new IllegalArgumentException("the graph's output '" + head + "' is not a layer with nOut: the trainer"
                + " expects a classifier head such as an OutputLayer");
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
