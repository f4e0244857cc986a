package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.train.Checkpoint;
import io.github.visionzoo.zoo.weights.WeightExporter;
import io.github.visionzoo.zoo.weights.WeightMapping;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code export}: a checkpoint's weights as safetensors with torchvision's names, for PyTorch. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a checkpoint's weights as .safetensors with torchvision's names and layouts (float32), "
                + "which the matching torchvision model loads with load_state_dict; the metadata keep the model's "
                + "spec and class names for 'import'."})
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "A checkpoint written by "
            + "train (best.zip, ckpt-*.zip), finetune or import, or a DL4J ComputationGraph zip.")
    Path checkpoint;

    @Option(names = "--to", required = true, paramLabel = "FILE.safetensors", description = "The file to write.")
    Path to;

    @Option(names = "--model", paramLabel = "NAME|FILE", description = "The model ('list', or a spec JSON file), for "
            + "a checkpoint without its spec (default: the checkpoint's spec, else torchvision's CNN naming).")
    String model;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Checkpoint c = Checkpoints.load("--checkpoint", checkpoint);
        ModelSpec modelSpec = model != null ? Zoo.resolve(model) : c.info().spec();
        ComputationGraph graph = c.graph();
        try {
            WeightMapping mapping = modelSpec != null ? WeightMapping.of(modelSpec) : WeightMapping.of(graph);
            WeightExporter.toSafeTensors(graph, mapping, to, WeightExporter.metadata(modelSpec,
                    c.info().classNames()));
            spec.commandLine().getOut().println("wrote " + mapping.bindings(graph).size() + " tensors of "
                    + checkpoint + " to " + to);
        } finally {
            graph.close();
        }
        return 0;
    }
}
