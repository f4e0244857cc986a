package io.github.visionzoo.zoo.testing;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.OneDnn;
import io.github.visionzoo.zoo.init.TorchInit;
import io.github.visionzoo.zoo.models.Blocks;
import io.github.visionzoo.zoo.train.RunDirectory;
import io.github.visionzoo.zoo.train.TrainingRecipe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;

/** Small models, recipes and file readers shared by the trainer tests. */
public final class TrainTestSupport {
    private TrainTestSupport() {
    }

    /** conv-bn-relu, max pool, global average pool, a hidden dense layer and the head, dropout before both. */
    public static ComputationGraph tinyNet(int classes, int size, long seed) {
        GraphBuilder g = Blocks.newGraph(seed, 3, size, size);
        String x = Blocks.conv(g, "conv", Blocks.INPUT, 8, 3, 1, 1, false, Activation.IDENTITY,
                TorchInit.kaimingNormalFanOut(), 0);
        x = Blocks.batchNorm(g, "bn", x, Activation.RELU);
        x = Blocks.maxPool(g, "pool", x, 2, 2, 0);
        x = Blocks.globalAvgPool(g, "gap", x);
        x = Blocks.dense(g, "fc1", x, 16, Activation.RELU, 0.2, TorchInit.torchDefault(), 0);
        Blocks.classifier(g, "fc", x, classes, 0.2, TorchInit.torchDefault());
        OneDnn.enable();
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        return graph;
    }

    /** AdamW with a half-epoch warm-up and cosine decay, label smoothing 0.1, batch 16. */
    public static TrainingRecipe recipe(int epochs, double learningRate) {
        return new TrainingRecipe("test", null, new TrainingRecipe.AdamW(), learningRate, 0.01, 16, epochs,
                new TrainingRecipe.Cosine(0.5, null), 0.1, 16, "eval", 5, null);
    }

    /**
     * The lines of {@code type} in a run's metrics log, each line read as {@code lineType}, the log's sealed line type
     * (package-private in {@code train}, so the trainer's tests name it).
     */
    public static <L, T extends L> List<T> lines(Path runDir, Class<L> lineType, Class<T> type) {
        try {
            return Files.readAllLines(runDir.resolve(RunDirectory.METRICS)).stream()
                    .map(l -> Json.read(l, lineType, "metrics"))
                    .filter(type::isInstance).map(type::cast)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
