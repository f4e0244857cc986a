package io.github.visionzoo.examples.api;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.models.ResNetSpec;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Models as data: a spec of your own, kept as JSON, summarized, registered and built. */
public final class ModelSpecExample {
    private ModelSpecExample() {
    }

    public static void main(String[] args) {
        // a ResNet with three stages of two basic blocks, 32 channels wide, for 96 px images
        ModelSpec mine = new ResNetSpec(ResNetSpec.Block.BASIC, List.of(2, 2, 2), 32, false, 96);
        String json = Json.write(mine);                       // keep it in a file beside your recipe
        ModelSpec again = Json.read(json, ModelSpec.class, "my-resnet.json");
        System.out.println(json);
        System.out.println(ModelSummary.of(again, 5));

        Zoo.register("my_resnet", again, "a small ResNet for 96 px images");
        ComputationGraph net = Zoo.create("my_resnet", 5);
        System.out.println("output shape " + java.util.Arrays.toString(
                net.outputSingle(Nd4j.rand(DataType.FLOAT, 1, 3, 96, 96)).shape()));
    }
}
