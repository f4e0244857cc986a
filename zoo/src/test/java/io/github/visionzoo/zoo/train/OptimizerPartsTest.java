package io.github.visionzoo.zoo.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.testing.TrainTestSupport;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.regularization.WeightDecay;

class OptimizerPartsTest {
    @Test
    void momentumSgdFollowsPyTorch() {
        for (boolean nesterov : new boolean[]{false, true}) {
            MomentumSgd config = new MomentumSgd(0.1, null, 0.9, nesterov);
            INDArray state = Nd4j.zeros(DataType.DOUBLE, 1, 2);
            GradientUpdater<MomentumSgd> u = config.instantiate(state, true);
            double[] g1 = {1, -2};
            double[] g2 = {0.5, 1};
            INDArray step1 = Nd4j.createFromArray(g1.clone()).reshape(1, 2);
            u.applyUpdater(step1, 0, 0);
            INDArray step2 = Nd4j.createFromArray(g2.clone()).reshape(1, 2);
            u.applyUpdater(step2, 1, 0);
            for (int i = 0; i < 2; i++) {
                double v1 = g1[i];
                double v2 = 0.9 * v1 + g2[i];
                double expected1 = 0.1 * (nesterov ? g1[i] + 0.9 * v1 : v1);
                double expected2 = 0.1 * (nesterov ? g2[i] + 0.9 * v2 : v2);
                assertThat(step1.getDouble(0, i)).isCloseTo(expected1, within(1e-12));
                assertThat(step2.getDouble(0, i)).isCloseTo(expected2, within(1e-12));
            }
        }
    }

    /**
     * PyTorch's Adam: bias corrections on m and on sqrt(v), epsilon added after. Gradients of 1e-7 and 1e-9, next to
     * epsilon 1e-8, are where DL4J's Adam, which adds epsilon before its corrections, moved them 3-30x less.
     */
    @Test
    void torchAdamFollowsPyTorch() {
        TorchAdam config = new TorchAdam(0.01, null);
        INDArray state = Nd4j.zeros(DataType.DOUBLE, 1, 6);
        GradientUpdater<TorchAdam> u = config.instantiate(state, true);
        double[][] g = {{0.5, 1e-7, -1e-9}, {-0.25, 3e-7, 2e-9}};
        double[] m = new double[3];
        double[] v = new double[3];
        for (int t = 1; t <= 2; t++) {
            INDArray step = Nd4j.createFromArray(g[t - 1].clone()).reshape(1, 3);
            u.applyUpdater(step, t - 1, 0);
            for (int i = 0; i < 3; i++) {
                m[i] = 0.9 * m[i] + 0.1 * g[t - 1][i];
                v[i] = 0.999 * v[i] + 0.001 * g[t - 1][i] * g[t - 1][i];
                double expected = 0.01 / (1 - Math.pow(0.9, t)) * m[i]
                        / (Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8);
                assertThat(step.getDouble(0, i)).as("step %d, element %d", t, i)
                        .isCloseTo(expected, within(1e-9 * Math.abs(expected)));
            }
        }
        // the moments are DL4J Adam's state, M then V
        assertThat(state.getDouble(0, 0)).isCloseTo(m[0], within(1e-15));
        assertThat(state.getDouble(0, 3)).isCloseTo(v[0], within(1e-15));
    }

