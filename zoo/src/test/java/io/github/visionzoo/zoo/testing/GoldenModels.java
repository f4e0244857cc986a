package io.github.visionzoo.zoo.testing;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.models.AlexNetSpec;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.models.VggSpec;
import io.github.visionzoo.zoo.models.VitSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The small models of {@code src/tools/golden/golden_weights.py}, as visionzoo specs, and helpers to run them. */
public final class GoldenModels {
    public static final int CLASSES = 5;

    /** Golden name to the spec that matches the PyTorch module the script builds. */
    public static final Map<String, ModelSpec> SPECS = Map.of(
            "resnet_basic", new ResNetSpec(ResNetSpec.Block.BASIC, List.of(1, 1, 1, 1), 4, false, 64),
            "resnet_bottleneck", new ResNetSpec(ResNetSpec.Block.BOTTLENECK, List.of(2, 1, 1, 1), 4, false, 64),
            "vgg", new VggSpec(List.of(1, 1, 2, 2, 2), List.of(8, 8, 16, 16, 16), false, 16, 0.5, 64),
            "vgg_bn", new VggSpec(List.of(1, 1, 2, 2, 2), List.of(8, 8, 16, 16, 16), true, 16, 0.5, 64),
            "alexnet", new AlexNetSpec(List.of(8, 16, 16, 16, 16), 2, false, true, 16, 0.5, 100),
            "vit", new VitSpec(16, 32, 2, 2, 64, 0.0, 0.0, 64));

    private GoldenModels() {
    }

    /** A file under the test resources' {@code golden/weights/}. */
    public static Path file(String name) {
        return Golden.file("weights/" + name);
    }

    public static INDArray input(String model) {
        return Golden.load("weights/input_" + SPECS.get(model).imageSize() + ".npy");
    }

    public static INDArray expected(String name) {
        return Golden.load("weights/" + name + ".npy");
    }

    /** The classifier's pre-softmax output: its input activations times its weights plus its bias. */
    public static INDArray logits(ComputationGraph graph, String head, INDArray input) {
        Map<String, INDArray> acts = graph.feedForward(input, false);
        String before = graph.getConfiguration().getVertexInputs().get(head).get(0);
        var layer = graph.getLayer(head);
        return acts.get(before).mmul(layer.getParam("W")).addRowVector(layer.getParam("b"));
    }
}
