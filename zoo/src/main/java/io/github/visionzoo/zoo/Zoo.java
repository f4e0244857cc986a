package io.github.visionzoo.zoo;

import io.github.visionzoo.zoo.models.AlexNetSpec;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.models.VggSpec;
import io.github.visionzoo.zoo.models.VitSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The registry: model names to specs, configurations and initialized graphs.
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
    /** A registered model. */
    public record Entry(String name, ModelSpec spec, String description) {
    }

    private static final Map<String, Entry> MODELS = new LinkedHashMap<>();

    static {
        register("alexnet", AlexNetSpec.alexnet(), "AlexNet (Krizhevsky et al. 2012), LRN after conv1 and conv2");
        register("alexnet_tv", AlexNetSpec.alexnetTorchvision(), "torchvision's AlexNet: 64-192-384-256-256, no LRN");
        register("vgg11", VggSpec.vgg11(), "VGG configuration A (Simonyan & Zisserman 2014)");
        register("vgg13", VggSpec.vgg13(), "VGG configuration B");
        register("vgg16", VggSpec.vgg16(), "VGG configuration D");
        register("vgg19", VggSpec.vgg19(), "VGG configuration E");
        register("resnet18", ResNetSpec.resnet18(), "ResNet-18 (He et al. 2015), basic blocks [2,2,2,2]");
        register("resnet34", ResNetSpec.resnet34(), "ResNet-34, basic blocks [3,4,6,3]");
        register("resnet50", ResNetSpec.resnet50(), "ResNet-50, bottleneck blocks [3,4,6,3]");
        register("resnet34_convbias", ResNetSpec.resnet34ConvBias(),
                "the reference study's ResNet-34: a bias on every convolution");
        register("vit_ti_16", VitSpec.vitTi16(), "ViT-Ti/16 (DeiT-Ti): D 192, 12 blocks, 3 heads, MLP 768");
        register("vit_s_16", VitSpec.vitS16(), "ViT-S/16 (DeiT-S): D 384, 12 blocks, 6 heads, MLP 1536");
        register("vit_b_16", VitSpec.vitB16(), "ViT-B/16 (Dosovitskiy et al. 2021): D 768, 12 blocks, 12 heads");
        register("vit_b_32", VitSpec.vitB32(), "ViT-B/32: ViT-B with 32x32 patches");
        register("vit_l_16", VitSpec.vitL16(), "ViT-L/16: D 1024, 24 blocks, 16 heads, MLP 4096");
    }

    private Zoo() {
    }

    /**
     * Registers (or replaces) a model under {@code name}, for instance a spec read from a JSON file.
     *
     * @throws IllegalArgumentException when the name is blank
     */
    public static synchronized void register(String name, ModelSpec spec, String description) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a model name must not be blank");
        }
        MODELS.put(name, new Entry(name, java.util.Objects.requireNonNull(spec, "spec"), description));
    }

    /** Every registered name, in registration order. */
    public static synchronized List<String> names() {
        return new ArrayList<>(MODELS.keySet());
    }

    /**
     * The registered entry.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static synchronized Entry entry(String name) {
        Entry e = MODELS.get(name);
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
