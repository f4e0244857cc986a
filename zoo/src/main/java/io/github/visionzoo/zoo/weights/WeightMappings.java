package io.github.visionzoo.zoo.weights;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.models.AlexNetSpec;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.models.VitSpec;
import io.github.visionzoo.zoo.models.VggSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The weight mapping of each model family, the one place where a family says how its parameters meet PyTorch's:
 * every family uses {@link TorchvisionMapping}, the ViT's also reading timm's names ({@link TimmVitNames}).
 */
public final class WeightMappings {
    private static final Map<Class<?>, Function<ModelSpec, WeightMapping>> FAMILIES = new LinkedHashMap<>();

    static {
        register(AlexNetSpec.class, s -> new TorchvisionMapping(s.headName()));
        register(VggSpec.class, s -> new TorchvisionMapping(s.headName()));
        register(ResNetSpec.class, s -> new TorchvisionMapping(s.headName()));
        register(VitSpec.class, s -> new TorchvisionMapping(s.headName(), TimmVitNames::toTorchvision));
    }

    private WeightMappings() {
    }

    /** Sets the mapping of a family (a spec record class), replacing any before. */
    @SuppressWarnings("unchecked")
    public static synchronized <S extends ModelSpec> void register(Class<S> family,
                                                                   Function<? super S, WeightMapping> mapping) {
        FAMILIES.put(family, s -> mapping.apply((S) s));
    }

    /**
     * The mapping of a spec's family.
     *
     * @throws IllegalArgumentException for a family without one
     */
    public static synchronized WeightMapping of(ModelSpec spec) {
        Function<ModelSpec, WeightMapping> f = FAMILIES.get(spec.getClass());
        if (f == null) {
            throw new IllegalArgumentException("no weight mapping for " + spec.getClass().getSimpleName()
                    + "; families with one: " + FAMILIES.keySet().stream().map(Class::getSimpleName).toList());
        }
        return f.apply(spec);
    }

    /**
     * The mapping for a graph whose spec is unknown (a plain DL4J checkpoint): torchvision's CNN naming, with the
     * graph's single output as the classifier.
     */
    public static WeightMapping of(ComputationGraph graph) {
        var outputs = graph.getConfiguration().getNetworkOutputs();
        if (outputs.size() != 1) {
            throw new IllegalArgumentException("a graph with " + outputs.size() + " outputs has no single classifier");
        }
        return new TorchvisionMapping(outputs.get(0));
    }
}
