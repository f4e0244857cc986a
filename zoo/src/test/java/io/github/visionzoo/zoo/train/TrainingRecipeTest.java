package io.github.visionzoo.zoo.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.layers.Conv2d;
import io.github.visionzoo.zoo.models.ResNetSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.schedule.ISchedule;

class TrainingRecipeTest {
    static final String CPU_SMALL = """
            {"name": "x", "optimizer": "adamw", "learningRate": 0.002, "weightDecay": 0.05, "batchSize": 32,
             "epochs": 6, "schedule": {"type": "cosine", "warmupEpochs": 1}, "labelSmoothing": 0.1,
             "imageSize": 64, "augmentation": "study", "seed": 42}""";

    static List<String> bundled() {
        return Recipes.BUNDLED;
    }

    @ParameterizedTest
    @MethodSource("bundled")
    void bundledRecipesLoadUnderTheirNameAndRoundTrip(String name) {
        TrainingRecipe recipe = Recipes.get(name);
        assertThat(recipe.name()).isEqualTo(name);
        // as before weightDecayOn existed
        assertThat(recipe.weightDecayOn()).isEqualTo(TrainingRecipe.DECAY_WEIGHTS);
        assertThat(TrainingRecipe.fromJson(recipe.toJson(), "round trip")).isEqualTo(recipe);
    }

    @Test
    void finetuneVitFollowsTheVitPapersFineTuning() {
        TrainingRecipe r = Recipes.get("finetune-vit");
        assertThat(r.optimizer()).isEqualTo(new TrainingRecipe.Sgd(0.9, null));
        // vit_jax: 0.01 for ViT-B/16 at batch 512, scaled linearly to the batch
        assertThat(r.learningRate()).isEqualTo(0.01 * r.batchSize() / 512);
        assertThat(r.weightDecay()).isZero();
        // its warm-up: 500 of 10,000 steps
        assertThat(((TrainingRecipe.Cosine) r.schedule()).warmupEpochs() / r.epochs()).isEqualTo(0.05);
        assertThat(r.imageSize()).isEqualTo(384);
    }

    @Test
    void studyRecipesFollowTheStudy() {
        for (String model : List.of("alexnet", "vgg", "resnet", "vit")) {
            TrainingRecipe r = Recipes.get("study-" + model);
            assertThat(r.optimizer()).isEqualTo(new TrainingRecipe.AdamW());
            assertThat(r.learningRate()).isEqualTo(1e-4);
            assertThat(r.weightDecay()).isEqualTo(0.01);
            assertThat(r.batchSize()).isEqualTo(256);
            assertThat(r.epochs()).isEqualTo(200);
            assertThat(r.augmentation()).isEqualTo(AugmentationSpec.of("study"));
            assertThat(r.imageSize()).isEqualTo(model.equals("alexnet") ? 227 : 224);
            int step = model.equals("alexnet") || model.equals("vgg") ? 2000 : 1000;
            assertThat(r.schedule()).isEqualTo(new TrainingRecipe.Step(0.1, step, null));
        }
        TrainingRecipe paper = Recipes.get("alexnet-paper");
        assertThat(paper.optimizer()).isEqualTo(new TrainingRecipe.Sgd(0.9, false));
        assertThat(paper.weightDecay()).isEqualTo(5e-4);
        assertThat(paper.learningRate()).isEqualTo(0.01);
        assertThat(paper.batchSize()).isEqualTo(128);
        assertThat(paper.epochs()).isEqualTo(90);
    }

