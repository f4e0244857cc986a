package io.github.visionzoo.zoo;

import io.github.visionzoo.zoo.train.Recipes;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * A model family's one registration, declared as {@code FAMILY} in the family's file (such as
 * {@code models/ResNetSpec.java}) and listed once in {@link Zoo}: everything else reads it. {@link Zoo} takes its named
 * variants, {@link Json} its tag as the spec's {@code "family"} and its spec type, {@link ModelSpec} its builder and
 * head, weight import and export ({@code WeightMapping.of}) its head and state-dict names, and {@link Zoo#weights} its
 * catalogue of published weights.
 *
 * <pre>{@code
 * public static final ModelFamily<ResNetSpec> FAMILY = ModelFamily.of("resnet", ResNetSpec.class, HEAD,
 *                 ResNetSpec::build)
 *         .withVariant("resnet18", resnet18(), "ResNet-18 (He et al. 2015), basic blocks [2,2,2,2]");
 * }</pre>
 *
 * <p>As torchvision's {@code register_model} and timm's registry, a family is known by being listed, not by being
 * named in the code that reads families; unlike them, the list is one line per family in {@link Zoo}, so that what a
 * registry holds does not depend on which classes happen to be loaded. The catalogue of published weights is part of
 * the registration: each variant either lists its weights ({@link #withWeights}) or says why it has none
 * ({@link #withoutWeights}).
 *
 * @param <S> the family's spec record
 */
public final class ModelFamily<S extends ModelSpec> {
    /** The recipe of a family that names none ({@link #withRecipe}). */
    public static final String DEFAULT_RECIPE = "cpu-small";

    /** Builds the configuration of one spec. */
    @FunctionalInterface
    public interface Builder<S extends ModelSpec> {
        /** The DL4J configuration of {@code spec} with {@code numClasses} outputs, initialized from {@code seed}. */
        ComputationGraphConfiguration configuration(S spec, int numClasses, long seed);
    }

    /**
     * A named model: a spec under a name, with one line of description, as {@code list} shows it.
     *
     * @param name        the name {@link Zoo} knows it by, such as {@code resnet34}
     * @param spec        the architecture
     * @param description what it is, in one line
     */
    public record Variant(String name, ModelSpec spec, String description) {
        public Variant {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a model name must not be blank");
            }
            Objects.requireNonNull(spec, "spec");
        }
    }

    private final String tag;
    private final Class<S> specType;
    private final String head;
    private final Builder<S> builder;
    private final UnaryOperator<String> stateDictNames;
    private final List<Variant> variants;
    private final List<PretrainedWeights> weights;
    private final Map<String, String> withoutWeights;
    private final String recipe;

    private ModelFamily(String tag, Class<S> specType, String head, Builder<S> builder,
                        UnaryOperator<String> stateDictNames, List<Variant> variants, List<PretrainedWeights> weights,
                        Map<String, String> withoutWeights, String recipe) {
        this.tag = tag;
        this.specType = specType;
        this.head = head;
        this.builder = builder;
        this.stateDictNames = stateDictNames;
        this.variants = List.copyOf(variants);
        this.weights = List.copyOf(weights);
        this.withoutWeights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(withoutWeights));
        this.recipe = recipe;
    }

    /**
     * A family without variants, whose state-dict names are its vertex names.
     *
     * @param tag      the family's name in a spec's JSON ({@code "family":"resnet"}), lower case
     * @param specType the spec record
     * @param head     the classifier vertex, the graph's output: what fine-tuning replaces and what weight import
     *                 may skip ({@code fc}, {@code classifier.6}, {@code heads.head})
     * @param builder  the family's configuration
     */
    public static <S extends ModelSpec> ModelFamily<S> of(String tag, Class<S> specType, String head,
                                                          Builder<S> builder) {
        if (tag == null || !tag.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("a family tag is lower case letters, digits and _, was '" + tag + "'");
        }
        return new ModelFamily<>(tag, Objects.requireNonNull(specType, "specType"), Objects.requireNonNull(head,
                "head"), Objects.requireNonNull(builder, "builder"), UnaryOperator.identity(), List.of(), List.of(),
                Map.of(), DEFAULT_RECIPE);
    }

    /** The same family with one more named variant, listed after the others. */
    public ModelFamily<S> withVariant(String name, S spec, String description) {
        List<Variant> more = new ArrayList<>(variants);
        more.add(new Variant(name, spec, description));
        return new ModelFamily<>(tag, specType, head, builder, stateDictNames, more, weights, withoutWeights, recipe);
    }

    /**
     * The same family with one more published weight file of one of its variants, listed after the others; a
     * variant's first entry is its default (torchvision's {@code DEFAULT}).
     *
     * @throws IllegalArgumentException when the family has no such variant, or it already lists this tag or was
     *                                  said to have no weights
     */
    public ModelFamily<S> withWeights(PretrainedWeights entry) {
        requireVariant(entry.model());
        if (withoutWeights.containsKey(entry.model()) || weights.stream().anyMatch(w -> w.ref().equals(entry.ref()))) {
            throw new IllegalArgumentException(entry.ref() + " is listed twice, or its model was said to have none");
        }
        List<PretrainedWeights> more = new ArrayList<>(weights);
        more.add(entry);
        return new ModelFamily<>(tag, specType, head, builder, stateDictNames, variants, more, withoutWeights, recipe);
    }

    /** The same family saying why its variant {@code model} has no published weights. */
    public ModelFamily<S> withoutWeights(String model, String why) {
        requireVariant(model);
        if (weights.stream().anyMatch(w -> w.model().equals(model)) || why == null || why.isBlank()) {
            throw new IllegalArgumentException(model + " lists weights, or no reason was given for having none");
        }
        Map<String, String> more = new LinkedHashMap<>(withoutWeights);
        more.put(model, why);
        return new ModelFamily<>(tag, specType, head, builder, stateDictNames, variants, weights, more, recipe);
    }

    private void requireVariant(String model) {
        if (variants.stream().noneMatch(v -> v.name().equals(model))) {
            throw new IllegalArgumentException("family " + this.tag + " has no variant '" + model + "'");
        }
    }

    /**
     * The same family reading another library's tensor names too: {@code names} renames a state-dict key to this
     * family's (torchvision's) name and leaves the family's own names unchanged.
     */
    public ModelFamily<S> withStateDictNames(UnaryOperator<String> names) {
        return new ModelFamily<>(tag, specType, head, builder, Objects.requireNonNull(names, "names"), variants,
                weights, withoutWeights, recipe);
    }

    /**
     * The same family trained by default with the bundled recipe {@code name}: the recipe that trains its models on a
     * CPU in minutes, which {@code train} uses when none is named, as torchvision's weights name the recipe that made
     * them.
     *
     * @throws IllegalArgumentException when no bundled recipe has that name
     */
    public ModelFamily<S> withRecipe(String name) {
        // the name only: reading the recipe here would read JSON, whose mapper reads the families being built
        if (!Recipes.BUNDLED.contains(name)) {
            throw new IllegalArgumentException("family " + tag + ": no bundled recipe '" + name + "'; bundled: "
                    + String.join(", ", Recipes.BUNDLED));
        }
        return new ModelFamily<>(tag, specType, head, builder, stateDictNames, variants, weights, withoutWeights,
                name);
    }

    /** The family's name in a spec's JSON, {@code "family":"resnet"}. */
    public String tag() {
        return tag;
    }

    public Class<S> specType() {
        return specType;
    }

    /** The classifier vertex of every model of the family. */
    public String head() {
        return head;
    }

    /** Renames a state-dict key of another library to the family's name; the identity for most families. */
    public UnaryOperator<String> stateDictNames() {
        return stateDictNames;
    }

    /** The named variants, in the order {@code list} shows them. */
    public List<Variant> variants() {
        return variants;
    }

    /** The catalogue of published weights of the family's variants, in the order {@code list --weights} shows them. */
    public List<PretrainedWeights> weights() {
        return weights;
    }

    /** The bundled recipe that trains the family's models by default ({@link #withRecipe}); {@code cpu-small}. */
    public String recipe() {
        return recipe;
    }

    /** Variants without published weights, each with the reason. */
    public Map<String, String> withoutWeights() {
        return withoutWeights;
    }

    /** The configuration of {@code spec}, a spec of this family. */
    public ComputationGraphConfiguration configuration(ModelSpec spec, int numClasses, long seed) {
        return builder.configuration(specType.cast(spec), numClasses, seed);
    }

    @Override
    public String toString() {
        return "ModelFamily(" + tag + ")";
    }
}
