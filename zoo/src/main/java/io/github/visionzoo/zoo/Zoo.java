package io.github.visionzoo.zoo;

import io.github.visionzoo.zoo.ModelFamily.Variant;
import io.github.visionzoo.zoo.models.AlexNetSpec;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.models.VggSpec;
import io.github.visionzoo.zoo.models.SwinSpec;
import io.github.visionzoo.zoo.models.VitSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The registry: the model families, and model names to specs, configurations and initialized graphs.
 *
 * <pre>{@code
 * ComputationGraph net = Zoo.create("resnet34", 10);          // initialized, fixed seed
 * ComputationGraphConfiguration conf = Zoo.configuration("vgg16", 10);
 * ModelSpec small = Zoo.spec("resnet18").withImageSize(96);   // then small.configuration(10)
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
            SwinSpec.FAMILY);

    private static final Map<String, Variant> MODELS = new LinkedHashMap<>();

    static {
        FAMILIES.forEach(f -> f.variants().forEach(v -> MODELS.put(v.name(), v)));
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

    /** An initialized graph of any spec. */
    public static ComputationGraph create(ModelSpec spec, int numClasses, long seed) {
        OneDnn.enable();
        ComputationGraph graph = new ComputationGraph(spec.configuration(numClasses, seed));
        graph.init();
        return graph;
    }
}