    @Test
    void roundTripKeepsEveryField() {
        TrainingRecipe r = new TrainingRecipe("sgd-test", "a test", new TrainingRecipe.Sgd(0.9, true), 0.1, 1e-4, 64, 3,
                new TrainingRecipe.Step(0.5, null, 2.5), 0.2, 96, "eval", 7,
                new TrainingRecipe.Parallel(TrainingRecipe.Parallel.AVERAGING, 4));
        assertThat(TrainingRecipe.fromJson(r.toJson(), "test")).isEqualTo(r);
        assertThat(TrainingRecipe.fromJson(CPU_SMALL, "test").schedule())
                .isEqualTo(new TrainingRecipe.Cosine(1.0, 0.0));
        TrainingRecipe weights = new TrainingRecipe("adamw-test", "", new TrainingRecipe.AdamW(), 1e-3, 0.05,
                TrainingRecipe.DECAY_WEIGHTS, 32, 2, null, 0.1, 64, AugmentationSpec.of("eval"), 3, null, null, null);
        assertThat(weights.toJson()).contains("\"weightDecayOn\" : \"weights\"");
        assertThat(TrainingRecipe.fromJson(weights.toJson(), "test")).isEqualTo(weights);
    }

    @Test
    void anOptimizerIsWrittenAsItsNameUnlessAFieldDiffersFromItsDefault() throws Exception {
        TrainingRecipe adamw = TrainingRecipe.fromJson(CPU_SMALL, "test");
        assertThat(optimizerJson(adamw)).isEqualTo("\"adamw\"");
        TrainingRecipe plain = new TrainingRecipe("plain", null, new TrainingRecipe.Sgd(), 0.1, 1e-4, 8, 1, null, null,
                32, "eval", 1, null);
        assertThat(optimizerJson(plain)).isEqualTo("\"sgd\"");
        TrainingRecipe heavyBall = read("\"optimizer\": \"adamw\"",
                "\"optimizer\": {\"type\": \"sgd\", \"momentum\": 0.9}");
        assertThat(heavyBall.optimizer()).isEqualTo(new TrainingRecipe.Sgd(0.9, false));
        assertThat(optimizerJson(heavyBall)).isEqualTo("{\"type\":\"sgd\",\"momentum\":0.9}");
        TrainingRecipe nesterov = read("\"optimizer\": \"adamw\"",
                "\"optimizer\": {\"type\": \"sgd\", \"momentum\": 0.9, \"nesterov\": true}");
        assertThat(optimizerJson(nesterov)).isEqualTo("{\"type\":\"sgd\",\"momentum\":0.9,\"nesterov\":true}");
        for (TrainingRecipe r : List.of(adamw, plain, heavyBall, nesterov)) {
            assertThat(Json.mapper().readTree(r.toJson()).has("momentum")).isFalse();
            assertThat(TrainingRecipe.fromJson(r.toJson(), "round trip")).isEqualTo(r);
        }
        assertThat(read("\"optimizer\": \"adamw\"", "\"optimizer\": {\"type\": \"adamw\"}").optimizer())
                .isEqualTo(new TrainingRecipe.AdamW());
    }

