package io.github.visionzoo.zoo;

import io.github.visionzoo.zoo.ModelFamily.Variant;
import io.github.visionzoo.zoo.models.AlexNetSpec;
import io.github.visionzoo.zoo.models.DavitSpec;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.models.VggSpec;
import io.github.visionzoo.zoo.models.SwinSpec;
import io.github.visionzoo.zoo.models.VitSpec;
import io.github.visionzoo.zoo.weights.ImportOptions;
import io.github.visionzoo.zoo.weights.Pretrained;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.zoo.weights.WeightImporter;
import io.github.visionzoo.zoo.weights.WeightsCache;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The registry: the model families, and model names to specs, configurations and initialized graphs.
 *
 * <pre>{@code
 * ComputationGraph net = Zoo.create("resnet34", 10);          // initialized, fixed seed
 * ComputationGraphConfiguration conf = Zoo.configuration("vgg16", 10);
 * ModelSpec small = Zoo.spec("resnet18").withImageSize(96);   // then small.configuration(10)
 *
 * Pretrained p = Zoo.pretrained("resnet50", "IMAGENET1K_V2");  // ImageNet head, classes, eval transform
 * Pretrained ft = Zoo.pretrained("vit_b_16", "IMAGENET1K_V1", 10); // a new 10-class head to fine-tune
 * List<PretrainedWeights> published = Zoo.weights("resnet50");
 * }</pre>
 *
 * <p>Building anything through the registry first switches on DL4J's oneDNN/cuDNN helpers ({@link OneDnn}).
 */
public final class Zoo {
    /**
     * Every family, in the order {@code list} shows them: a new family is its file in {@code models} and one entry
     * here, which gives it its names, its JSON tag and its weight import.
     */
    private static final List<ModelFamily<?>> FAMILIES = List.of(
            AlexNetSpec.FAMILY,
            VggSpec.FAMILY,
            ResNetSpec.FAMILY,
            VitSpec.FAMILY,
            SwinSpec.FAMILY,
            DavitSpec.FAMILY);

    /** The tag that names a model's first catalogue entry, as torchvision's {@code Weights.DEFAULT}. */
    public static final String DEFAULT_WEIGHTS = "DEFAULT";

    private static final Map<String, Variant> MODELS = new LinkedHashMap<>();
    private static final Map<String, List<PretrainedWeights>> WEIGHTS = new LinkedHashMap<>();

    static {
        FAMILIES.forEach(f -> f.variants().forEach(v -> MODELS.put(v.name(), v)));
        FAMILIES.forEach(f -> f.weights().forEach(Zoo::addWeights));
    }

    private Zoo() {
    }

    /**
     * Registers (or replaces) a model under {@code name}, for instance a spec read from a JSON file.
     *
     * @throws IllegalArgumentException when the name is blank
     */
    public static synchronized void register(String name, ModelSpec spec, String description) {
        MODELS.put(name, new Variant(name, spec, description));
    }

    /**
     * Adds a weight file to the catalogue, for instance a company's own weights of a registered model; its tag must be
     * new for the model.
     *
     * @throws IllegalArgumentException for an unknown model or a tag it already has
     */
    public static synchronized void register(PretrainedWeights weights) {
        entry(weights.model());
        if (WEIGHTS.getOrDefault(weights.model(), List.of()).stream().anyMatch(w -> w.tag().equals(weights.tag()))) {
            throw new IllegalArgumentException(weights.ref() + " is already in the catalogue");
        }
        addWeights(weights);
    }

    private static void addWeights(PretrainedWeights w) {
        WEIGHTS.computeIfAbsent(w.model(), m -> new ArrayList<>()).add(w);
    }

    /** Every model family, as registered. */
    public static List<ModelFamily<?>> families() {
        return FAMILIES;
    }

    /** Every registered name, in registration order. */
    public static synchronized List<String> names() {
        return new ArrayList<>(MODELS.keySet());
    }

    /**
     * The registered model.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static synchronized Variant entry(String name) {
        Variant e = MODELS.get(name);
        if (e == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known models: "
                    + String.join(", ", MODELS.keySet()));
        }
        return e;
    }

    public static ModelSpec spec(String name) {
        return entry(name).spec();
    }

    /**
     * A registered name, or else a spec JSON file ({@code {"family":"resnet", ...}}, as {@link Json#write} gives).
     *
     * @throws IllegalArgumentException naming the known models when it is neither, or the file's error
     */
    public static ModelSpec resolve(String nameOrFile) {
        synchronized (Zoo.class) {
            if (MODELS.containsKey(nameOrFile)) {
                return MODELS.get(nameOrFile).spec();
            }
        }
        java.nio.file.Path file = java.nio.file.Path.of(nameOrFile);
        if (nameOrFile.endsWith(".json") && java.nio.file.Files.isRegularFile(file)) {
            return Json.read(file, ModelSpec.class);
        }
        if (nameOrFile.endsWith(".json")) {
            throw new IllegalArgumentException("model spec file " + file.toAbsolutePath() + " does not exist (or is"
                    + " not a file); give a spec JSON file or a registered name: " + String.join(", ", names()));
        }
        throw new IllegalArgumentException("unknown model '" + nameOrFile + "' (neither a registered name nor a spec "
                + "JSON file); known models: " + String.join(", ", names()));
    }

