package io.github.visionzoo.zoo.train;

import io.github.visionzoo.imagenette.EpochAware;
import io.github.visionzoo.zoo.CpuThreads;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.layers.NativeTemporaries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * <p>The training iterator is reset before each epoch, so it must support reset. The run directory
 * ({@link RunDirectory}) holds checkpoints every {@link #withCheckpointEvery N} iterations and at each epoch end, the
 * newest {@link #withKeepLast K} kept, the best one, the metrics, summary, recipe, confusion matrix and charts;
 * {@link #fit} and {@link #resume} hold its {@link RunLock}, so a second process cannot train into it at the same
 * time.
 *
 * <p>Reproducibility: before each epoch the training iterator is reset and, when it is {@link EpochAware} (as
 * datavec-imagenette's {@code ImagenetteIterator} is), told the epoch, so its order depends on (seed, epoch) only;
 * before each step ND4J's random generator (dropout) is reseeded from (recipe seed, iteration). A run stopped and
 * resumed from a checkpoint therefore computes, on the CPU with one worker, the same losses and parameters as an
 * uninterrupted one; a resumption within an epoch skips the batches already trained by reading them, and reports
 * that epoch's loss and accuracy over all its batches, those before the checkpoint included. On CUDA, cuDNN's
 * non-deterministic algorithms may make the two differ slightly.
 *
 * <p>At each epoch end the trainer runs a full garbage collection (so that the epoch's dead ND4J arrays free their
 * native memory and G1 sizes the Java heap to what is live; once an epoch, so its cost is small) and hands the
 * native memory that malloc keeps free back to the operating system ({@link CpuThreads#trimMalloc()}), so that the
 * resident memory of a long run does not carry every epoch's freed temporaries. {@code -XX:+DisableExplicitGC} turns the collection
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
public final class Trainer extends RunTrainer<Trainer, DataSetIterator> {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final int checkpointEvery;
    private final int metricsWindow;
    private final int workers;
    private final boolean ui;

    /** A trainer writing to {@code runDir}: checkpoints at epoch ends only, the newest 3 kept, metrics every 50 steps,
     * one worker per device, no UI, console {@link Console#AUTO}. */
    public Trainer(Path runDir) {
        this(new RunDirectory(runDir), Options.DEFAULT, 0, 50, 0, false);
    }

    private Trainer(RunDirectory run, Options options, int checkpointEvery, int metricsWindow, int workers,
                    boolean ui) {
        super(run, options);
        this.checkpointEvery = checkpointEvery;
        this.metricsWindow = metricsWindow;
        this.workers = workers;
        this.ui = ui;
    }

    @Override
    Trainer with(Options options) {
        return new Trainer(runDirectory(), options, checkpointEvery, metricsWindow, workers, ui);
    }

    /** A checkpoint every {@code iterations} optimizer steps besides those at epoch ends; 0 for epoch ends only. */
    public Trainer withCheckpointEvery(int iterations) {
        if (iterations < 0) {
            throw new IllegalArgumentException("checkpointEvery must be >= 0 (0: at epoch ends only), was "
                    + iterations);
        }
        return new Trainer(runDirectory(), options(), iterations, metricsWindow, workers, ui);
    }

    /** Optimizer steps per line of {@value RunDirectory#METRICS} (and per plain console line). */
    public Trainer withMetricsWindow(int iterations) {
        if (iterations < 1) {
            throw new IllegalArgumentException("metricsWindow must be >= 1, was " + iterations);
        }
        return new Trainer(runDirectory(), options(), checkpointEvery, iterations, workers, ui);
    }

    /** Parallel workers: 1 trains in this thread; 0 means one per device (ND4J's count: GPUs, or 1 on the CPU). */
    public Trainer withWorkers(int workers) {
        if (workers < 0) {
            throw new IllegalArgumentException("workers must be >= 0 (0: one per device), was " + workers);
        }
        return new Trainer(runDirectory(), options(), checkpointEvery, metricsWindow, workers, ui);
    }

    /** Reports to DL4J's training UI as well; needs {@code org.deeplearning4j:deeplearning4j-ui}. */
    public Trainer withUi(boolean ui) {
        return new Trainer(runDirectory(), options(), checkpointEvery, metricsWindow, workers, ui);
    }

    @Override
    TrainingResult start(ComputationGraph graph, ModelSpec spec, TrainingRecipe recipe, DataSetIterator train,
                         DataSetIterator val) {
        int batches = batchesPerEpoch(train);
        int activeWorkers = activeWorkers();
        ComputationGraph net = recipe.applyTo(graph, ceilDiv(batches, activeWorkers));
        Checkpoint.Info start = startInfo(net, spec, recipe, train.getLabels() == null ? List.of()
                : train.getLabels(), train.totalOutcomes(), "the training iterator");
        if (train.batch() > 0 && train.batch() != recipe.batchSize()) {
            LOG.warn("the training iterator's batch size is {}, the recipe's {}", train.batch(), recipe.batchSize());
        }
        return new Run(net, start, batches, activeWorkers).train(train, val);
    }

    @Override
    TrainingResult resume(Checkpoint checkpoint, Integer epochs, DataSetIterator train, DataSetIterator val) {
        int batches = batchesPerEpoch(train);
        int activeWorkers = activeWorkers();
        Checkpoint from = resumePoint(checkpoint, epochs, ceilDiv(batches, activeWorkers));
        return new Run(from.graph(), from.info(), batches, activeWorkers).train(train, val);
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
            try (RunState s = new RunState(runDirectory(), start, batches, activeWorkers, options().keepLast(),
                    metricsWindow, options().console())) {
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
                throw e.inRunDirectory(runDirectory());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write to " + runDirectory() + ": " + e.getMessage(), e);
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

    /** Fails early when the UI is asked for but its optional dependency is missing. */
    @Override
    void requireReady() {
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