    /** Recipes, and the checkpoints that hold them, as written before the optimizer had its own fields. */
    @Test
    void momentumAndNesterovBesideTheOptimizerStillLoad() throws Exception {
        String earlier;
        try (var in = TrainingRecipeTest.class.getResourceAsStream("/recipes/alexnet-paper-flat-momentum.json")) {
            earlier = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(earlier).contains("\"optimizer\": \"sgd\",").contains("\"momentum\": 0.9,");
        assertThat(TrainingRecipe.fromJson(earlier, "earlier")).isEqualTo(Recipes.get("alexnet-paper"));
        TrainingRecipe nesterov = read("\"optimizer\": \"adamw\"",
                "\"optimizer\": \"sgd\", \"momentum\": 0.9, \"nesterov\": true");
        assertThat(nesterov.optimizer()).isEqualTo(new TrainingRecipe.Sgd(0.9, true));
        // earlier versions accepted a zero momentum beside adamw
        assertThat(read("\"seed\": 42", "\"seed\": 42, \"momentum\": 0, \"nesterov\": false").optimizer())
                .isEqualTo(new TrainingRecipe.AdamW());

        assertThatThrownBy(() -> read("\"optimizer\": \"adamw\"",
                "\"optimizer\": {\"type\": \"sgd\", \"momentum\": 0.5}, \"momentum\": 0.9"))
                .hasMessageContaining("momentum").hasMessageContaining("once");
        assertThatThrownBy(() -> read("\"optimizer\": \"adamw\"", "\"optimizer\": \"sgd\", \"nesterov\": true"))
                .hasMessageContaining("nesterov needs momentum > 0");
    }

    @Test
    void invalidOptimizersNameTheFieldAndTheAllowedValues() {
        assertThatThrownBy(() -> read("\"optimizer\": \"adamw\"",
                "\"optimizer\": {\"type\": \"sgd\", \"momentum\": 1.5}"))
                .hasMessageContaining("test.json").hasMessageContaining("TrainingRecipe.optimizer.momentum")
                .hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> read("\"optimizer\": \"adamw\"",
                "\"optimizer\": {\"type\": \"sgd\", \"momentun\": 0.9}"))
                .hasMessageContaining("unknown field 'momentun'").hasMessageContaining("momentum");
        assertThatThrownBy(() -> read("\"optimizer\": \"adamw\"",
                "\"optimizer\": {\"type\": \"adamw\", \"momentum\": 0.9}"))
                .hasMessageContaining("adamw takes no fields");
        assertThatThrownBy(() -> read("\"optimizer\": \"adamw\"", "\"optimizer\": {\"momentum\": 0.9}"))
                .hasMessageContaining("TrainingRecipe.optimizer").hasMessageContaining("without \"type\"");
        assertThatThrownBy(() -> read("\"optimizer\": \"adamw\"", "\"optimizer\": 3"))
                .hasMessageContaining("TrainingRecipe.optimizer must be one of [adamw, sgd]");
    }

    private static String optimizerJson(TrainingRecipe r) throws Exception {
        return Json.mapper().readTree(r.toJson()).get("optimizer").toString();
    }

    @Test
    void fileAndNameResolution(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mine.json");
        Files.writeString(file, CPU_SMALL);
        assertThat(Recipes.resolve(file.toString()).learningRate()).isEqualTo(0.002);
        assertThat(Recipes.resolve("cpu-small")).isEqualTo(Recipes.get("cpu-small"));
        assertThatThrownBy(() -> Recipes.get("study-lenet"))
                .hasMessageContaining("study-lenet").hasMessageContaining("study-resnet")
                .hasMessageContaining("alexnet-paper").hasMessageContaining("cpu-small");
        Files.writeString(file, CPU_SMALL.replace("\"labelSmoothing\"", "\"labelSmooting\""));
        assertThatThrownBy(() -> Recipes.load(file))
                .hasMessageContaining(file.toString()).hasMessageContaining("unknown field 'labelSmooting'")
                .hasMessageContaining("labelSmoothing");
        Files.writeString(file, CPU_SMALL.replace("\"epochs\"", "\"epoch\""));
        assertThatThrownBy(() -> Recipes.load(file)).hasMessageContaining("unknown field 'epoch'")
                .hasMessageContaining("epochs");
        Files.writeString(file, CPU_SMALL.replace("\"epochs\": 6,", ""));
        assertThatThrownBy(() -> Recipes.load(file)).hasMessageContaining(file.toString())
                .hasMessageContaining("'epochs' is missing");
    }

