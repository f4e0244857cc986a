package io.github.visionzoo.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.introspect.AnnotatedClassResolver;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import io.github.visionzoo.zoo.ModelFamily.Variant;
import io.github.visionzoo.zoo.testing.GraphChecks;
import io.github.visionzoo.zoo.weights.Binding;
import io.github.visionzoo.zoo.weights.WeightMapping;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The family registrations in {@link Zoo} are the one source of names, JSON tags, builders and weight names. */
class ModelFamilyTest {
    static List<Named<Variant>> variants() {
        return allVariants().stream().map(v -> Named.of(v.name(), v)).toList();
    }

    private static List<Variant> allVariants() {
        return Zoo.families().stream().flatMap(f -> f.variants().stream()).toList();
    }

    @Test
    void theJsonTypeIdsAreTheRegisteredFamilies() {
        DeserializationConfig config = Json.mapper().getDeserializationConfig();
        Map<String, Class<?>> ids = Json.mapper().getSubtypeResolver()
                .collectAndResolveSubtypesByTypeId(config,
                        AnnotatedClassResolver.resolveWithoutSuperTypes(config, ModelSpec.class))
                .stream().filter(NamedType::hasName)
                .collect(Collectors.toMap(NamedType::getName, NamedType::getType));
        Map<String, Class<?>> families = Zoo.families().stream()
                .collect(Collectors.toMap(ModelFamily::tag, ModelFamily::specType));
        assertThat(ids).isEqualTo(families);
        // the spec interface names no family: a family is added without touching it
        assertThat(ModelSpec.class.getAnnotation(JsonSubTypes.class)).isNull();
    }

    @Test
    void everyNameIsOneVariantOfOneFamily() {
        assertThat(Zoo.families()).extracting(ModelFamily::tag).doesNotHaveDuplicates();
        List<String> names = allVariants().stream().map(Variant::name).toList();
        assertThat(names).doesNotHaveDuplicates();
        assertThat(Zoo.names()).startsWith(names.toArray(String[]::new));
        for (ModelFamily<?> family : Zoo.families()) {
            assertThat(family.variants()).as(family.tag()).isNotEmpty()
                    .allSatisfy(v -> assertThat(v.spec().family()).isSameAs(family))
                    .allSatisfy(v -> assertThat(v.spec()).isInstanceOf(family.specType()))
                    .allSatisfy(v -> assertThat(v.description()).isNotBlank());
        }
    }

    @ParameterizedTest
    @MethodSource("variants")
    void everyVariantBuildsAndRoundTripsThroughJson(Variant variant) throws Exception {
        ModelSpec spec = variant.spec();
        assertThat(Zoo.spec(variant.name())).isSameAs(spec);
        ComputationGraphConfiguration conf = spec.configuration(7, 1);
        assertThat(conf.getNetworkOutputs()).containsExactly(spec.family().head());
        assertThat(spec.headName()).isEqualTo(spec.family().head());

        String json = Json.write(spec);
        assertThat(Json.mapper().readTree(json).get("family").asText()).isEqualTo(spec.family().tag());
        assertThat(Json.read(json, ModelSpec.class, variant.name())).isEqualTo(spec);
    }

    /**
     * Every parameter of every variant has a state-dict name under its family's mapping, a name that the family's
     * renames of other libraries' names leave as it is. The parameters are views of one unfilled array, so that the
     * 300-million-parameter variants need no initialization.
     */
    @ParameterizedTest
    @Tag("slow")
    @MethodSource("variants")
    void everyVariantHasStateDictNamesForEveryParameter(Variant variant) {
        ModelSpec spec = variant.spec();
        ComputationGraph graph = new ComputationGraph(spec.configuration(7, 1));
        long numParams = graph.getConfiguration().getVertices().values().stream()
                .mapToLong(v -> v.numParams(true)).sum();
        graph.init(Nd4j.createUninitialized(DataType.FLOAT, 1, numParams), false);
        try {
            WeightMapping mapping = WeightMapping.of(spec);
            assertThat(mapping.head()).isEqualTo(spec.headName());
            List<Binding> bindings = GraphChecks.assertBindsEveryParameterOnce(mapping, graph);
            assertThat(bindings).filteredOn(Binding::head).extracting(Binding::key)
                    .containsExactlyInAnyOrder(spec.headName() + ".weight", spec.headName() + ".bias");
            assertThat(bindings).extracting(Binding::key)
                    .allSatisfy(key -> assertThat(spec.family().stateDictNames().apply(key)).isEqualTo(key));
        } finally {
            graph.close();
        }
    }
}
