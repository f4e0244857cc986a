package io.github.visionzoo.zoo.train;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.visionzoo.zoo.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/**
 * How to train a model: optimizer, learning rate and its schedule, weight decay, batch size, epochs, label smoothing,
 * the input size and augmentation ({@link AugmentationSpec}) that the data pipeline builds its iterators with, the
 * seed, and how several devices share the work. Recipes are JSON ({@link Recipes} loads the bundled ones and files),
 * strictly read and validated where they are built, each error naming the field and what it accepts:
 *
 * <pre>{
 *   "name": "my-recipe", "optimizer": "adamw", "learningRate": 0.002, "weightDecay": 0.05,
 *   "batchSize": 32, "epochs": 6, "schedule": {"type": "cosine", "warmupEpochs": 1},
 *   "labelSmoothing": 0.1, "imageSize": 64, "augmentation": "study", "seed": 42
 * }</pre>
 *
 * <p>Optimizers ({@link Optimizer}), as PyTorch's:
 * <ul>
 * <li>{@code "adamw"} ({@link AdamW}): PyTorch's Adam ({@link TorchAdam}: beta1 0.9, beta2 0.999, epsilon 1e-8) with
 * decoupled weight decay, {@link DecoupledWeightDecay}: {@code w -= lr * wd * w} with the scheduled rate, as
 * {@code torch.optim.AdamW} (and, as there, no decay term in the loss).
 * <li>{@code "sgd"} or {@code {"type": "sgd", "momentum": 0.9, "nesterov": true}} ({@link Sgd}): plain SGD without
 * momentum, else {@link MomentumSgd} (PyTorch's heavy-ball or Nesterov formulation); weight decay is L2 added to the
 * gradient before the momentum, as {@code torch.optim.SGD} and the AlexNet paper, DL4J's {@code L2Regularization}.
 * Recipes written before the optimizer had its own fields give {@code momentum} and {@code nesterov} beside
 * {@code "optimizer": "sgd"}; they load as the object form.
 * </ul>
 *
 * <p>Weight decay applies to every parameter ({@code weightDecayOn} {@code all}, the default), as a PyTorch optimizer
 * built on {@code model.parameters()}, or only to the parameters that layers declare as weights ({@code weights}):
 * convolution and fully connected kernels, not biases, normalization scales and shifts, a ViT's class token or
 * position embedding, as timm's {@code filter_bias_and_bn}. Label smoothing ({@link LabelSmoothing}) is applied by
 * the {@link Trainer} to each training batch. How each choice compares with PyTorch: {@code src/docs/TRAINING.md}.
 *
 * <p>Optional fields: {@code description}, {@code weightDecay}, {@code weightDecayOn}, {@code schedule},
 * {@code labelSmoothing} (0, all or constant when absent), {@code parallel}, {@code spark} and {@code precision}
 * ({@code float32} when absent).
 *
 * @param name           the recipe's name, e.g. {@code study-resnet}
 * @param description    what it is for and where it comes from; may be empty
 * @param optimizer      {@link AdamW} or {@link Sgd} with its momentum
 * @param learningRate   the base learning rate, &gt; 0
 * @param weightDecay    &gt;= 0: decoupled for {@code adamw}, L2 for {@code sgd}
 * @param weightDecayOn  {@code all} parameters or only the {@code weights}
 * @param batchSize      examples per iteration on one device, &gt;= 1
 * @param epochs         passes over the training set, &gt;= 1
 * @param schedule       the learning-rate schedule; {@code constant} when absent
 * @param labelSmoothing 0 (none) to &lt; 1, PyTorch's {@code CrossEntropyLoss(label_smoothing=...)}
 * @param imageSize      the square input size the data pipeline crops or resizes to, &gt;= 1
 * @param augmentation   the data pipeline's augmentation: a preset, e.g. {@code study}, and the parameters that
 *                       change it ({@link AugmentationSpec})
 * @param seed           seeds the data order and the dropout RNG
 * @param parallel       how several devices (or CPU workers) combine their work; gradient sharing when absent
 * @param spark          how the workers of a Spark cluster combine their work ({@code SparkTrainer}); parameter
 *                       averaging every 5 steps when absent
 * @param precision      {@code float32}, or {@code bf16}: the convolutions' training passes in bf16 where oneDNN
 *                       runs them faster so, on CPUs with AVX512_BF16 (float32 elsewhere), with float32 master
 *                       weights and optimizer; evaluation and inference stay float32 (src/docs/TRAINING.md)
 */