    @Test
    void invalidRecipesNameTheFieldAndTheAllowedValues() {
        assertThatThrownBy(() -> read("\"optimizer\": \"adamw\"", "\"optimizer\": \"adam\""))
                .hasMessageContaining("optimizer").hasMessageContaining("adamw").hasMessageContaining("sgd")
                .hasMessageContaining("'adam'");
        assertThatThrownBy(() -> read("\"learningRate\": 0.002", "\"learningRate\": -0.1"))
                .hasMessageContaining("learningRate").hasMessageContaining("> 0");
        assertThatThrownBy(() -> read("\"batchSize\": 32", "\"batchSize\": 0"))
                .hasMessageContaining("batchSize").hasMessageContaining(">= 1");
        assertThatThrownBy(() -> read("\"type\": \"cosine\"", "\"type\": \"linear\""))
                .hasMessageContaining("linear").hasMessageContaining("constant").hasMessageContaining("step");
        assertThatThrownBy(() -> read("\"warmupEpochs\": 1", "\"factor\": 0.1"))
                .hasMessageContaining("unknown field 'factor'");
        assertThatThrownBy(() -> read("\"seed\": 42", "\"seed\": 42, \"momentum\": 0.9"))
                .hasMessageContaining("momentum").hasMessageContaining("sgd only");
        assertThatThrownBy(() -> read("\"seed\": 42", "\"seed\": 42, \"parallel\": {\"mode\": \"ring\"}"))
                .hasMessageContaining("parallel.mode").hasMessageContaining("gradient-sharing")
                .hasMessageContaining("averaging");
        assertThatThrownBy(() -> read("\"seed\": 42", "\"seed\": 42, \"weightDecayOn\": \"biases\""))
                .hasMessageContaining("weightDecayOn").hasMessageContaining("all").hasMessageContaining("weights")
                .hasMessageContaining("'biases'");
        assertThatThrownBy(() -> read("\"seed\": 42", "\"seed\": 42, \"parallel\": {}"))
                .hasMessageContaining("parallel.mode").hasMessageContaining("missing");
        assertThatThrownBy(() -> read("\"optimizer\": \"adamw\",", ""))
                .hasMessageContaining("TrainingRecipe.optimizer").hasMessageContaining("missing");
        assertThatThrownBy(() -> read("\"seed\": 42", "\"seed\": 42, \"precision\": \"fp16\""))
                .hasMessageContaining("precision").hasMessageContaining("float32").hasMessageContaining("bf16")
                .hasMessageContaining("'fp16'");
        assertThatThrownBy(() -> read("\"learningRate\": 0.002", "\"learningRate\": NaN"))
                .hasMessageContaining("NaN is not valid JSON").hasMessageNotContaining("JsonReadFeature");
    }

    @Test
    void sparkSettingsDefaultRoundTripAndValidate() {
        TrainingRecipe plain = TrainingRecipe.fromJson(CPU_SMALL, "test");
        assertThat(plain.spark()).isEqualTo(new TrainingRecipe.Spark("parameter-averaging", null, 5, null));
        TrainingRecipe shared = plain.withSpark(new TrainingRecipe.Spark("shared-gradients", 2, null, 5e-4));
        assertThat(shared.toJson()).contains("\"master\" : \"shared-gradients\"").doesNotContain("averagingFrequency");
        assertThat(TrainingRecipe.fromJson(shared.toJson(), "round trip")).isEqualTo(shared);
        TrainingRecipe read = read("\"seed\": 42", "\"seed\": 42, \"spark\": {\"master\": \"shared-gradients\"}");
        assertThat(read.spark().threshold()).isEqualTo(1e-3);
        assertThat(read.spark().workers()).isNull();

        assertThatThrownBy(() -> read("\"seed\": 42", "\"seed\": 42, \"spark\": {\"master\": \"allreduce\"}"))
                .hasMessageContaining("spark.master").hasMessageContaining("'allreduce'")
                .hasMessageContaining("parameter-averaging").hasMessageContaining("shared-gradients");
        assertThatThrownBy(() -> read("\"seed\": 42", "\"seed\": 42, \"spark\": {\"workers\": 2}"))
                .hasMessageContaining("spark.master").hasMessageContaining("missing");
        assertThatThrownBy(() -> new TrainingRecipe.Spark("shared-gradients", null, 3, null))
                .hasMessageContaining("averagingFrequency").hasMessageContaining("parameter-averaging only");
        assertThatThrownBy(() -> new TrainingRecipe.Spark("parameter-averaging", null, null, 1e-3))
                .hasMessageContaining("threshold").hasMessageContaining("shared-gradients only");
        assertThatThrownBy(() -> new TrainingRecipe.Spark("shared-gradients", null, null, 0.0))
                .hasMessageContaining("spark.threshold").hasMessageContaining("> 0");
        assertThatThrownBy(() -> new TrainingRecipe.Spark("parameter-averaging", 0, null, null))
                .hasMessageContaining("spark.workers").hasMessageContaining(">= 1");
        assertThatThrownBy(() -> new TrainingRecipe.Spark("parameter-averaging", null, 0, null))
                .hasMessageContaining("spark.averagingFrequency").hasMessageContaining(">= 1");
        assertThatThrownBy(() -> read("\"seed\": 42",
                "\"seed\": 42, \"spark\": {\"master\": \"shared-gradients\", \"treshold\": 0.01}"))
                .hasMessageContaining("unknown field 'treshold'").hasMessageContaining("threshold");
    }

