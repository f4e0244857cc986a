package io.github.visionzoo.examples.cli;

import io.github.visionzoo.imagenette.Split;
import io.github.visionzoo.imagenette.spark.ImagenetteRdd;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.train.Checkpoint;
import io.github.visionzoo.zoo.train.RunDirectory;
import io.github.visionzoo.zoo.train.RunLock;
import io.github.visionzoo.zoo.train.SparkTrainer;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import io.github.visionzoo.zoo.train.TrainingResult;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code spark-train}: {@code train} on a Spark cluster ({@link SparkTrainer}), in the same run directory layout, with
 * the recipe's training master. Runs in local mode from {@code visionzoo-examples.jar} ({@code --master local[2]}) and
 * on a cluster through {@code spark-submit} of {@code visionzoo-examples-spark-job.jar}, whose master and options come
 * from {@code spark-submit}.
 */
@Command(name = "spark-train", mixinStandardHelpOptions = true,
        description = "Train and evaluate a model on Spark (local mode, or a cluster through spark-submit).")
public final class SparkTrainCommand implements Callable<Integer> {
    /** Set by the driver when absent: gradient sharing needs it (DL4J issue 9677); executors need it as a JVM flag. */
    static final String AERON_TIMEOUT = "aeron.publication.unblock.timeout";

    /** Spark's master URLs (SparkContext.createTaskScheduler), and the cluster managers that need their own jars. */
    private static final Pattern MASTER = Pattern.compile("local|local\\[(?<threads>[1-9]\\d{0,4}|\\*)(\\s*,\\s*\\d+)?]"
            + "|local-cluster\\[\\s*\\d+\\s*,\\s*\\d+\\s*,\\s*\\d+\\s*]|spark://[^\\s:/,]+:\\d+(,[^\\s:/,]+:\\d+)*"
            + "|(?<manager>yarn|k8s://\\S+|mesos://\\S+)");
    private static final Map<String, String> CLUSTER_MANAGERS = Map.of(
            "yarn", "org.apache.spark.scheduler.cluster.YarnClusterManager",
            "k8s", "org.apache.spark.scheduler.cluster.k8s.KubernetesClusterManager",
            "mesos", "org.apache.spark.scheduler.cluster.mesos.MesosClusterManager");

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master, e.g. local[2] or spark://host:7077 (default: spark-submit's --master).")
    String master;

    @Option(names = "--model", defaultValue = "resnet18", paramLabel = "NAME|FILE",
            description = "A model name ('list') or a spec JSON file (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--data", paramLabel = "DIR|URI",
            description = "An image folder of classes, such as Imagenette, that every executor can read (shared"
                    + " storage) or a Hadoop URI (hdfs://...); without it, the synthetic set is written into the run directory (local mode "
                    + "or a one-machine cluster only); with --resume, only where the run's data has moved.")
    String data;

    @Option(names = "--training-master", paramLabel = "NAME",
            description = "Override the recipe's Spark training master: parameter-averaging or shared-gradients.")
    String trainingMaster;

    @Option(names = "--workers", description = "Override the recipe's Spark workers (tasks training at once).")
    Integer workers;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Where the driver writes the run (default: runs/MODEL-spark-TIME).")
    Path runDir;

