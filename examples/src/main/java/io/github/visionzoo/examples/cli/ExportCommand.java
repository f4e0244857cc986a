package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.weights.WeightExporter;
import io.github.visionzoo.zoo.weights.WeightMapping;
import io.github.visionzoo.zoo.weights.WeightMappings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code export}: a checkpoint's weights as safetensors with torchvision's names, for PyTorch. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a checkpoint's weights as .safetensors with torchvision's names and layouts (float32), "
                + "which the matching torchvision model loads with load_state_dict."})
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "A checkpoint, as 'import' "
            + "writes it, or a DL4J ComputationGraph zip.")
    Path checkpoint;

    @Option(names = "--to", required = true, paramLabel = "FILE.safetensors", description = "The file to write.")
    Path to;

    @Option(names = "--model", paramLabel = "NAME", description = "The model's family, for a checkpoint without its "
            + "spec (default: the checkpoint's spec, else torchvision's CNN naming).")
    String model;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(checkpoint)) {
            throw new NoSuchFileException(checkpoint + ": no such checkpoint");
        }
        ModelSpec modelSpec = model != null ? Zoo.spec(model) : ImportCommand.readSpec(checkpoint);
        ComputationGraph graph = ModelSerializer.restoreComputationGraph(checkpoint.toFile(), false);
        try {
            WeightMapping mapping = modelSpec != null ? WeightMappings.of(modelSpec) : WeightMappings.of(graph);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put("producer", "visionzoo");
            if (modelSpec != null) {
                meta.put("visionzoo.spec", Json.write(modelSpec).replaceAll("\\s+", ""));
            }
            WeightExporter.toSafeTensors(graph, mapping, to, meta);
            spec.commandLine().getOut().println("wrote " + mapping.bindings(graph).size() + " tensors of "
                    + checkpoint + " to " + to);
        } finally {
            graph.close();
        }
        return 0;
    }
}