    private static TrainingRecipe read(String replace, String with) {
        assertThat(CPU_SMALL).contains(replace);
        return TrainingRecipe.fromJson(CPU_SMALL.replace(replace, with), "test.json");
    }

    @Test
    void stepScheduleDividesEveryStep() {
        ISchedule step = new TrainingRecipe.Step(0.1, 1000, null).toDl4j(1e-4, 200, 37);
        assertThat(step.valueAt(0, 0)).isCloseTo(1e-4, within(1e-12));
        assertThat(step.valueAt(999, 0)).isCloseTo(1e-4, within(1e-12));
        assertThat(step.valueAt(1000, 0)).isCloseTo(1e-5, within(1e-12));
        assertThat(step.valueAt(2500, 0)).isCloseTo(1e-6, within(1e-13));
        ISchedule byEpochs = new TrainingRecipe.Step(0.1, null, 30.0).toDl4j(0.01, 90, 10);
        assertThat(byEpochs.valueAt(299, 29)).isCloseTo(0.01, within(1e-12));
        assertThat(byEpochs.valueAt(300, 30)).isCloseTo(0.001, within(1e-12));
    }

    @Test
    void cosineScheduleWarmsUpThenDecays() {
        // 4 epochs of 10 steps, 1 warm-up epoch: warm-up over steps 0-9, cosine over 10-39
        ISchedule cos = new TrainingRecipe.Cosine(1.0, 1e-5).toDl4j(1e-3, 4, 10);
        assertThat(cos.valueAt(0, 0)).isCloseTo(1e-4, within(1e-12));
        assertThat(cos.valueAt(4, 0)).isCloseTo(5e-4, within(1e-12));
        assertThat(cos.valueAt(10, 1)).isCloseTo(1e-3, within(1e-12));
        assertThat(cos.valueAt(25, 2)).isCloseTo(1e-5 + (1e-3 - 1e-5) / 2, within(1e-12));
        assertThat(cos.valueAt(40, 4)).isCloseTo(1e-5, within(1e-12));
        assertThat(new TrainingRecipe.Constant().toDl4j(1e-3, 4, 10)).isNull();
    }