    @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue the run in RUN_DIR on its data, with"
            + " its model and recipe; with --epochs, train to that many epochs (extend it).")
    Path resume;

    @Option(names = "--aeron-port", defaultValue = "0",
            description = "shared-gradients: the UDP port of every JVM (default: a free port per JVM).")
    int aeronPort;

    @Option(names = "--controller", paramLabel = "ADDRESS",
            description = "shared-gradients: the driver's address as executors reach it (default: spark.driver.host).")
    String controller;

    @Option(names = "--network-mask", paramLabel = "CIDR",
            description = "shared-gradients: the network whose address each executor announces, e.g. 10.0.0.0/16.")
    String networkMask;

    @Mixin
    RecipeOptions recipeOptions;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (System.getProperty(AERON_TIMEOUT) == null) {
            System.setProperty(AERON_TIMEOUT, "60000000000");
        }
        if (master != null) {
            checkMaster(master);
        }
        Limits.range("--aeron-port", aeronPort, 0, 65535, "0: a free port per JVM");
        if (resume != null && !Files.isDirectory(resume)) {
            throw new IllegalArgumentException("--resume " + resume + " is not a run directory");
        }
        Path dir = resume != null ? resume : runDir != null ? runDir : Path.of("runs", modelName() + "-spark-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        if (resume == null) {
            TrainCommand.requireNoFile(dir);
        }
        ModelSpec modelSpec = resume == null ? Zoo.resolve(model) : null;
        TrainingRecipe fresh = resume == null ? recipe(modelSpec) : null;
        if (data != null && !RunRecord.isUri(data)) {
            if (!Files.isDirectory(Path.of(data))) {
                throw new IllegalArgumentException("--data " + data + " is not a folder; give an image folder"
                        + " that every executor can read (ROOT/train/<class>/*.jpg, ROOT/val/<class>/*.jpg) or a"
                        + " Hadoop URI such as hdfs://namenode/data/imagenette2-320");
            }
            ImagenetteData.checkSplits(Path.of(data));
        }
        SparkConf conf = new SparkConf().setAppName("visionzoo spark-train " + modelName());
        if (master != null) {
            conf.setMaster(master);
        }
        if (!conf.contains("spark.master")) {
            throw new IllegalArgumentException("no Spark master: give --master local[2] (local mode) or run the job"
                    + " jar with spark-submit --master spark://HOST:7077");
        }
        if (resume == null) {
            if (modelSpec.imageSize() != fresh.imageSize()) {
                modelSpec = modelSpec.withImageSize(fresh.imageSize());
            }
            int threads = localThreads(conf.get("spark.master"));
            if (threads > 0) { // in local mode every worker trains in this process
                int w = fresh.spark().workers() != null ? fresh.spark().workers() : threads;
                Limits.range(workers != null ? "--workers" : "--recipe " + recipeOptions.name(modelSpec) + " spark.workers", w,
                        1, threads, conf.get("spark.master") + " trains at most " + threads + " at once");
                recipeOptions.requireFits(modelSpec, fresh, w);
            }
        }
        // on a cluster, start training once every executor asked for is there (up to Spark's 30 s), so that the first
        // epoch's partitions are cached, and so trained, on all of them rather than on the first executor up
        conf.setIfMissing("spark.scheduler.minRegisteredResourcesRatio", "1.0");
        RunDirectory run = new RunDirectory(dir);
        try (RunLock lock = run.lock()) {
            Checkpoint.Info info = null;
            RunRecord recorded = null;
            Integer epochs = null;
            TrainingRecipe r = fresh;
            if (resume != null) {
                info = run.latestInfo();
                recorded = RunRecord.read(resume);
                ParseResult parsed = spec.commandLine().getParseResult();
                RecipeOptions.requireUnchanged("--model", parsed.hasMatchedOption("--model") ? modelName() : null,
                        info.model());
                epochs = recipeOptions.resumeEpochs(info.recipe(), parsed);
                RecipeOptions.requireUnchanged("--training-master", trainingMaster, info.recipe().spark().master());
                RecipeOptions.requireUnchanged("--workers", workers, info.recipe().spark().workers());
                r = info.recipe();
            } else if (run.holdsRun()) {
                throw new IllegalArgumentException("--run-dir " + dir + " already holds a run; use --resume " + dir
                        + " to continue it, or another --run-dir");
            }
            String root = data != null ? data : resume != null ? ImagenetteData.recordedRoot(dir, recorded)
                    : ImagenetteData.root(null, dir).toString();
            boolean synthetic = data == null && (recorded == null || recorded.synthetic());
            try (JavaSparkContext sc = new JavaSparkContext(conf)) {
                int w = r.spark().workers() != null ? r.spark().workers() : Math.max(1, sc.defaultParallelism());
                ImagenetteRdd train = ImagenetteRdd.builder(sc, root).split(Split.TRAIN)
                        .augmentation(ImagenetteData.augmentation(r.augmentation()))
                        .imageSize(r.imageSize()).batchSize(r.batchSize()).seed(r.seed()).partitions(w).build();
                ImagenetteRdd val = ImagenetteRdd.builder(sc, root).split(Split.VAL)
                        .augmentation(ImagenetteData.evaluation(r.augmentation())).imageSize(r.imageSize())
                        .batchSize(r.batchSize()).partitions(w).build();
                RunRecord found = RunRecord.of(root, synthetic, train.classNames(), train.numExamples(),
                        val.numExamples(), null);
                if (recorded != null) {
                    recorded.requireSameData(found, dir);
                }
                found.write(dir);
                SparkTrainer.Data trainData = SparkTrainer.data(train::epoch, train.batchesPerEpoch(),
                        train.classNames());
                DataSetIterator valData = SparkTrainer.driverIterator(val.epoch(0), val.classNames());
                SparkTrainer trainer = new SparkTrainer(sc, dir).withAeronPort(aeronPort)
                        .withControllerAddress(controller).withNetworkMask(networkMask);
                TrainingResult result;
                if (info != null) {
                    out.printf(Locale.ROOT, "resuming %s in %s after epoch %d of %d on Spark %s%n", info.model(),
                            dir, info.epochsCompleted(), epochs != null ? epochs : r.epochs(), sc.master());
                    trainer = trainer.withModelName(info.model());
                    result = epochs != null ? trainer.resume(trainData, valData, epochs)
                            : trainer.resume(trainData, valData);
                } else {
                    out.printf(Locale.ROOT, "training %s at %d px on %s (%d train, %d val images), recipe %s, %d"
                                    + " epochs, Spark %s, %s with %d workers%n", modelName(), r.imageSize(), root,
                            train.numExamples(), val.numExamples(), r.name(), r.epochs(), sc.master(),
                            r.spark().master(), w);
                    result = trainer.withModelName(modelName()).fit(Zoo.create(modelSpec,
                            train.classNames().size(), r.seed()), modelSpec, r, trainData, valData);
                }
                out.printf(Locale.ROOT, "%nval top-1 %.1f %% (best %.1f %% at epoch %d), top-5 %.1f %%, %.1f"
                                + " images/s, %.0f s%n", 100 * result.finalTop1(), 100 * result.bestTop1(),
                        result.bestEpoch(), 100 * result.finalTop5(), result.imagesPerSecond(), result.wallSeconds());
                out.println("run directory: " + dir.toAbsolutePath());
                out.println("  best checkpoint: " + dir.resolve(RunDirectory.BEST));
                out.println("  metrics: " + dir.resolve(RunDirectory.METRICS) + ", summary: "
                        + dir.resolve(RunDirectory.SUMMARY));
            }
        }
        return 0;
    }

    /** Refuses what Spark would fail on with a stack trace: a malformed URL, or a cluster manager it lacks. */
    static void checkMaster(String master) {
        Matcher m = MASTER.matcher(master);
        if (!m.matches()) {
            throw new IllegalArgumentException("--master '" + master + "' is not a Spark master URL; give local, "
                    + "local[N] (N >= 1), local[*], spark://HOST:PORT, yarn, k8s://https://HOST:PORT or "
                    + "mesos://HOST:PORT");
        }
        if (m.group("manager") != null) {
            String kind = m.group("manager").replaceFirst("://.*", "");
            try {
                Class.forName(CLUSTER_MANAGERS.get(kind), false, SparkTrainCommand.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalArgumentException("--master " + master + " needs Spark's " + kind + " support, "
                        + "which this jar leaves out; run visionzoo-examples-spark-job.jar with spark-submit --master "
                        + master, e);
            }
        }
    }

    /** The threads of a local-mode master ({@code local}, {@code local[N]}, {@code local[*]}), else 0. */
    static int localThreads(String master) {
        Matcher m = MASTER.matcher(master);
        if (!m.matches() || !master.startsWith("local[") && !master.equals("local")) {
            return 0;
        }
        String threads = m.group("threads");
        return threads == null ? 1 : threads.equals("*") ? Runtime.getRuntime().availableProcessors()
                : Integer.parseInt(threads);
    }

    private TrainingRecipe recipe(ModelSpec model) {
        TrainingRecipe r = recipeOptions.resolve(model);
        if (trainingMaster != null || workers != null) {
            String m = trainingMaster != null ? trainingMaster : r.spark().master();
            if (!TrainingRecipe.Spark.MASTERS.contains(m)) {
                throw new IllegalArgumentException("--training-master must be one of "
                        + String.join(", ", TrainingRecipe.Spark.MASTERS) + ", was '" + m + "'");
            }
            if (workers != null && workers < 1) {
                throw new IllegalArgumentException("--workers must be >= 1, was " + workers);
            }
            boolean same = m.equals(r.spark().master());
            r = r.withSpark(new TrainingRecipe.Spark(m, workers != null ? workers : r.spark().workers(),
                    same ? r.spark().averagingFrequency() : null, same ? r.spark().threshold() : null));
        }
        return r;
    }

    /** The registry name, or a spec file's name without {@code .json}. */
    private String modelName() {
        return Path.of(model).getFileName().toString().replaceFirst("\\.json$", "");
    }
}
