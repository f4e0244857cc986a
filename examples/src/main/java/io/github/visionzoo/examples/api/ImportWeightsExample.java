package io.github.visionzoo.examples.api;

import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.weights.ImportOptions;
import io.github.visionzoo.zoo.weights.WeightExporter;
import io.github.visionzoo.zoo.weights.WeightImporter;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Start from torchvision's ImageNet weights with a fresh 10-class head, then export the result for PyTorch.
 * {@code ... ImportWeightsExample resnet50-11ad3fa6.pth} (downloaded from torchvision).
 */
public final class ImportWeightsExample {
    private ImportWeightsExample() {
    }

    public static void main(String[] args) throws Exception {
        Path pth = Path.of(args[0]);
        ComputationGraph net = WeightImporter.create(Zoo.spec("resnet50"), 10, pth,
                ImportOptions.allowingHeadMismatch());      // every tensor but the 1000-class head
        // ... fine-tune net on Imagenette (see FineTuneExample), then:
        WeightExporter.toSafeTensors(net, Zoo.spec("resnet50"), Path.of("resnet50-imagenette.safetensors"));
    }
}