    /** {@code weightDecayOn}: every parameter by default, as PyTorch; only kernels with {@code weights}, as timm. */
    @Test
    void adamwDecaysEveryParameterOrOnlyTheWeights() {
        TrainingRecipe all = TrainingRecipe.fromJson(CPU_SMALL, "test");
        assertThat(all.weightDecayOn()).isEqualTo(TrainingRecipe.DECAY_ALL);
        TrainingRecipe weights = TrainingRecipe.fromJson(CPU_SMALL.replace("\"batchSize\"",
                "\"weightDecayOn\": \"weights\", \"batchSize\""), "test");
        assertThat(weights.weightDecayOn()).isEqualTo(TrainingRecipe.DECAY_WEIGHTS);
        for (TrainingRecipe recipe : List.of(all, weights)) {
            List<DecoupledWeightDecay> decay = List.of(new DecoupledWeightDecay(0.05));
            List<DecoupledWeightDecay> others = recipe == all ? decay : List.of();
            ComputationGraphConfiguration conf = recipe.applyTo(
                    new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 8, false, 32).configuration(10), 25);
            int layers = 0;
            for (var vertex : conf.getVertices().values()) {
                if (vertex instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer b) {
                    layers++;
                    IUpdater u = b.getIUpdater();
                    assertThat(u).isInstanceOf(TorchAdam.class);
                    assertThat(u.getLearningRate(0, 0)).isCloseTo(0.002 / 25, within(1e-12));
                    if (b instanceof BatchNormalization bn) {
                        assertThat(bn.getRegularizationByParam("gamma")).isEqualTo(others);
                        assertThat(bn.getRegularizationByParam("beta")).isEqualTo(others);
                        assertThat(bn.getRegularizationByParam("mean")).isNull();
                    } else {
                        assertThat(b.getRegularizationByParam("W")).isEqualTo(decay);
                        assertThat(b.getRegularizationBias()).isEqualTo(others);
                    }
                }
            }
            assertThat(layers).isGreaterThan(5);
        }
    }

    /**
     * A ResNet's downsampling shortcut is a branch, where DL4J's own topological sort (which a configuration falls back
     * on when it holds no order) visits the vertices in another order than the one {@code Blocks.build} pins, and so
     * flattens the parameters in another order: a recipe applied to an initialized graph must keep that order, or
     * the flat parameters that it copies land in other layers (batch-norm scales taking convolution weights).
     */
    /**
     * {@code "precision": "bf16"} (absent: float32) reaches every convolution of the configuration, and stays in its
     * JSON, which checkpoints keep, so that a resumed run trains as it started.
     */
    @Test
    void precisionReachesEveryConvolutionAndItsJson() {
        TrainingRecipe plain = TrainingRecipe.fromJson(CPU_SMALL, "test");
        assertThat(plain.precision()).isEqualTo(TrainingRecipe.FLOAT32);
        TrainingRecipe bf16 = plain.withPrecision(TrainingRecipe.BF16);
        assertThat(TrainingRecipe.fromJson(bf16.toJson(), "test")).isEqualTo(bf16);
        assertThat(bf16.toJson()).contains("\"precision\" : \"bf16\"");

        ComputationGraphConfiguration conf = Zoo.configuration("resnet18", 10);
        for (TrainingRecipe r : List.of(plain, bf16)) {
            ComputationGraphConfiguration applied = ComputationGraphConfiguration.fromJson(
                    r.applyTo(conf, 10).toJson());
            List<Conv2d> convs = applied.getVertices().values().stream()
                    .filter(v -> v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof Conv2d)
                    .map(v -> (Conv2d) ((LayerVertex) v).getLayerConf().getLayer()).toList();
            assertThat(convs).hasSize(20).allMatch(c -> c.isBf16() == (r == bf16));
        }
    }

    @Test
    void applyingARecipeToAGraphKeepsEveryParameterInItsLayer() {
        ComputationGraph graph = Zoo.create(new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1), 4, false, 32), 3,
                7);
        ComputationGraph applied = TrainingRecipe.fromJson(CPU_SMALL, "test").applyTo(graph, 10);
        assertThat(applied.getConfiguration().getTopologicalOrderStr())
                .isEqualTo(graph.getConfiguration().getTopologicalOrderStr());
        assertThat(applied.paramTable().keySet()).isEqualTo(graph.paramTable().keySet());
        graph.paramTable().forEach((name, value) -> assertThat(applied.getParam(name)).as(name).isEqualTo(value));
        assertThat(applied.getParam("layer2.0.bn1_gamma").minNumber().doubleValue()).isEqualTo(1.0);
    }

    @Test
    void sgdUsesL2AndMomentumWhereAsked() {
        TrainingRecipe paper = Recipes.get("alexnet-paper");
        assertThat(paper.updater(100)).isInstanceOf(MomentumSgd.class);
        TrainingRecipe plain = new TrainingRecipe("plain", null, new TrainingRecipe.Sgd(), 0.1, 1e-4, 8, 1, null, null,
                32, "eval", 1, null);
        assertThat(plain.updater(100)).isEqualTo(new Sgd(0.1));
        var conf = plain.applyTo(new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1), 8, false, 32).configuration(3),
                1);
        BaseLayer fc = (BaseLayer) ((LayerVertex) conf.getVertices().get("fc")).getLayerConf().getLayer();
        assertThat(fc.getRegularization()).containsExactly(new L2Regularization(1e-4));
    }
}
