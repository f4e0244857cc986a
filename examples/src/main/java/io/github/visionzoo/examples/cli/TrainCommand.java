package io.github.visionzoo.examples.cli;

import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.train.Checkpoint;
import io.github.visionzoo.zoo.train.RunDirectory;
import io.github.visionzoo.zoo.train.RunLock;
import io.github.visionzoo.zoo.train.Trainer;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import io.github.visionzoo.zoo.train.TrainingResult;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code train}: trains and evaluates a registry model on an image folder of classes such as Imagenette (or, without
 * {@code --data}, on the synthetic set written into the run directory), writing checkpoints, {@code metrics.jsonl}, PNG charts and
 * {@code summary.json}. The main job is {@code train} with no arguments: {@code resnet18} at 64 px with the
 * {@code cpu-small} recipe. The {@link RunDirectory} is locked ({@link RunLock}) while the command runs, and records its
 * data ({@link RunRecord}) for {@code --resume}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train and evaluate a model; without --data, on the synthetic Imagenette.")
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "resnet18", paramLabel = "NAME|FILE",
            description = "A model name ('list') or a spec JSON file (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--data", paramLabel = "DIR", description = "An image folder: DIR/train/<class>/*.jpg and"
            + " DIR/val/<class>/*.jpg (.jpeg, .png too), one folder per class, such as Imagenette's archives;"
            + " with --resume, only where the run's data has moved (the run records its data).")
    Path data;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "Where to write the run (default: runs/MODEL-TIME).")
    Path runDir;

    @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue the run in RUN_DIR where it stopped,"
            + " on its data, with its model and recipe; with --epochs, train to that many epochs (extend it).")
    Path resume;

    @Option(names = "--workers", defaultValue = "1",
            description = "Parallel workers (ParallelWrapper); 0 = one per device (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--checkpoint-every", defaultValue = "200",
            description = "Also checkpoint every N iterations (default: ${DEFAULT-VALUE}; 0 = epoch ends only).")
    int checkpointEvery;

    @Option(names = "--ui", description = "Report to DL4J's training UI (needs deeplearning4j-ui on the classpath).")
    boolean ui;

    @Mixin
    RecipeOptions recipeOptions;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Limits.workers("--workers", workers);
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("--checkpoint-every must be >= 0 (0: at epoch ends only), was "
                    + checkpointEvery);
        }
        if (resume != null) {
            return resume(out);
        }
        ModelSpec modelSpec = Zoo.resolve(model);
        TrainingRecipe r = recipeOptions.resolve(modelSpec);
        if (modelSpec.imageSize() != r.imageSize()) {
            modelSpec = modelSpec.withImageSize(r.imageSize());
        }
        recipeOptions.requireFits(modelSpec, r, Math.max(1, workers));
        Path dir = runDir != null ? runDir : Path.of("runs", modelName() + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        requireNoFile(dir);
        Path given = null;
        if (data != null) {
            given = ImagenetteData.root(data, dir);
            ImagenetteData.checkSplits(given);
        }
        RunDirectory run = new RunDirectory(dir);
        try (RunLock lock = run.lock()) {
            if (run.holdsRun()) {
                throw new IllegalArgumentException("--run-dir " + dir + " already holds a run; use --resume " + dir
                        + " to continue it, or another --run-dir");
            }
            Path root = given != null ? given : ImagenetteData.root(null, dir);
            try (ImagenetteIterator train = ImagenetteData.train(root, r.augmentation(), r.imageSize(),
                    r.batchSize(), r.seed(), null);
                 ImagenetteIterator val = ImagenetteData.val(root, r.augmentation(), r.imageSize(),
                         r.batchSize(), null)) {
                out.printf(Locale.ROOT, "training %s at %d px on %s (%d train, %d val images), recipe %s, %d epochs%n",
                        modelName(), r.imageSize(), root, train.numExamples(),
                        val.numExamples(), r.name(), r.epochs());
                RecipeOptions.describePrecision(out, r);
                record(root, data == null, train, val, workers).write(dir);
                TrainingResult result = trainer(dir, workers).fit(Zoo.create(modelSpec, train.totalOutcomes(),
                        r.seed()), modelSpec, r, train, val);
                report(out, dir, result);
            }
        }
        return 0;
    }

    /**
     * Goes on with the run in {@link #resume}: on the data its {@link RunRecord} names (or {@code --data}, the same
     * set moved), with its recipe and workers, to {@code --epochs} when given.
     */
    private int resume(PrintWriter out) throws Exception {
        if (!Files.isDirectory(resume)) {
            throw new IllegalArgumentException("--resume " + resume + " is not a run directory");
        }
        RunDirectory run = new RunDirectory(resume);
        try (RunLock lock = run.lock()) {
            Checkpoint.Info info = run.latestInfo();
            RunRecord recorded = RunRecord.read(resume);
            ParseResult parsed = spec.commandLine().getParseResult();
            RecipeOptions.requireUnchanged("--model", parsed.hasMatchedOption("--model") ? modelName() : null,
                    info.model());
            Integer epochs = recipeOptions.resumeEpochs(info.recipe(), parsed);
            Integer recordedWorkers = recorded != null ? recorded.workers() : null;
            if (recordedWorkers != null) {
                RecipeOptions.requireUnchanged("--workers", parsed.hasMatchedOption("--workers") ? workers : null,
                        recordedWorkers);
            }
            int w = recordedWorkers != null ? recordedWorkers : workers;
            TrainingRecipe r = info.recipe();
            Path root = data != null ? ImagenetteData.root(data, resume)
                    : Path.of(ImagenetteData.recordedRoot(resume, recorded));
            try (ImagenetteIterator train = ImagenetteData.train(root, r.augmentation(), r.imageSize(),
                    r.batchSize(), r.seed(), null);
                 ImagenetteIterator val = ImagenetteData.val(root, r.augmentation(), r.imageSize(),
                         r.batchSize(), null)) {
                RunRecord found = record(root, data == null && recorded != null && recorded.synthetic(), train, val,
                        w);
                if (recorded != null) {
                    recorded.requireSameData(found, resume);
                }
                found.write(resume);
                out.printf(Locale.ROOT, "resuming %s in %s after epoch %d of %d%n", info.model(), resume,
                        info.epochsCompleted(), epochs != null ? epochs : r.epochs());
                RecipeOptions.describePrecision(out, r);
                Trainer trainer = trainer(resume, w).withModelName(info.model());
                report(out, resume, epochs != null ? trainer.resume(train, val, epochs) : trainer.resume(train, val));
            }
        }
        return 0;
    }

    /** Refuses a new run's directory that is a file, which {@link RunLock#acquire} could not make. */
    static void requireNoFile(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--run-dir " + dir + " is a file; give a new or empty folder");
        }
    }

    private static RunRecord record(Path root, boolean synthetic, ImagenetteIterator train,
                                    ImagenetteIterator val, int workers) {
        return RunRecord.of(root.toString(), synthetic, train.getLabels(), train.numExamples(),
                val.numExamples(), workers);
    }

    private Trainer trainer(Path dir, int workers) {
        return new Trainer(dir).withModelName(modelName()).withWorkers(workers).withUi(ui)
                .withCheckpointEvery(checkpointEvery);
    }

    /** The registry name, or a spec file's name without {@code .json}. */
    private String modelName() {
        return Path.of(model).getFileName().toString().replaceFirst("\\.json$", "");
    }

    private static void report(PrintWriter out, Path dir, TrainingResult result) {
        out.printf(Locale.ROOT, "%nval top-1 %.1f %% (best %.1f %% at epoch %d), top-5 %.1f %%, %.1f images/s, %.0f s%n",
                100 * result.finalTop1(), 100 * result.bestTop1(), result.bestEpoch(), 100 * result.finalTop5(),
                result.imagesPerSecond(), result.wallSeconds());
        out.println("run directory: " + dir.toAbsolutePath());
        out.println("  best checkpoint: " + dir.resolve(RunDirectory.BEST));
        out.println("  charts: " + dir.resolve("loss.png") + ", " + dir.resolve("accuracy.png") + ", "
                + dir.resolve("confusion.png"));
        out.println("  metrics: " + dir.resolve(RunDirectory.METRICS) + ", summary: "
                + dir.resolve(RunDirectory.SUMMARY));
    }
}