    public static ComputationGraphConfiguration configuration(String name, int numClasses) {
        return spec(name).configuration(numClasses);
    }

    /** An initialized graph of the named model, seeded with {@link ModelSpec#DEFAULT_SEED}. */
    public static ComputationGraph create(String name, int numClasses) {
        return create(spec(name), numClasses, ModelSpec.DEFAULT_SEED);
    }

    /** The whole catalogue of published weights, model by model in registration order. */
    public static synchronized List<PretrainedWeights> weights() {
        return WEIGHTS.values().stream().flatMap(List::stream).toList();
    }

    /**
     * The published weights of a registered model, its default first; empty when it has none ({@link #noWeights}).
     *
     * @throws IllegalArgumentException for an unknown model
     */
    public static synchronized List<PretrainedWeights> weights(String model) {
        entry(model);
        return List.copyOf(WEIGHTS.getOrDefault(model, List.of()));
    }

    /**
     * The weights {@code tag} of {@code model}; {@value #DEFAULT_WEIGHTS} names its first.
     *
     * @throws IllegalArgumentException for an unknown model or tag, naming the known ones
     */
    public static PretrainedWeights weights(String model, String tag) {
        List<PretrainedWeights> known = weights(model);
        if (known.isEmpty()) {
            throw new IllegalArgumentException(model + " has no published weights" + noWeights(model).map(
                    why -> " (" + why + ")").orElse("") + "; models with weights: " + String.join(", ",
                    weights().stream().map(PretrainedWeights::model).distinct().toList()));
        }
        if (tag.equals(DEFAULT_WEIGHTS)) {
            return known.get(0);
        }
        return known.stream().filter(w -> w.tag().equals(tag)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown weights '" + tag + "' of " + model + "; known: " + String.join(
                        ", ", known.stream().map(PretrainedWeights::tag).toList()) + " (or " + DEFAULT_WEIGHTS + ")"));
    }

    /** Why a registered model has no published weights, as its family says. */
    public static Optional<String> noWeights(String model) {
        return FAMILIES.stream().map(f -> f.withoutWeights().get(model)).filter(java.util.Objects::nonNull)
                .findFirst();
    }

    /**
     * The model with the published weights {@code tag} and their ImageNet head, downloaded into the default cache
     * ({@link WeightsCache#defaults()}) on first use.
     */
    public static Pretrained pretrained(String model, String tag) throws IOException {
        PretrainedWeights w = weights(model, tag);
        return pretrained(w, w.numClasses(), WeightsCache.defaults());
    }

    /** The same with a new head of {@code numClasses} outputs, ready to fine-tune. */
    public static Pretrained pretrained(String model, String tag, int numClasses) throws IOException {
        return pretrained(weights(model, tag), numClasses, WeightsCache.defaults());
    }

    /**
     * The model of {@code weights} at their input size, loaded from {@code cache}'s verified file: strictly with the
     * file's head when {@code numClasses} is its class count, else with a new head.
     */
    public static Pretrained pretrained(PretrainedWeights weights, int numClasses, WeightsCache cache)
            throws IOException {
        return pretrained(weights, spec(weights.model()).withImageSize(weights.inputSize()), numClasses, cache);
    }

    /**
     * The weights in {@code spec}, their model at another input size (a ViT's position embedding is resized to its
     * patch grid), such as a fine-tuning recipe's.
     */
    public static Pretrained pretrained(PretrainedWeights weights, ModelSpec spec, int numClasses, WeightsCache cache)
            throws IOException {
        Path file = cache.get(weights);
        ImportOptions options = numClasses == weights.numClasses() ? ImportOptions.strict()
                : ImportOptions.allowingHeadMismatch();
        return new Pretrained(WeightImporter.create(spec, numClasses, file, options), spec, weights, numClasses);
    }

    /** An initialized graph of any spec. */
    public static ComputationGraph create(ModelSpec spec, int numClasses, long seed) {
        OneDnn.enable();
        ComputationGraph graph = new ComputationGraph(spec.configuration(numClasses, seed));
        graph.init();
        return graph;
    }
}