    /**
     * What {@code adam_updater} is given: C-order vectors that are views of the state, as its vectorized loop needs
     * (libnd4j takes its element-by-element path when the orders differ), from the F-order halves ND4J makes of a
     * state view.
     */
    @Test
    void torchAdamGivesItsKernelCOrderViewsOfItsState() {
        INDArray state = Nd4j.zeros(DataType.FLOAT, 1, 8);
        INDArray half = state.reshape(8).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8));
        assertThat(half.ordering()).as("ND4J's view of one moment").isEqualTo('f');
        INDArray vector = TorchAdamUpdater.vector(half);
        assertThat(vector.ordering()).isEqualTo('c');
        assertThat(vector.elementWiseStride()).isEqualTo(1);
        vector.assign(3);
        assertThat(state.getFloat(0, 4)).as("written through to the state").isEqualTo(3f);
        assertThat(state.getFloat(0, 3)).isZero();
        INDArray gradient = Nd4j.zeros(DataType.FLOAT, 1, 4);
        assertThat(TorchAdamUpdater.vector(gradient).ordering()).isEqualTo('c');
    }

    /**
     * A recipe applied to a trained graph starts a new optimizer, as a new PyTorch optimizer and scheduler would: its
     * schedule and Adam's bias correction count from step 0, not from the graph's past iterations.
     */
    @Test
    void aRecipeAppliedToATrainedGraphStartsFromStepZero() {
        TrainingRecipe recipe = new TrainingRecipe("t", null, new TrainingRecipe.AdamW(), 1e-2, 0.0, 4, 2,
                new TrainingRecipe.Cosine(1.0, null), null, 8, "eval", 1, null);
        ComputationGraph trained = recipe.applyTo(TrainTestSupport.tinyNet(3, 8, 1), 5);
        DataSet batch = new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3, 8, 8), Nd4j.eye(3).getRows(0, 1, 2, 0));
        for (int i = 0; i < 3; i++) {
            trained.fit(batch);
        }
        assertThat(trained.getConfiguration().getIterationCount()).isEqualTo(3);
        ComputationGraph again = recipe.applyTo(trained, 5);
        assertThat(again.getConfiguration().getIterationCount()).isZero();
        assertThat(again.getConfiguration().getEpochCount()).isZero();
        assertThat(again.getLearningRate("fc")).isCloseTo(1e-2 / 5, within(1e-12));
        assertThat(again.params()).isEqualTo(trained.params());
    }

    @Test
    void customUpdaterAndScheduleSurviveDl4jJson() {
        TrainingRecipe sgd = new TrainingRecipe("t", null, new TrainingRecipe.Sgd(0.9, true), 0.1, 1e-4, 8, 5,
                new TrainingRecipe.Cosine(0.5, null), null, 32, "eval", 1, null);
        ComputationGraphConfiguration conf = sgd.applyTo(
                new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1), 8, false, 32).configuration(3), 20);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        BaseLayer fc = (BaseLayer) ((LayerVertex) back.getVertices().get("fc")).getLayerConf().getLayer();
        assertThat(fc.getIUpdater()).isEqualTo(sgd.updater(20));
        assertThat(fc.getIUpdater().getLearningRate(5, 0)).isCloseTo(0.1 * 6 / 10, within(1e-12));

        TrainingRecipe adamw = new TrainingRecipe("t", null, new TrainingRecipe.AdamW(), 1e-3, 0.05, 8, 5,
                new TrainingRecipe.Cosine(0.5, null), null, 32, "eval", 1, null);
        back = ComputationGraphConfiguration.fromJson(adamw.applyTo(
                new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1), 8, false, 32).configuration(3), 20).toJson());
        fc = (BaseLayer) ((LayerVertex) back.getVertices().get("fc")).getLayerConf().getLayer();
        assertThat(fc.getIUpdater()).isEqualTo(adamw.updater(20)).isInstanceOf(TorchAdam.class);
    }

    @Test
    void decoupledWeightDecayUpdatesAsDl4jsWeightDecayAndScoresNothing() {
        INDArray param = Nd4j.createFromArray(new double[] {1, -2, 3});
        INDArray update = Nd4j.createFromArray(new double[] {0.5, 0.5, 0.5});
        INDArray expected = update.dup();
        new WeightDecay(0.01, true).apply(param, expected, 0.1, 0, 0);
        new DecoupledWeightDecay(0.01).apply(param, update, 0.1, 0, 0);
        assertThat(update.getDouble(2)).isCloseTo(0.5 + 0.1 * 0.01 * 3, within(1e-15));
        assertThat(update).isEqualTo(expected);
        assertThat(new WeightDecay(0.01, true).score(param, 0, 0)).isGreaterThan(0);
        assertThat(new DecoupledWeightDecay(0.01).score(param, 0, 0)).isZero();

        // an AdamW graph's score is its loss alone; the decay survives DL4J's JSON
        TrainingRecipe adamw = new TrainingRecipe("t", null, new TrainingRecipe.AdamW(), 1e-3, 0.5, 8, 5, null, null,
                32, "eval", 1, null);
        ComputationGraphConfiguration conf = adamw.applyTo(
                new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1), 8, false, 32).configuration(3), 20);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        BaseLayer fc = (BaseLayer) ((LayerVertex) back.getVertices().get("fc")).getLayerConf().getLayer();
        assertThat(fc.getRegularization()).containsExactly(new DecoupledWeightDecay(0.5));
        assertThat(new DecoupledWeightDecay(0.5)).isNotEqualTo(new WeightDecay(0.5, true));
        ComputationGraph graph = new ComputationGraph(back);
        graph.init();
        assertThat(graph.calcRegularizationScore(true)).isZero();
    }

    @Test
    void labelSmoothingAsPyTorchWithoutTouchingTheSource() {
        INDArray labels = Nd4j.createFromArray(new float[][]{{0, 1, 0, 0}, {1, 0, 0, 0}});
        DataSet batch = new DataSet(Nd4j.zeros(DataType.FLOAT, 2, 3), labels);
        new LabelSmoothing(0.2).preProcess(batch);
        assertThat(batch.getLabels().getDouble(0, 1)).isCloseTo(0.8 + 0.05, within(1e-6));
        assertThat(batch.getLabels().getDouble(0, 0)).isCloseTo(0.05, within(1e-6));
        assertThat(batch.getLabels().sum(1).getDouble(1)).isCloseTo(1.0, within(1e-6));
        assertThat(labels.getDouble(0, 1)).isEqualTo(1.0);
    }
}