@JsonDeserialize(builder = TrainingRecipe.Builder.class)
public record TrainingRecipe(String name, String description, Optimizer optimizer, double learningRate,
                             Double weightDecay, String weightDecayOn, int batchSize, int epochs, Schedule schedule,
                             Double labelSmoothing, int imageSize, AugmentationSpec augmentation, long seed,
                             Parallel parallel, Spark spark, String precision) {

    /** {@link #weightDecayOn}: every parameter, as a PyTorch optimizer over {@code model.parameters()}. */
    public static final String DECAY_ALL = "all";
    /** {@link #weightDecayOn}: convolution and fully connected kernels only, as timm's {@code filter_bias_and_bn}. */
    public static final String DECAY_WEIGHTS = "weights";
    /** {@link #precision}: every pass in float32. */
    public static final String FLOAT32 = "float32";
    /**
     * {@link #precision}: the convolutions' training passes in bf16 where that is faster, with float32 master
     * weights ({@link io.github.visionzoo.zoo.layers.Conv2d#isBf16}).
     */
    public static final String BF16 = "bf16";
    /** Every {@link #precision} a recipe may give. */
    public static final List<String> PRECISIONS = List.of(FLOAT32, BF16);

    public TrainingRecipe {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("TrainingRecipe.name is required, e.g. \"my-resnet\"");
        }
        // optional fields
        description = description == null ? "" : description;
        weightDecay = weightDecay == null ? 0.0 : weightDecay;
        weightDecayOn = weightDecayOn == null ? DECAY_ALL : weightDecayOn;
        schedule = schedule == null ? new Constant() : schedule;
        labelSmoothing = labelSmoothing == null ? 0.0 : labelSmoothing;
        parallel = parallel == null ? new Parallel(Parallel.GRADIENT_SHARING, null) : parallel;
        spark = spark == null ? new Spark(Spark.PARAMETER_AVERAGING, null, null, null) : spark;
        precision = precision == null ? FLOAT32 : precision;

        if (optimizer == null) {
            throw new IllegalArgumentException("TrainingRecipe.optimizer must be one of " + Optimizer.TYPES
                    + ", was missing");
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("TrainingRecipe.learningRate must be a number > 0, was " + learningRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("TrainingRecipe.weightDecay must be a number >= 0, was " + weightDecay);
        }
        if (!List.of(DECAY_ALL, DECAY_WEIGHTS).contains(weightDecayOn)) {
            throw new IllegalArgumentException("TrainingRecipe.weightDecayOn must be \"" + DECAY_ALL + "\" (every"
                    + " parameter, PyTorch's default) or \"" + DECAY_WEIGHTS + "\" (convolution and linear kernels"
                    + " only), was '" + weightDecayOn + "'");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("TrainingRecipe.batchSize must be >= 1, was " + batchSize);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("TrainingRecipe.epochs must be >= 1, was " + epochs);
        }
        if (schedule instanceof Cosine c && !(c.minLearningRate() < learningRate)) {
            throw new IllegalArgumentException("TrainingRecipe.schedule.minLearningRate must be below learningRate "
                    + learningRate + ", was " + c.minLearningRate());
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("TrainingRecipe.labelSmoothing must be in [0, 1), was "
                    + labelSmoothing);
        }
        if (imageSize < 1) {
            throw new IllegalArgumentException("TrainingRecipe.imageSize must be >= 1, was " + imageSize);
        }
        if (!PRECISIONS.contains(precision)) {
            throw new IllegalArgumentException("TrainingRecipe.precision must be \"" + FLOAT32 + "\" or \"" + BF16
                    + "\" (the convolutions' training passes in bf16 where faster, float32 master weights), was '"
                    + precision + "'");
        }
        if (augmentation == null) {
            throw new IllegalArgumentException("TrainingRecipe.augmentation is required: the data pipeline's preset"
                    + " name, e.g. \"study\", \"alexnet-paper\" or \"eval\", or {\"preset\": ..., ...}");
        }
    }

    /**
     * A recipe with weight decay on every parameter, the default {@link Spark} settings and the augmentation preset
     * {@code augmentation} with its own values.
     */
    public TrainingRecipe(String name, String description, Optimizer optimizer, double learningRate,
                          Double weightDecay, int batchSize, int epochs, Schedule schedule, Double labelSmoothing,
                          int imageSize, String augmentation, long seed, Parallel parallel) {
        this(name, description, optimizer, learningRate, weightDecay, null, batchSize, epochs, schedule,
                labelSmoothing, imageSize, augmentation == null ? null : AugmentationSpec.of(augmentation), seed,
                parallel, null, null);
    }

    /** Reads a recipe from JSON; {@code source} names the origin in error messages. */
    public static TrainingRecipe fromJson(String json, String source) {
        return Json.read(json, TrainingRecipe.class, source);
    }

    public String toJson() {
        return Json.write(this);
    }

    public TrainingRecipe withEpochs(int epochs) {
        return with(b -> b.epochs = epochs);
    }

    public TrainingRecipe withBatchSize(int batchSize) {
        return with(b -> b.batchSize = batchSize);
    }

    public TrainingRecipe withImageSize(int imageSize) {
        return with(b -> b.imageSize = imageSize);
    }

    public TrainingRecipe withParallel(Parallel parallel) {
        return with(b -> b.parallel = parallel);
    }

    public TrainingRecipe withSpark(Spark spark) {
        return with(b -> b.spark = spark);
    }

    /** The same recipe in {@link #FLOAT32} or {@link #BF16}. */
    public TrainingRecipe withPrecision(String precision) {
        return with(b -> b.precision = precision);
    }

    private TrainingRecipe with(Consumer<Builder> change) {
        Builder b = new Builder(this);
        change.accept(b);
        return b.build();
    }

    /**
     * The components of a recipe as fields: what a copy changes, and what JSON is read into, so that the
     * {@code momentum} and {@code nesterov} that recipes gave beside {@code "optimizer": "sgd"} before the optimizer
     * had its own fields still load.
     */
    @JsonPOJOBuilder(withPrefix = "")
    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
    static final class Builder {
        private String name;
        private String description;
        private Optimizer optimizer;
        private Double learningRate;
        private Double momentum;
        private Boolean nesterov;
        private Double weightDecay;
        private String weightDecayOn;
        private Integer batchSize;
        private Integer epochs;
        private Schedule schedule;
        private Double labelSmoothing;
        private Integer imageSize;
        private AugmentationSpec augmentation;
        private Long seed;
        private Parallel parallel;
        private Spark spark;
        private String precision;

        private Builder() {
        }

        private Builder(TrainingRecipe r) {
            name = r.name;
            description = r.description;
            optimizer = r.optimizer;
            learningRate = r.learningRate;
            weightDecay = r.weightDecay;
            weightDecayOn = r.weightDecayOn;
            batchSize = r.batchSize;
            epochs = r.epochs;
            schedule = r.schedule;
            labelSmoothing = r.labelSmoothing;
            imageSize = r.imageSize;
            augmentation = r.augmentation;
            seed = r.seed;
            parallel = r.parallel;
            spark = r.spark;
            precision = r.precision;
        }

        TrainingRecipe build() {
            return new TrainingRecipe(name, description, optimizer(), required("learningRate", learningRate),
                    weightDecay, weightDecayOn, required("batchSize", batchSize), required("epochs", epochs),
                    schedule, labelSmoothing, required("imageSize", imageSize), augmentation, required("seed", seed),
                    parallel, spark, precision);
        }

        private static <T> T required(String field, T value) {
            if (value == null) {
                throw new IllegalArgumentException("field '" + field + "' is missing or null");
            }
            return value;
        }

        /** The optimizer with the top-level {@code momentum} and {@code nesterov} of an earlier recipe moved in. */
        private Optimizer optimizer() {
            boolean plain = (momentum == null || momentum == 0) && (nesterov == null || !nesterov);
            if (plain || optimizer == null) {
                return optimizer;
            }
            if (!(optimizer instanceof Sgd sgd)) {
                throw new IllegalArgumentException("TrainingRecipe.momentum and nesterov apply to optimizer sgd only;"
                        + " remove them for " + Json.write(optimizer));
            }
            if (!sgd.equals(new Sgd())) {
                throw new IllegalArgumentException("TrainingRecipe.momentum and nesterov: give them once, in the"
                        + " optimizer, e.g. {\"type\": \"sgd\", \"momentum\": 0.9}");
            }
            return new Sgd(momentum, nesterov);
        }
    }

    /**
     * The DL4J updater of this recipe, its learning rate following the schedule.
     *
     * @param stepsPerEpoch optimizer steps in one epoch: batches per epoch, divided by the workers when several
     *                      train in parallel; schedules given in epochs need it
     */
    public IUpdater updater(int stepsPerEpoch) {
        return RecipeApplier.updater(this, stepsPerEpoch);
    }

    /**
     * A copy of {@code conf} with this recipe's updater, schedule and weight decay on every trainable layer. Layers
     * frozen for fine-tuning stay frozen.
     *
     * @param stepsPerEpoch see {@link #updater(int)}
     */
    public ComputationGraphConfiguration applyTo(ComputationGraphConfiguration conf, int stepsPerEpoch) {
        return RecipeApplier.apply(this, conf, stepsPerEpoch);
    }

    /**
     * An initialized graph with this recipe applied ({@link #applyTo(ComputationGraphConfiguration, int)}) and the
     * parameters of {@code graph} (batch-norm statistics included); the updater state starts afresh. DL4J bakes the
     * updater into each layer's configuration, so a recipe cannot change an initialized graph in place.
     */
    public ComputationGraph applyTo(ComputationGraph graph, int stepsPerEpoch) {
        ComputationGraph applied = new ComputationGraph(applyTo(graph.getConfiguration(), stepsPerEpoch));
        applied.init(graph.params().dup(), false);
        return applied;
    }

    /**
     * The optimizer, as PyTorch's. JSON: its name, {@code "adamw"} or {@code "sgd"}, or an object of its type and
     * fields, {@code {"type": "sgd", "momentum": 0.9, "nesterov": true}}; written back as the name alone when every
     * field has its default.
     */
    public sealed interface Optimizer permits AdamW, Sgd {
        /** The optimizers a recipe may name. */
        List<String> TYPES = List.of(AdamW.TYPE, Sgd.TYPE);

        /**
         * The DL4J updater.
         *
         * @param learningRate the base rate
         * @param schedule     the rate per step, or null for a constant rate
         */
        IUpdater updater(double learningRate, ISchedule schedule);

        /** Weight decay {@code weightDecay} (&gt; 0) as this optimizer applies it. */
        Regularization decay(double weightDecay);

        /** The name, or an object of {@code type} and the fields, as a recipe gives it. */
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static Optimizer of(JsonNode json) throws JsonProcessingException {
            JsonNode type = json.isObject() ? json.get("type") : json;
            String name = type != null && type.isTextual() ? type.textValue() : null;
            Class<? extends Optimizer> c = AdamW.TYPE.equals(name) ? AdamW.class : Sgd.TYPE.equals(name) ? Sgd.class
                    : null;
            if (c == null) {
                throw new IllegalArgumentException("TrainingRecipe.optimizer must be one of " + TYPES + ", or"
                        + " {\"type\": \"sgd\", \"momentum\": ...}; was " + (name != null ? "'" + name + "'"
                        : json.isObject() ? "an object without \"type\"" : json.toString()));
            }
            ObjectNode fields = json.isObject() ? json.<ObjectNode>deepCopy().without("type")
                    : JsonNodeFactory.instance.objectNode();
            if (c == AdamW.class && !fields.isEmpty()) {
                throw new IllegalArgumentException("TrainingRecipe.optimizer adamw takes no fields (PyTorch's betas"
                        + " (0.9, 0.999) and eps 1e-8), was given " + Json.write(fields));
            }
            return Json.mapper().treeToValue(fields, c);
        }
    }

    /** AdamW, {@code "adamw"}: PyTorch's Adam with decoupled weight decay. */
    public record AdamW() implements Optimizer {
        static final String TYPE = "adamw";

        @Override
        public IUpdater updater(double learningRate, ISchedule schedule) {
            return new TorchAdam(learningRate, schedule);
        }

        @Override
        public Regularization decay(double weightDecay) {
            return new DecoupledWeightDecay(weightDecay);
        }

        @JsonValue
        String toJson() {
            return TYPE;
        }
    }

    /**
     * SGD, {@code "sgd"}: plain without momentum, else PyTorch's heavy-ball or Nesterov momentum; weight decay as L2.
     *
     * @param momentum 0 (none) to &lt; 1; 0 when absent
     * @param nesterov Nesterov momentum instead of heavy-ball (needs momentum &gt; 0); false when absent
     */
    public record Sgd(Double momentum, Boolean nesterov) implements Optimizer {
        static final String TYPE = "sgd";

        public Sgd {
            momentum = momentum == null ? 0.0 : momentum;
            nesterov = nesterov != null && nesterov;
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("TrainingRecipe.optimizer.momentum must be in [0, 1), was "
                        + momentum);
            }
            if (nesterov && momentum == 0) {
                throw new IllegalArgumentException("TrainingRecipe.optimizer.nesterov needs momentum > 0, e.g. 0.9");
            }
        }

        /** Plain SGD. */
        public Sgd() {
            this(null, null);
        }

        @Override
        public IUpdater updater(double learningRate, ISchedule schedule) {
            if (momentum > 0) {
                return new MomentumSgd(learningRate, schedule, momentum, nesterov);
            }
            return schedule == null ? new org.nd4j.linalg.learning.config.Sgd(learningRate)
                    : new org.nd4j.linalg.learning.config.Sgd(schedule);
        }

        @Override
        public Regularization decay(double weightDecay) {
            return new L2Regularization(weightDecay);
        }

        @JsonValue
        Object toJson() {
            if (equals(new Sgd())) {
                return TYPE;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", TYPE);
            m.put("momentum", momentum);
            if (nesterov) {
                m.put("nesterov", true);
            }
            return m;
        }
    }

    /** A learning-rate schedule over optimizer steps. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = Constant.class, name = "constant"),
            @JsonSubTypes.Type(value = Step.class, name = "step"),
            @JsonSubTypes.Type(value = Cosine.class, name = "cosine")
    })
    public sealed interface Schedule permits Constant, Step, Cosine {
        /**
         * The DL4J schedule of the learning rate, {@code null} for a constant rate.
         *
         * @param learningRate  the base rate
         * @param epochs        the recipe's epochs
         * @param stepsPerEpoch optimizer steps per epoch
         */
        ISchedule toDl4j(double learningRate, int epochs, int stepsPerEpoch);
    }

    /** The base learning rate throughout. */
    public record Constant() implements Schedule {
        @Override
        public ISchedule toDl4j(double learningRate, int epochs, int stepsPerEpoch) {
            return null;
        }
    }

    /**
     * The rate times {@code factor} every {@code stepIterations} optimizer steps, or every {@code stepEpochs} epochs
     * (exactly one of the two), as PyTorch's {@code StepLR} stepped per iteration.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Step(double factor, Integer stepIterations, Double stepEpochs) implements Schedule {
        public Step {
            if (!(factor > 0 && factor <= 1)) {
                throw new IllegalArgumentException("TrainingRecipe.schedule.factor must be in (0, 1], e.g. 0.1; was "
                        + factor);
            }
            if ((stepIterations == null) == (stepEpochs == null)
                    || (stepIterations != null && stepIterations < 1) || (stepEpochs != null && !(stepEpochs > 0))) {
                throw new IllegalArgumentException("TrainingRecipe.schedule of type step needs exactly one of"
                        + " stepIterations (>= 1) and stepEpochs (> 0); was stepIterations " + stepIterations
                        + ", stepEpochs " + stepEpochs);
            }
        }

        @Override
        public ISchedule toDl4j(double learningRate, int epochs, int stepsPerEpoch) {
            double step = stepIterations != null ? stepIterations
                    : Math.max(1, Math.round(stepEpochs * stepsPerEpoch));
            return new StepSchedule(ScheduleType.ITERATION, learningRate, factor, step);
        }
    }

    /**
     * A linear warm-up over {@code warmupEpochs} (may be fractional; 0 when absent), then a cosine decay to
     * {@code minLearningRate} (0 when absent) at the end of the last epoch ({@link WarmupCosineSchedule}).
     */
    public record Cosine(Double warmupEpochs, Double minLearningRate) implements Schedule {
        public Cosine {
            warmupEpochs = warmupEpochs == null ? 0.0 : warmupEpochs;
            minLearningRate = minLearningRate == null ? 0.0 : minLearningRate;
            if (!(warmupEpochs >= 0) || Double.isInfinite(warmupEpochs)) {
                throw new IllegalArgumentException("TrainingRecipe.schedule.warmupEpochs must be >= 0, was "
                        + warmupEpochs);
            }
            if (!(minLearningRate >= 0)) {
                throw new IllegalArgumentException("TrainingRecipe.schedule.minLearningRate must be >= 0, was "
                        + minLearningRate);
            }
        }

        @Override
        public ISchedule toDl4j(double learningRate, int epochs, int stepsPerEpoch) {
            int total = Math.max(1, epochs * stepsPerEpoch);
            int warmup = (int) Math.min(total - 1, Math.round(warmupEpochs * stepsPerEpoch));
            return new WarmupCosineSchedule(learningRate, minLearningRate, warmup, total);
        }
    }

    /**
     * How several workers (one per GPU, or CPU threads) combine their work in DL4J's {@code ParallelWrapper}:
     * {@code gradient-sharing} (threshold-encoded gradient updates exchanged each step, DL4J's recommendation for
     * several GPUs) or {@code averaging} (each worker trains its own copy; parameters and updater state are averaged
     * every {@code averagingFrequency} steps, default 1). Ignored with a single worker. On two CPU workers in this
     * project's tests, averaging every step lowered the loss markedly faster than gradient sharing.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Parallel(String mode, Integer averagingFrequency) {
        public static final String GRADIENT_SHARING = "gradient-sharing";
        public static final String AVERAGING = "averaging";

        public Parallel {
            if (mode == null || !List.of(GRADIENT_SHARING, AVERAGING).contains(mode)) {
                throw new IllegalArgumentException("TrainingRecipe.parallel.mode must be one of ["
                        + GRADIENT_SHARING + ", " + AVERAGING + "], was "
                        + (mode == null ? "missing" : "'" + mode + "'"));
            }
            if (mode.equals(GRADIENT_SHARING) && averagingFrequency != null) {
                throw new IllegalArgumentException("TrainingRecipe.parallel.averagingFrequency applies to mode "
                        + AVERAGING + " only");
            }
            if (mode.equals(AVERAGING)) {
                averagingFrequency = averagingFrequency == null ? 1 : averagingFrequency;
                if (averagingFrequency < 1) {
                    throw new IllegalArgumentException("TrainingRecipe.parallel.averagingFrequency must be >= 1, was "
                            + averagingFrequency);
                }
            }
        }
    }

    /**
     * How the workers of a Spark cluster combine their work in {@code SparkTrainer}, one of DL4J's two training masters:
     * <ul>
     * <li>{@code parameter-averaging} ({@code ParameterAveragingTrainingMaster}): each worker trains its own copy for
     * {@code averagingFrequency} steps (default 5, DL4J's default); the driver then averages parameters and updater
     * state and sends them out again;
     * <li>{@code shared-gradients} ({@code SharedTrainingMaster}): every step, each worker sends its gradient update,
     * threshold-encoded and sparse, to the others over Aeron (UDP); {@code threshold} is the initial encoding threshold
     * of DL4J's adaptive threshold algorithm (default 1e-3, DL4J's default).
     * </ul>
     * {@code workers} is the number of Spark tasks that train at once, usually one per executor (default: Spark's
     * default parallelism, the cluster's cores in total). A step of the recipe's schedule is one minibatch on each
     * worker, so an epoch is {@code batches / workers} steps, as with several local workers.
     *
     * @param master             {@code parameter-averaging} or {@code shared-gradients}
     * @param workers            Spark tasks training at once, &gt;= 1; null for Spark's default parallelism
     * @param averagingFrequency {@code parameter-averaging} only: steps between averagings, &gt;= 1 (default 5)
     * @param threshold          {@code shared-gradients} only: the initial encoding threshold, &gt; 0 (default 1e-3)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Spark(String master, Integer workers, Integer averagingFrequency, Double threshold) {
        public static final String PARAMETER_AVERAGING = "parameter-averaging";
        public static final String SHARED_GRADIENTS = "shared-gradients";
        /** The training masters a recipe may name. */
        public static final List<String> MASTERS = List.of(PARAMETER_AVERAGING, SHARED_GRADIENTS);

        public Spark {
            if (master == null || !MASTERS.contains(master)) {
                throw new IllegalArgumentException("TrainingRecipe.spark.master must be one of " + MASTERS + ", was "
                        + (master == null ? "missing" : "'" + master + "'"));
            }
            if (workers != null && workers < 1) {
                throw new IllegalArgumentException("TrainingRecipe.spark.workers must be >= 1 (or absent for Spark's"
                        + " default parallelism), was " + workers);
            }
            if (master.equals(SHARED_GRADIENTS)) {
                if (averagingFrequency != null) {
                    throw new IllegalArgumentException("TrainingRecipe.spark.averagingFrequency applies to master "
                            + PARAMETER_AVERAGING + " only; remove it for " + SHARED_GRADIENTS);
                }
                threshold = threshold == null ? 1e-3 : threshold;
                if (!(threshold > 0) || Double.isInfinite(threshold)) {
                    throw new IllegalArgumentException("TrainingRecipe.spark.threshold must be a number > 0, e.g."
                            + " 1e-3; was " + threshold);
                }
            } else {
                if (threshold != null) {
                    throw new IllegalArgumentException("TrainingRecipe.spark.threshold applies to master "
                            + SHARED_GRADIENTS + " only; remove it for " + PARAMETER_AVERAGING);
                }
                averagingFrequency = averagingFrequency == null ? 5 : averagingFrequency;
                if (averagingFrequency < 1) {
                    throw new IllegalArgumentException("TrainingRecipe.spark.averagingFrequency must be >= 1, was "
                            + averagingFrequency);
                }
            }
        }
    }
}
