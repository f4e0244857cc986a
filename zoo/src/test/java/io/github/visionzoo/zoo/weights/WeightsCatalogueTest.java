package io.github.visionzoo.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.imagenette.Imagenette;
import io.github.visionzoo.imagenette.transform.Interpolation;
import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.Zoo;
import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every catalogue entry, checked without the network: that it names a real model and makes sense. */
class WeightsCatalogueTest {

    static List<PretrainedWeights> entries() {
        return Zoo.families().stream().flatMap(f -> f.weights().stream()).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void entryNamesARegisteredModelAndItsParameterCountIsTheModels(PretrainedWeights w) {
        assertThat(Zoo.names()).contains(w.model());
        // the published count is the model's at the weights' input size (ViT's position embedding grows with it):
        // the file fits the architecture, tensor for tensor
        assertThat(ModelSummary.of(Zoo.spec(w.model()).withImageSize(w.inputSize()), w.numClasses()).totalParams())
                .isEqualTo(w.numParams());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void classesAndTransformAreSane(PretrainedWeights w) {
        assertThat(w.numClasses()).isEqualTo(1000);
        assertThat(w.classes()).isSameAs(PretrainedWeights.ClassList.imagenet1k());
        PretrainedWeights.EvalTransform t = w.transform();
        assertThat(t.cropSize()).isIn(224, 384, 512);
        assertThat((double) t.resizeSize() / t.cropSize()).isBetween(1.0, 1.2);
        assertThat(t.mean()).allSatisfy(m -> assertThat(m).isBetween(0.4, 0.5));
        assertThat(t.std()).allSatisfy(s -> assertThat(s).isBetween(0.2, 0.5));
        assertThat(w.top1()).isBetween(50.0, 90.0);
        assertThat(w.top5()).isBetween(w.top1(), 100.0);
        assertThat(w.licence()).isNotBlank();
        assertThat(w.recipe()).startsWith("https://");
        assertThat(w.tag()).isNotEqualTo(Zoo.DEFAULT_WEIGHTS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void urlAndHashAreWellFormedAndTheFileNameAgreesWithItsHash(PretrainedWeights w) {
        URI url = w.urls().get(0);
        assertThat(url.getScheme()).isEqualTo("https");
        if (url.getHost().equals("download.pytorch.org")) {
            // torchvision: models/NAME-HASH.pth, HASH the first 8 hex digits of the SHA-256, as torch.hub checks
            assertThat(url.getPath()).matches("/models/[a-z0-9_-]+-[0-9a-f]{8}\\.pth");
            assertThat(w.fileName()).isEqualTo(url.getPath().substring("/models/".length()));
            Matcher m = PretrainedWeights.TORCHVISION_HASH.matcher(w.fileName());
            assertThat(m.find()).isTrue();
            assertThat(w.checksum().prefix()).isTrue();
            assertThat(w.checksum().algorithm()).isEqualTo("SHA-256");
            assertThat(w.checksum().hex()).isEqualTo(m.group(1)).hasSize(8);
        } else {
            // timm on Hugging Face: no published digest, the server's announced one is checked
            assertThat(url.toString()).isEqualTo("https://huggingface.co/timm/" + w.fileName().replaceFirst(
                    "\\.safetensors$", "") + "/resolve/main/model.safetensors");
            assertThat(w.fileName()).endsWith("." + w.tag() + ".safetensors");
            assertThat(w.checksum().isAnnounced()).isTrue();
        }
    }

    @Test
    void fileNamesAndRefsAreUniqueAndTorchvisionsDefaultsComeFirst() {
        assertThat(new HashSet<>(entries().stream().map(PretrainedWeights::fileName).toList())).hasSize(
                entries().size());
        assertThat(new HashSet<>(entries().stream().map(PretrainedWeights::ref).toList())).hasSize(entries().size());
        assertThat(Zoo.weights("resnet50", Zoo.DEFAULT_WEIGHTS).tag()).isEqualTo("IMAGENET1K_V2");
        assertThat(Zoo.weights("vit_b_16", Zoo.DEFAULT_WEIGHTS).tag()).isEqualTo("IMAGENET1K_V1");
        assertThat(Zoo.weights("resnet50", "IMAGENET1K_V2").transform()).isEqualTo(
                PretrainedWeights.EvalTransform.torchvision(224, 232, Interpolation.BILINEAR));
    }

    @Test
    void everyRegisteredVariantListsWeightsOrSaysWhyNot() {
        for (ModelFamily<?> f : Zoo.families()) {
            for (ModelFamily.Variant v : f.variants()) {
                boolean listed = f.weights().stream().anyMatch(w -> w.model().equals(v.name()));
                assertThat(listed || f.withoutWeights().containsKey(v.name()))
                        .as(v.name() + " lists no weights and no reason for having none").isTrue();
            }
        }
        assertThat(Zoo.noWeights("resnet34_convbias")).isPresent();
        assertThat(Zoo.noWeights("alexnet")).isPresent();
        assertThat(Zoo.weights()).extracting(PretrainedWeights::model).contains("alexnet_tv", "vgg11", "vgg13",
                "vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "vit_ti_16", "vit_s_16", "vit_b_16",
                "vit_b_32", "vit_l_16");
    }

    @Test
    void imageNetClassesAreTorchvisionsInTheOrderOfTheirSortedWordNetIds() {
        PretrainedWeights.ClassList c = PretrainedWeights.ClassList.imagenet1k();
        assertThat(c.size()).isEqualTo(1000);
        assertThat(c.ids()).isSorted().doesNotHaveDuplicates().allMatch(id -> id.matches("n\\d{8}"));
        assertThat(c.names().get(0)).isEqualTo("tench");
        assertThat(c.names().get(999)).isEqualTo("toilet tissue");
        // Imagenette's ten classes are ImageNet's, under the same names
        for (String wnid : Imagenette.WNIDS) {
            assertThat(c.names().get(c.ids().indexOf(wnid))).isEqualTo(Imagenette.className(wnid));
        }
    }

    @Test
    void unknownWeightsAreRefusedNamingTheKnownOnes() {
        assertThatThrownBy(() -> Zoo.weights("resnet50", "IMAGENET1K_V3"))
                .hasMessageContaining("IMAGENET1K_V1").hasMessageContaining("IMAGENET1K_V2");
        assertThatThrownBy(() -> Zoo.weights("resnet34_convbias", Zoo.DEFAULT_WEIGHTS))
                .hasMessageContaining("no published weights").hasMessageContaining("bias");
        assertThatThrownBy(() -> Zoo.weights("resnet51")).hasMessageContaining("unknown model");
    }

    @Test
    void aFamilyRefusesWeightsOfAModelItLacks() {
        assertThatThrownBy(() -> io.github.visionzoo.zoo.models.ResNetSpec.FAMILY.withWeights(Zoo.weights("vgg11",
                "IMAGENET1K_V1"))).hasMessageContaining("no variant 'vgg11'");
    }
}
