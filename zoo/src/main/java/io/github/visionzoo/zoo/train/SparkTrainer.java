package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.ModelSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntFunction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.repartitioner.NoOpRepartitioner;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;
import org.nd4j.parameterserver.distributed.v2.transport.PortSupplier;
import org.nd4j.parameterserver.distributed.v2.transport.impl.StaticPortSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link ComputationGraph} on a Spark cluster with DL4J's {@code dl4j-spark}, for a {@link TrainingRecipe},
 * into the same {@link RunDirectory} as the single-machine {@link Trainer}: the same checkpoints (written by the
 * driver, atomically, loadable by {@link Checkpoint#load}, {@code evaluate}, {@code finetune} and
 * {@link Trainer#resume}), the same {@value RunDirectory#METRICS}, charts, {@value RunDirectory#SUMMARY} and
 * {@value RunDirectory#BEST}, and the same epoch-end evaluation ({@link EvalReport}, on the driver).
 *
 * <pre>{@code
 * SparkTrainer trainer = new SparkTrainer(sc, Path.of("runs/resnet18-spark")).withModelName("resnet18");
 * TrainingResult result = trainer.fit(Zoo.create("resnet18", 10), recipe,
 *         SparkTrainer.data(epoch -> imagenette.epoch(epoch), imagenette.batchesPerEpoch(), classNames), val);
 * }</pre>
 *
 * <p>The recipe's {@link TrainingRecipe.Spark spark} settings choose the training master: {@code parameter-averaging}
 * (DL4J's {@code ParameterAveragingTrainingMaster}) or {@code shared-gradients} ({@code SharedTrainingMaster}, gradient
 * updates exchanged over Aeron). Each epoch is one {@code fit} of that epoch's RDD of minibatches
 * ({@link Data#epoch}), trained where its partitions are (no repartitioning: give the RDD one partition per worker, or
 * a multiple, so that each executor decodes its own images); DL4J caches the RDD (serialized, in memory) for the
 * epoch, and the trainer unpersists it after.
 *
 * <p>Metrics: the workers measure loss and accuracy per step as the single-machine trainer does and report them in
 * Spark accumulators, so {@value RunDirectory#METRICS} has one line of steps per epoch and the epoch line. The
 * validation batches are evaluated on the driver ({@link #driverIterator} turns an RDD into such an iterator).
 * Checkpoints are written at epoch ends only. The iteration count of a checkpoint counts steps as the recipe's
 * schedule does: one minibatch on each of the {@code workers}. {@code resume} starts at the beginning of the epoch
 * its checkpoint records: a checkpoint the single-machine trainer wrote within an epoch trains that epoch again.
 *
 * <p>{@code shared-gradients} needs, on the driver and every executor, the JVM option
 * {@code -Daeron.publication.unblock.timeout=60000000000} (DL4J issue 9677: Aeron's default unblocks a publication that
 * gradient messages still use) and, on Java 17, the {@code --add-opens} options listed in src/docs/SPARK.md. Each JVM
 * listens on one UDP port for the updates ({@link #withAeronPort}: by default a free port per JVM); the driver is the
 * controller at {@link #withControllerAddress} (default: {@code spark.driver.host}), and an executor announces the
 * address of its interface in {@link #withNetworkMask} (or the {@code DL4J_VOID_IP} environment variable; 127.0.0.1
 * otherwise, which suits one machine only).
 */
public final class SparkTrainer extends RunTrainer<SparkTrainer, SparkTrainer.Data> {
    private static final Logger LOG = LoggerFactory.getLogger(SparkTrainer.class);

    /** The training data of a Spark run: an RDD of minibatches per epoch. */
    public interface Data {
        /**
         * The minibatches of epoch {@code epoch} (0-based), each of the recipe's batch size (the last may be smaller),
         * in that epoch's order and augmentation; a fresh, lazily computed RDD, so the images are decoded where its
         * partitions run.
         */
        JavaRDD<DataSet> epoch(int epoch);

        /** Minibatches in one epoch. */
        int batchesPerEpoch();

        /** The class names in label order; empty when unknown. */
        List<String> classNames();
    }

    /** {@link Data} from a function of the epoch. */
    public static Data data(IntFunction<JavaRDD<DataSet>> epochs, int batchesPerEpoch, List<String> classNames) {
        Objects.requireNonNull(epochs, "epochs");
        if (batchesPerEpoch < 1) {
            throw new IllegalArgumentException("batchesPerEpoch must be >= 1, was " + batchesPerEpoch);
        }
        List<String> names = classNames == null ? List.of() : List.copyOf(classNames);
        return new Data() {
            @Override
            public JavaRDD<DataSet> epoch(int epoch) {
                return epochs.apply(epoch);
            }

            @Override
            public int batchesPerEpoch() {
                return batchesPerEpoch;
            }

            @Override
            public List<String> classNames() {
                return names;
            }
        };
    }

    private final JavaSparkContext sc;
    private final String controllerAddress;
    private final String networkMask;
    private final int aeronPort;

    /** A trainer on {@code sc} writing to {@code runDir} (a path on the driver): the newest 3 checkpoints kept. */
    public SparkTrainer(JavaSparkContext sc, Path runDir) {
        this(sc, new RunDirectory(runDir), Options.DEFAULT, null, null, 0);
    }

    private SparkTrainer(JavaSparkContext sc, RunDirectory run, Options options, String controllerAddress,
                         String networkMask, int aeronPort) {
        super(run, options);
        this.sc = Objects.requireNonNull(sc, "sc");
        this.controllerAddress = controllerAddress;
        this.networkMask = networkMask;
        this.aeronPort = aeronPort;
    }

    @Override
    SparkTrainer with(Options options) {
        return new SparkTrainer(sc, runDirectory(), options, controllerAddress, networkMask, aeronPort);
    }

    /** {@code shared-gradients}: the driver's address as the executors reach it (default: {@code spark.driver.host}). */
    public SparkTrainer withControllerAddress(String address) {
        return new SparkTrainer(sc, runDirectory(), options(), address, networkMask, aeronPort);
    }

    /**
     * {@code shared-gradients}: the network (e.g. {@code 10.0.0.0/16}) whose address each executor announces to the
     * others; null to use {@code DL4J_VOID_IP} or 127.0.0.1.
     */
    public SparkTrainer withNetworkMask(String mask) {
        return new SparkTrainer(sc, runDirectory(), options(), controllerAddress, mask, aeronPort);
    }

    /**
     * {@code shared-gradients}: the UDP port every JVM (driver and executors) listens on for updates; 0 (the default)
     * picks a free port in each JVM, which also lets several executors share a machine.
     */
    public SparkTrainer withAeronPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("aeronPort must be in [0, 65535] (0: a free port per JVM), was " + port);
        }
        return new SparkTrainer(sc, runDirectory(), options(), controllerAddress, networkMask, port);
    }

    @Override
    TrainingResult start(ComputationGraph graph, ModelSpec spec, TrainingRecipe recipe, Data train,
                         DataSetIterator val) {
        int workers = workers(recipe);
        ComputationGraph net = recipe.applyTo(graph, ceilDiv(train.batchesPerEpoch(), workers));
        Checkpoint.Info start = startInfo(net, spec, recipe, train.classNames(), train.classNames().size(),
                "the training data");
        return train(net, start, train, val, workers);
    }

    @Override
    TrainingResult resume(Checkpoint checkpoint, Integer epochs, Data train, DataSetIterator val) {
        int workers = workers(checkpoint.info().recipe());
        Checkpoint from = resumePoint(checkpoint, epochs, ceilDiv(train.batchesPerEpoch(), workers));
        if (from.info().batchesInEpoch() > 0) {
            LOG.warn("{} was written {} batches into epoch {}; Spark training starts that epoch again",
                    from.file().getFileName(), from.info().batchesInEpoch(), from.info().epochsCompleted() + 1);
        }
        return train(from.graph(), from.info().atEpochStart(), train, val, workers);
    }

    private int workers(TrainingRecipe recipe) {
        Integer w = recipe.spark().workers();
        return w != null ? w : Math.max(1, sc.defaultParallelism());
    }

    private TrainingResult train(ComputationGraph graph, Checkpoint.Info start, Data train, DataSetIterator val,
                                 int workers) {
        TrainingRecipe recipe = start.recipe();
        int batches = train.batchesPerEpoch();
        DataSetPreProcessor smoothing = recipe.labelSmoothing() > 0 ? new LabelSmoothing(recipe.labelSmoothing())
                : null;
        TrainingMaster<?, ?> master = trainingMaster(recipe, workers);
        SparkComputationGraph net = new SparkComputationGraph(sc, graph, master);
        String runId = UUID.randomUUID().toString();
        String head = graph.getConfiguration().getNetworkOutputs().get(0);
        TrainingResult result = null;
        LOG.info("training on Spark with {} ({} workers, {} batches of {} per epoch)", recipe.spark().master(),
                workers, batches, recipe.batchSize());
        try (RunState state = new RunState(runDirectory(), start, batches, workers, options().keepLast(),
                Integer.MAX_VALUE, options().console())) {
            for (int epoch = state.epochsCompleted(); epoch < recipe.epochs(); epoch++) {
                state.startEpoch(epoch);
                JavaRDD<DataSet> rdd = train.epoch(epoch);
                if (smoothing != null) {
                    rdd = rdd.map(ds -> {
                        smoothing.preProcess(ds);
                        return ds;
                    });
                }
                SparkStepStats stats = new SparkStepStats(sc, runId);
                net.setListeners(List.<TrainingListener>of(stats));
                Set<Integer> persisted = Set.copyOf(sc.getPersistentRDDs().keySet());
                int iterationBefore = graph.getConfiguration().getIterationCount();
                try {
                    net.fit(rdd);
                } finally {
                    unpersistNew(persisted);
                }
                ComputationGraph trained = net.getNetwork();
                if (stats.nonFiniteSteps() > 0) {
                    Double rate = trained.getLearningRate(head);
                    throw new TrainingDivergedException(trained.getConfiguration().getIterationCount(), Double.NaN,
                            rate == null ? Double.NaN : rate);
                }
                BatchStats.Totals totals = stats.totals(Double.NaN);
                if (master instanceof SharedTrainingMaster) {
                    // SharedTrainingMaster does not count the driver's iterations: steps of the workers, averaged
                    trained.getConfiguration().setIterationCount(iterationBefore
                            + (int) Math.round((double) totals.steps() / workers));
                }
                trained.getConfiguration().setEpochCount(epoch); // SparkComputationGraph.fit counted it; RunState does
                totals = new BatchStats.Totals(totals.steps(), totals.examples(), totals.lossSum(), totals.correct(),
                        totals.measuredExamples(), lastStepLearningRate(trained, head));
                if (totals.steps() == 0) {
                    throw new IllegalStateException("epoch " + (epoch + 1) + " trained no step: its RDD of "
                            + batches + " batches was empty, or the workers' listener reported nothing");
                }
                double seconds = state.epochSeconds();
                state.record(totals, batches, trained);
                result = state.endEpoch(trained, val, seconds);
            }
        } catch (TrainingDivergedException e) {
            throw e.inRunDirectory(runDirectory());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + runDirectory() + ": " + e.getMessage(), e);
        } finally {
            net.getNetwork().setListeners(List.<TrainingListener>of());
            if (master instanceof SharedTrainingMaster) {
                // the driver's network keeps the gradient accumulator of the parameter server otherwise
                net.getNetwork().setGradientsAccumulator(null);
            }
        }
        return result;
    }

    /** The learning rate of the epoch's last step (the iteration before the count), as the single-machine metrics. */
    private static double lastStepLearningRate(ComputationGraph graph, String head) {
        int iteration = graph.getConfiguration().getIterationCount();
        graph.getConfiguration().setIterationCount(Math.max(0, iteration - 1));
        try {
            Double rate = graph.getLearningRate(head);
            return rate == null ? Double.NaN : rate;
        } finally {
            graph.getConfiguration().setIterationCount(iteration);
        }
    }

    private void unpersistNew(Set<Integer> before) {
        sc.getPersistentRDDs().forEach((id, rdd) -> {
            if (!before.contains(id)) {
                rdd.unpersist(false);
            }
        });
    }

    private TrainingMaster<?, ?> trainingMaster(TrainingRecipe recipe, int workers) {
        TrainingRecipe.Spark spark = recipe.spark();
        int batch = recipe.batchSize();
        if (spark.master().equals(TrainingRecipe.Spark.PARAMETER_AVERAGING)) {
            return new ParameterAveragingTrainingMaster.Builder(workers, batch)
                    .batchSizePerWorker(batch)
                    .averagingFrequency(spark.averagingFrequency())
                    .workerPrefetchNumBatches(2)
                    .rddTrainingApproach(RDDTrainingApproach.Direct)
                    .repartionData(Repartition.Never)
                    .storageLevel(StorageLevel.MEMORY_ONLY_SER())
                    .rngSeed(recipe.seed())
                    .collectTrainingStats(false)
                    .build();
        }
        String controller = controllerAddress != null ? controllerAddress
                : sc.getConf().get("spark.driver.host", "127.0.0.1");
        VoidConfiguration.VoidConfigurationBuilder conf = VoidConfiguration.builder()
                .controllerAddress(controller)
                .portSupplier(aeronPort > 0 ? new StaticPortSupplier(aeronPort) : new FreePortSupplier());
        if (networkMask != null) {
            conf.networkMask(networkMask);
        }
        if (!System.getProperty("aeron.publication.unblock.timeout", "").equals("60000000000")) {
            LOG.warn("shared-gradients without -Daeron.publication.unblock.timeout=60000000000 on the driver: Aeron may"
                    + " drop gradient messages (DL4J issue 9677); add it to the driver's and the executors' JVM options");
        }
        return new SharedTrainingMaster.Builder(conf.build(), workers,
                new AdaptiveThresholdAlgorithm(spark.threshold()), batch)
                .batchSizePerWorker(batch)
                .workersPerNode(1)
                .workerPrefetchNumBatches(2)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .repartitionData(Repartition.Never)
                .repartitioner(new NoOpRepartitioner())
                .storageLevel(StorageLevel.MEMORY_ONLY_SER())
                .rngSeed(recipe.seed())
                .collectTrainingStats(false)
                .build();
    }

    /**
     * A {@link DataSetIterator} on the driver over the minibatches of {@code rdd}, fetched one partition at a time
     * ({@code toLocalIterator}), so executors decode the images and the driver evaluates; each {@code reset()} runs the
     * RDD again.
     */
    public static DataSetIterator driverIterator(JavaRDD<DataSet> rdd, List<String> labels) {
        return new DriverIterator(rdd, labels);
    }

    /** The iterator of {@link #driverIterator}. */
    private static final class DriverIterator implements DataSetIterator {
        private static final long serialVersionUID = 1L;
        private final transient JavaRDD<DataSet> rdd;
        private final List<String> labels;
        private transient Iterator<DataSet> current;
        private DataSetPreProcessor preProcessor;

        DriverIterator(JavaRDD<DataSet> rdd, List<String> labels) {
            this.rdd = Objects.requireNonNull(rdd, "rdd");
            this.labels = labels == null ? List.of() : List.copyOf(labels);
        }

        private Iterator<DataSet> current() {
            if (current == null) {
                current = rdd.toLocalIterator();
            }
            return current;
        }

        @Override
        public boolean hasNext() {
            return current().hasNext();
        }

        @Override
        public DataSet next() {
            DataSet ds = current().next();
            if (preProcessor != null) {
                preProcessor.preProcess(ds);
            }
            return ds;
        }

        @Override
        public DataSet next(int num) {
            throw new UnsupportedOperationException("the minibatches come as the RDD holds them; call next()");
        }

        @Override
        public int inputColumns() {
            return -1;
        }

        @Override
        public int totalOutcomes() {
            return labels.isEmpty() ? -1 : labels.size();
        }

        @Override
        public boolean resetSupported() {
            return true;
        }

        @Override
        public boolean asyncSupported() {
            return false;
        }

        @Override
        public void reset() {
            current = null;
        }

        @Override
        public int batch() {
            return -1;
        }

        @Override
        public void setPreProcessor(DataSetPreProcessor preProcessor) {
            this.preProcessor = preProcessor;
        }

        @Override
        public DataSetPreProcessor getPreProcessor() {
            return preProcessor;
        }

        @Override
        public List<String> getLabels() {
            return labels;
        }
    }

    /**
     * A free UDP port, chosen once per JVM: the driver and each executor listen on their own, so several executors can
     * share a machine without configuration.
     */
    static final class FreePortSupplier implements PortSupplier {
        private static final long serialVersionUID = 1L;
        private static int port;

        @Override
        public int getPort() {
            synchronized (FreePortSupplier.class) {
                if (port == 0) {
                    try (DatagramSocket socket = new DatagramSocket(0)) {
                        port = socket.getLocalPort();
                    } catch (SocketException e) {
                        throw new IllegalStateException("cannot find a free UDP port for Aeron: " + e.getMessage()
                                + "; give one with SparkTrainer.withAeronPort", e);
                    }
                }
                return port;
            }
        }
    }
}
