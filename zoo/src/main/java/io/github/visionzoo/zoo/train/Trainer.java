package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.AtomicFiles;
import io.github.visionzoo.zoo.CpuThreads;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.layers.NativeTemporaries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link ComputationGraph} for a {@link TrainingRecipe} into a run directory, evaluating on a validation
 * iterator at each epoch end, and resumes a killed run from that directory.
 *
 * <pre>{@code
 * TrainingRecipe recipe = Recipes.get("cpu-small");
 * Trainer trainer = new Trainer(Path.of("runs/resnet18")).withModelName("resnet18").withCheckpointEvery(500);
 * TrainingResult result = trainer.fit(Zoo.create("resnet18", 10), recipe, train, val);
 * // after a crash or a kill:
 * TrainingResult resumed = trainer.resume(train, val);
 * }</pre>
 *
 * <p>The run directory holds:
 * <ul>
 * <li>{@code ckpt-e<epochs done>-i<iteration>.zip}: {@link Checkpoint}s every {@link #withCheckpointEvery N}
 * iterations and at each epoch end, the newest {@link #withKeepLast K} kept; {@value #BEST}, the epoch-end
 * checkpoint with the best validation top-1 (a hard link where the file system allows);
 * <li>{@value #METRICS} ({@link Metrics}), {@value #SUMMARY} ({@link TrainingResult}), {@value #RECIPE}, and
 * {@value #CONFUSION_JSON} with the charts {@code loss.png}, {@code accuracy.png}, {@code confusion.png} of the
 * latest epoch; every file but the metrics log is replaced atomically;
 * <li>{@value RunLock#FILE}: {@link #fit} and {@link #resume} hold a {@link RunLock} on the directory, so a second
 * process cannot train into it at the same time.
 * </ul>
 *
 * <p>Reproducibility: before each epoch the training iterator is reset and, when it is {@link EpochAware}, told the
 * epoch, so its order depends on (seed, epoch) only; before each step ND4J's random generator (dropout) is reseeded
 * from (recipe seed, iteration). A run stopped and resumed from a checkpoint therefore computes, on the CPU with one
 * worker, the same losses and parameters as an uninterrupted one; a resumption within an epoch skips the batches
 * already trained by reading them. On CUDA, cuDNN's non-deterministic algorithms may make the two differ slightly.
 *
 * <p>At each epoch end the trainer runs a full garbage collection (so that the epoch's dead ND4J arrays free their
 * native memory and G1 sizes the Java heap to what is live; 30-40 ms for a small model) and hands the native memory
 * that malloc keeps free back to the operating system ({@link CpuThreads#trimMalloc()}), so that the resident memory
 * of a long run does not carry every epoch's freed temporaries. {@code -XX:+DisableExplicitGC} turns the collection
 * off.
 *
 * <p>A NaN or infinite loss stops training with a {@link TrainingDivergedException} naming the iteration, and so do
 * parameters or updater state that are no longer finite when a checkpoint is due or an epoch ends (the loss can stay
 * finite while a batch norm's variance overflows). Nothing is evaluated or saved after it, so the run directory keeps
 * its last good checkpoint, which the message names; {@link Checkpoint} never writes non-finite values.
 *
 * <p>Several devices: with {@link #withWorkers workers} &gt; 1 (or 0, one per device, when there are several),
 * training runs in DL4J's {@link ParallelWrapper} with the recipe's {@link TrainingRecipe.Parallel} mode. Each worker
 * takes one batch per step, so a step covers {@code workers x batchSize} examples and schedules count such steps;
 * checkpoints are written at epoch ends only, and reseeding per step does not reach the workers' threads, so resuming
 * is not bit-exact. On CUDA the workers are spread over the GPUs by ND4J's affinity manager (one worker per GPU
 * is the intended use; the machine needs the {@code cuda} profile's backend and one cuDNN-capable GPU per worker);
 * on the CPU the workers are threads sharing the cores, which runs correctly but is rarely faster. Tested: two CPU
 * workers in both modes; multi-GPU has not been run in this project's tests.
 *
 * <p>The DL4J training UI ({@link #withUi}) needs {@code org.deeplearning4j:deeplearning4j-ui} (same version as DL4J) on
 * the class path; visionzoo declares it optional, so add it to your build to use the UI.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    /** The best epoch-end checkpoint of a run. */
    public static final String BEST = "best.zip";
    public static final String METRICS = "metrics.jsonl";
    public static final String SUMMARY = "summary.json";
    public static final String RECIPE = "recipe.json";
    public static final String CONFUSION_JSON = "confusion.json";

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

    private final Path runDir;
    private final String modelName;
    private final int checkpointEvery;
    private final int keepLast;
    private final int metricsWindow;
    private final int workers;
    private final boolean ui;
    private final Console console;

    /** A trainer writing to {@code runDir}: checkpoints at epoch ends only, the newest 3 kept, metrics every 50 steps,
     * one worker per device, no UI, console {@link Console#AUTO}. */
    public Trainer(Path runDir) {
        this(runDir, "model", 0, 3, 50, 0, false, Console.AUTO);
    }

    private Trainer(Path runDir, String modelName, int checkpointEvery, int keepLast, int metricsWindow, int workers,
                    boolean ui, Console console) {
        this.runDir = runDir;
        this.modelName = modelName;
        this.checkpointEvery = checkpointEvery;
        this.keepLast = keepLast;
        this.metricsWindow = metricsWindow;
        this.workers = workers;
        this.ui = ui;
        this.console = console;
    }

    /** The name recorded in checkpoints and the summary, e.g. the {@code Zoo} name. */
    public Trainer withModelName(String modelName) {
        if (modelName == null || modelName.isBlank()) {
            throw new IllegalArgumentException("modelName must not be blank");
        }
        return new Trainer(runDir, modelName, checkpointEvery, keepLast, metricsWindow, workers, ui, console);
    }

    /** A checkpoint every {@code iterations} optimizer steps besides those at epoch ends; 0 for epoch ends only. */
    public Trainer withCheckpointEvery(int iterations) {
        if (iterations < 0) {
            throw new IllegalArgumentException("checkpointEvery must be >= 0 (0: at epoch ends only), was "
                    + iterations);
        }
        return new Trainer(runDir, modelName, iterations, keepLast, metricsWindow, workers, ui, console);
    }

    /** How many of the newest checkpoints to keep, besides {@value #BEST}. */
    public Trainer withKeepLast(int keepLast) {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be >= 1, was " + keepLast);
        }
        return new Trainer(runDir, modelName, checkpointEvery, keepLast, metricsWindow, workers, ui, console);
    }

    /** Optimizer steps per line of {@value #METRICS} (and per plain console line). */
    public Trainer withMetricsWindow(int iterations) {
        if (iterations < 1) {
            throw new IllegalArgumentException("metricsWindow must be >= 1, was " + iterations);
        }
        return new Trainer(runDir, modelName, checkpointEvery, keepLast, iterations, workers, ui, console);
    }

    /** Parallel workers: 1 trains in this thread; 0 means one per device (ND4J's count: GPUs, or 1 on the CPU). */
    public Trainer withWorkers(int workers) {
        if (workers < 0) {
            throw new IllegalArgumentException("workers must be >= 0 (0: one per device), was " + workers);
        }
        return new Trainer(runDir, modelName, checkpointEvery, keepLast, metricsWindow, workers, ui, console);
    }

    /** Reports to DL4J's training UI as well; needs {@code org.deeplearning4j:deeplearning4j-ui}. */
    public Trainer withUi(boolean ui) {
        return new Trainer(runDir, modelName, checkpointEvery, keepLast, metricsWindow, workers, ui, console);
    }

    public Trainer withConsole(Console console) {
        return new Trainer(runDir, modelName, checkpointEvery, keepLast, metricsWindow, workers, ui,
                Objects.requireNonNull(console, "console"));
    }

    /**
     * The newest loadable checkpoint of the run: after {@link #fit} or {@link #resume}, the trained network (the
     * trainer trains a copy of the graph it is given, with the recipe's updater).
     */
    public Checkpoint latest() {
        return Checkpoints.newestGood(runDir);
    }

    /** The epoch-end checkpoint with the best validation top-1 ({@value #BEST}). */
    public Checkpoint best() {
        return Checkpoint.load(runDir.resolve(BEST));
    }

    /**
     * Trains a copy of {@code graph}, its parameters with the recipe's updater, from the start; {@link #latest()} and
     * {@link #best()} give the trained network. The checkpoints record no spec, so exporting them needs the model
     * named; {@link #fit(ComputationGraph, ModelSpec, TrainingRecipe, DataSetIterator, DataSetIterator)} records it.
     *
     * @param train the training batches; reset before each epoch, so it must support reset
     * @param val   the validation batches, evaluated at each epoch end
     * @throws IllegalStateException      when the run directory already holds a run (resume it instead)
     * @throws RunLock.InUseException     when another process trains in the run directory
     * @throws TrainingDivergedException  when the loss, a parameter or the updater state is NaN or infinite
     */
    public TrainingResult fit(ComputationGraph graph, TrainingRecipe recipe, DataSetIterator train,
                              DataSetIterator val) {
        return fit(graph, null, recipe, train, val);
    }

    /**
     * {@link #fit(ComputationGraph, TrainingRecipe, DataSetIterator, DataSetIterator) fit} for a graph built from
     * {@code spec} (by {@link io.github.visionzoo.zoo.Zoo#create}, or fine-tuned from such a graph), which the
     * checkpoints record so that exporting, evaluating and predicting know the architecture and its input size.
     *
     * @param spec the graph's spec, its head named as the graph's output; null when there is none
     */
    public TrainingResult fit(ComputationGraph graph, ModelSpec spec, TrainingRecipe recipe, DataSetIterator train,
                              DataSetIterator val) {
        requireUiIfAsked();
        try (RunLock lock = RunLock.acquire(runDir)) {
            return start(graph, spec, recipe, train, val);
        }
    }

    /** {@link #fit} in the locked run directory. */
    private TrainingResult start(ComputationGraph graph, ModelSpec spec, TrainingRecipe recipe, DataSetIterator train,
                                 DataSetIterator val) {
        if (holdsRun(runDir)) {
            throw new IllegalStateException("run directory " + runDir + " already holds checkpoints: call resume()"
                    + " to continue that run, or train into an empty directory");
        }
        int batches = batchesPerEpoch(train);
        int activeWorkers = activeWorkers();
        ComputationGraph net = recipe.applyTo(graph, ceilDiv(batches, activeWorkers));
        String head = net.getConfiguration().getNetworkOutputs().get(0);
        int classes = numClasses(net, head);
        requireSpecHead(spec, head);
        if (train.totalOutcomes() > 0 && train.totalOutcomes() != classes) {
            throw new IllegalArgumentException("the training iterator has " + train.totalOutcomes()
                    + " classes, the model's head '" + head + "' " + classes + "; replace the head (FineTune)"
                    + " or build the model with " + train.totalOutcomes() + " classes");
        }
        if (train.batch() > 0 && train.batch() != recipe.batchSize()) {
            LOG.warn("the training iterator's batch size is {}, the recipe's {}", train.batch(), recipe.batchSize());
        }
        List<String> names = train.getLabels() == null ? List.of() : train.getLabels();
        writeRecipe(runDir, recipe);
        Checkpoint.Info start = new Checkpoint.Info(Checkpoint.FORMAT, modelName, head, classes, names, recipe, 0, 0,
                0, recipe.seed(), null, null, 0, null, spec, null);
        return new Run(net, start, batches, activeWorkers).train(train, val);
    }

    /**
     * Continues the run of this trainer's directory from its newest loadable checkpoint, with the recipe, position
     * and model recorded there; damaged checkpoints are skipped (and renamed {@code *.corrupt}). The iterators must
     * yield the same data as those of the original run. A resumption within an epoch reports that epoch's loss and
     * accuracy over all its batches, those before the checkpoint included.
     *
     * @return the result; at once when the run had already finished
     * @throws RunLock.InUseException when another process trains in the run directory
     */
    public TrainingResult resume(DataSetIterator train, DataSetIterator val) {
        return resume(train, val, null);
    }

    /**
     * {@link #resume(DataSetIterator, DataSetIterator)} to {@code epochs} epochs in all instead of the recipe's: a
     * finished run is extended, as with timm's {@code --resume} and a larger {@code --epochs}. The recipe's schedule
     * is recomputed for the new length and goes on from the iteration reached, so a cosine schedule, which had
     * decayed to its minimum at the old end, continues on the longer curve: the rate rises again to that curve's
     * value at the iteration reached and decays to the minimum at the new end. Constant and step schedules do not
     * depend on the length. The parameters and the optimizer's state carry over; {@value #RECIPE} and the
     * checkpoints record the new length.
     *
     * @param epochs epochs in all, counting those done; more than the run has completed unless it is the recipe's
     * @throws IllegalArgumentException when {@code epochs} is not more than the epochs completed
     */
    public TrainingResult resume(DataSetIterator train, DataSetIterator val, int epochs) {
        return resume(train, val, Integer.valueOf(epochs));
    }

    private TrainingResult resume(DataSetIterator train, DataSetIterator val, Integer epochs) {
        requireUiIfAsked();
        try (RunLock lock = RunLock.acquire(runDir)) {
            Checkpoint checkpoint = Checkpoints.newestGood(runDir);
            Checkpoint.Info info = checkpoint.info();
            if (isFinished(info, epochs)) {
                return finishedResult(runDir);
            }
            int batches = batchesPerEpoch(train);
            int activeWorkers = activeWorkers();
            checkpoint = toEpochs(checkpoint, epochs, ceilDiv(batches, activeWorkers), runDir);
            info = checkpoint.info();
            LOG.info("resuming {} from {} (epoch {}, iteration {})", info.model(), checkpoint.file().getFileName(),
                    info.epochsCompleted() + 1, info.iteration());
            return new Run(checkpoint.graph(), info, batches, activeWorkers).train(train, val);
        }
    }

    /** Whether the run of {@code info} has finished and is to stay so: {@code epochs} null or the recipe's. */
    static boolean isFinished(Checkpoint.Info info, Integer epochs) {
        return info.epochsCompleted() >= info.recipe().epochs()
                && (epochs == null || epochs == info.recipe().epochs());
    }

    /** The summary of a finished run. */
    static TrainingResult finishedResult(Path runDir) {
        if (!Files.exists(runDir.resolve(SUMMARY))) {
            throw new IllegalStateException("the run in " + runDir + " has finished, but its " + SUMMARY
                    + " is missing");
        }
        return Json.read(runDir.resolve(SUMMARY), TrainingResult.class);
    }

    /**
     * The checkpoint to resume from when training to {@code epochs} (null: the recipe's): as loaded when that is the
     * recipe's length, else with the recipe's epochs changed and applied to the network, its parameters, optimizer
     * state and position kept, and the run directory's {@value #RECIPE} rewritten.
     *
     * @param stepsPerEpoch optimizer steps per epoch, for the schedule
     */
    static Checkpoint toEpochs(Checkpoint checkpoint, Integer epochs, int stepsPerEpoch, Path runDir) {
        Checkpoint.Info info = checkpoint.info();
        if (epochs == null || epochs == info.recipe().epochs()) {
            return checkpoint;
        }
        if (epochs <= info.epochsCompleted()) {
            throw new IllegalArgumentException("cannot train the run in " + runDir + " to " + epochs
                    + " epochs: it has completed " + info.epochsCompleted() + "; give more epochs to extend it");
        }
        TrainingRecipe recipe = info.recipe().withEpochs(epochs);
        ComputationGraph loaded = checkpoint.graph();
        ComputationGraph graph = recipe.applyTo(loaded, stepsPerEpoch);
        graph.getUpdater().setStateViewArray(loaded.getUpdater().getStateViewArray().dup());
        graph.getConfiguration().setIterationCount(loaded.getConfiguration().getIterationCount());
        graph.getConfiguration().setEpochCount(loaded.getConfiguration().getEpochCount());
        writeRecipe(runDir, recipe);
        LOG.info("training the run in {} to {} epochs instead of {}", runDir, epochs, info.recipe().epochs());
        return new Checkpoint(checkpoint.file(), new Checkpoint.Info(info.format(), info.model(), info.headName(),
                info.numClasses(), info.classNames(), recipe, info.epochsCompleted(), info.batchesInEpoch(),
                info.iteration(), info.dataSeed(), info.valTop1(), info.valTop5(), info.wallSeconds(),
                info.modelSha256(), info.spec(), info.epochTotals()), graph);
    }

    static void writeRecipe(Path runDir, TrainingRecipe recipe) {
        try {
            Files.createDirectories(runDir);
            AtomicFiles.writeString(runDir.resolve(RECIPE), recipe.toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to run directory " + runDir + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code runDir} already holds a run (checkpoints or a best model), which only {@code resume} continues. */
    public static boolean holdsRun(Path runDir) {
        return !Checkpoints.list(runDir).isEmpty() || Files.exists(runDir.resolve(BEST));
    }

    /**
     * The metadata (recipe, position, classes) of the newest readable checkpoint in {@code runDir}, without loading
     * the model: what a caller needs to rebuild the run's data before {@link #resume}.
     *
     * @throws IllegalArgumentException when {@code runDir} has no readable checkpoint
     */
    public static Checkpoint.Info newestCheckpointInfo(Path runDir) {
        List<Path> files = Checkpoints.list(runDir);
        String newestProblem = null;
        for (Path file : files) {
            try {
                return Checkpoint.readInfo(file);
            } catch (RuntimeException e) {
                // not logged: resume() reports a damaged checkpoint once, when it sets the file aside
                newestProblem = newestProblem != null ? newestProblem : e.getMessage();
            }
        }
        if (newestProblem != null) {
            throw new IllegalArgumentException("every checkpoint (ckpt-*.zip) in " + runDir + " is damaged, so the run"
                    + " cannot be resumed; the newest: " + newestProblem);
        }
        if (Files.exists(runDir.resolve(RECIPE))) {
            throw new IllegalArgumentException(runDir + " has no checkpoint: its run stopped before writing the first"
                    + " one, so there is nothing to resume; start it again with train --run-dir " + runDir
                    + " and the same options");
        }
        throw new IllegalArgumentException(runDir + " holds no run (no ckpt-*.zip); give the run directory of a run"
                + " started with train");
    }

    private int activeWorkers() {
        return workers > 0 ? workers : Math.max(1, Nd4j.getAffinityManager().getNumberOfDevices());
    }

    private static int batchesPerEpoch(DataSetIterator train) {
        int known = train instanceof EpochAware e ? e.batchesPerEpoch() : -1;
        if (known > 0) {
            return known;
        }
        LOG.info("counting the training batches with one pass; implement EpochAware.batchesPerEpoch to skip it");
        requireReset(train);
        train.reset();
        int n = 0;
        while (train.hasNext()) {
            train.next();
            n++;
        }
        train.reset();
        if (n == 0) {
            throw new IllegalArgumentException("the training iterator yielded no batches");
        }
        return n;
    }

    private static void requireReset(DataSetIterator it) {
        if (!it.resetSupported()) {
            throw new IllegalArgumentException(it.getClass().getName() + " does not support reset(); the trainer"
                    + " resets the training iterator before each epoch");
        }
    }

    static void requireSpecHead(ModelSpec spec, String head) {
        if (spec != null && !spec.headName().equals(head)) {
            throw new IllegalArgumentException("the spec's head '" + spec.headName() + "' is not the graph's output '"
                    + head + "': give the spec the graph was built from");
        }
    }

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

    /** A seed per step from the recipe's seed and the iteration (SplitMix64's finalizer). */
    static long stepSeed(long seed, int iteration) {
        long z = seed + 0x9E3779B97F4A7C15L * (iteration + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** One call of fit or resume: the network, its data, and where the run stands ({@link RunState}). */
    private final class Run {
        private final ComputationGraph graph;
        private final Checkpoint.Info start;
        private final TrainingRecipe recipe;
        private final int batches;
        private final int activeWorkers;
        private final BatchStats stats = new BatchStats();
        private final DataSetPreProcessor smoothing;
        private RunState state;

        Run(ComputationGraph graph, Checkpoint.Info start, int batches, int activeWorkers) {
            this.graph = graph;
            this.start = start;
            this.recipe = start.recipe();
            this.batches = batches;
            this.activeWorkers = activeWorkers;
            this.smoothing = recipe.labelSmoothing() > 0 ? new LabelSmoothing(recipe.labelSmoothing()) : null;
        }

        TrainingResult train(DataSetIterator train, DataSetIterator val) {
            requireReset(train);
            List<TrainingListener> listeners = new ArrayList<>(List.of(stats));
            if (ui) {
                listeners.add(TrainingUi.listener());
            }
            if (activeWorkers == 1) {
                graph.setListeners(listeners);
            } else if (checkpointEvery > 0) {
                LOG.warn("with {} workers, checkpoints are written at epoch ends only", activeWorkers);
            }
            TrainingResult result = null;
            try (RunState s = new RunState(runDir, start, batches, activeWorkers, keepLast, metricsWindow, console)) {
                state = s;
                for (int epoch = s.epochsCompleted(); epoch < recipe.epochs(); epoch++) {
                    train.reset();
                    if (train instanceof EpochAware e) {
                        e.setEpoch(epoch);
                    }
                    skip(train, s.batchesInEpoch());
                    s.startEpoch(epoch);
                    if (activeWorkers == 1) {
                        trainEpoch(train);
                    } else {
                        trainEpochInParallel(train, listeners);
                    }
                    result = s.endEpoch(graph, val, s.epochSeconds());
                    releaseMemory();
                }
            } catch (TrainingDivergedException e) {
                throw e.inRunDirectory(runDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write to " + runDir + ": " + e.getMessage(), e);
            } finally {
                graph.setListeners(new ArrayList<TrainingListener>());
            }
            return result;
        }

        /**
         * A full collection, so that the epoch's dead ND4J arrays free their native memory and G1 sizes the heap to
         * what is live, the oneDNN passes' kept temporaries ({@link NativeTemporaries}), then
         * {@link CpuThreads#trimMalloc()}, since malloc keeps freed memory resident.
         */
        private static void releaseMemory() {
            System.gc();
            NativeTemporaries.release();
            CpuThreads.trimMalloc();
        }

        private void skip(DataSetIterator train, int done) {
            for (int i = 0; i < done; i++) {
                if (!train.hasNext()) {
                    throw new IllegalStateException("the training iterator ended after " + i + " batches, but the"
                            + " checkpoint had trained " + done + " of this epoch: resume with the same data");
                }
                train.next();
            }
        }

        private void trainEpoch(DataSetIterator train) {
            while (train.hasNext()) {
                DataSet batch = train.next();
                if (smoothing != null) {
                    smoothing.preProcess(batch);
                }
                int iteration = graph.getConfiguration().getIterationCount();
                Nd4j.getRandom().setSeed(stepSeed(recipe.seed(), iteration)); // dropout, reproducible on resume
                graph.fit(batch);
                state.record(stats.take(), 1, graph);
                if (checkpointEvery > 0 && (iteration + 1) % checkpointEvery == 0 && train.hasNext()) {
                    state.save(graph, null, null);
                }
            }
        }

        private void trainEpochInParallel(DataSetIterator train, List<TrainingListener> listeners) {
            TrainingRecipe.Parallel p = recipe.parallel();
            ParallelWrapper.Builder<ComputationGraph> builder = new ParallelWrapper.Builder<>(graph);
            builder.workers(activeWorkers); // returns a raw Builder
            if (p.mode().equals(TrainingRecipe.Parallel.AVERAGING)) {
                builder.trainingMode(ParallelWrapper.TrainingMode.AVERAGING).averagingFrequency(p.averagingFrequency());
            } else {
                builder.trainingMode(ParallelWrapper.TrainingMode.SHARED_GRADIENTS);
            }
            ParallelWrapper wrapper = builder.build();
            wrapper.setListeners(listeners);
            try {
                wrapper.fit(new FeedingIterator(train, smoothing, () -> state.record(stats.take(), 1, graph)));
                state.record(stats.take(), 0, graph);
            } catch (RuntimeException e) {
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (t instanceof TrainingDivergedException d) {
                        throw d;
                    }
                }
                throw e;
            } finally {
                wrapper.shutdown();
                // gradient sharing leaves its accumulator on the network, where a later fit() would wait for workers
                graph.setGradientsAccumulator(null);
            }
        }
    }

    /** The latest epoch's confusion matrix, as {@value #CONFUSION_JSON}. */
    record Confusion(int epoch, List<String> classNames, int[][] counts) {
    }

    /** Fails early when the UI is asked for but its optional dependency is missing. */
    private void requireUiIfAsked() {
        if (!ui) {
            return;
        }
        try {
            Class.forName(TrainingUi.PROBE_CLASS, false, Trainer.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the training UI needs org.deeplearning4j:deeplearning4j-ui:"
                    + "1.0.0-M2.1 on the class path (visionzoo declares it optional): add it to your build, or"
                    + " train without withUi(true)", e);
        }
    }
}
