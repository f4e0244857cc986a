package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.weights.ImportOptions;
import io.github.visionzoo.zoo.weights.ImportReport;
import io.github.visionzoo.zoo.weights.StateDict;
import io.github.visionzoo.zoo.weights.WeightImporter;
import io.github.visionzoo.zoo.weights.WeightMapping;
import io.github.visionzoo.zoo.weights.WeightMappings;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code import}: a PyTorch weight file into a visionzoo model, saved as a checkpoint. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Load torchvision (.pth), timm (.safetensors) or NumPy (.npz) weights into a model and save it "
                + "as a checkpoint (a DL4J ModelSerializer zip with the model's spec).",
                "Strict: every missing, unexpected or wrongly shaped tensor is listed, and nothing is saved."})
public final class ImportCommand implements Callable<Integer> {
    /** The checkpoint entry that holds the model's spec as JSON. */
    public static final String SPEC_ENTRY = "visionzoo-spec.json";

    @Option(names = "--from", required = true, paramLabel = "FILE", description = "The weight file.")
    Path from;

    @Option(names = "--model", required = true, paramLabel = "NAME", description = "A model name, as 'list' "
            + "prints them.")
    String model;

    @Option(names = "--to", required = true, paramLabel = "CHECKPOINT", description = "The checkpoint to write.")
    Path to;

    @Option(names = "--classes", paramLabel = "N", description = "Number of classes (default: the file's).")
    Integer classes;

    @Option(names = "--allow-head-mismatch", description = "Keep a freshly initialized classifier where the file's "
            + "has another class count (fine-tuning ImageNet weights on 10 classes).")
    boolean allowHeadMismatch;

    @Option(names = "--image-size", paramLabel = "N", description = "Input size, where the model accepts others.")
    Integer imageSize;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (classes != null) {
            Limits.classes("--classes", classes);
        }
        if (imageSize != null) {
            Limits.imageSize("--image-size", imageSize);
        }
        ModelSpec modelSpec = Zoo.spec(model);
        if (imageSize != null) {
            modelSpec = modelSpec.withImageSize(imageSize);
        }
        ImportOptions options = new ImportOptions(allowHeadMismatch);
        StateDict weights = StateDict.read(from);
        WeightMapping mapping = WeightMappings.of(modelSpec);
        int n = classes != null ? classes : WeightImporter.numClasses(mapping, weights).orElseThrow(() ->
                new IllegalArgumentException(from + " has no " + mapping.head() + ".weight to tell the class count "
                        + "from; pass --classes N"));
        ComputationGraph graph = Zoo.create(modelSpec, n, ModelSpec.DEFAULT_SEED);
        try {
            ImportReport report = WeightImporter.load(graph, mapping, weights, options);
            writeCheckpoint(graph, modelSpec, to);
            spec.commandLine().getOut().println(model + " (" + n + " classes): " + report + "; saved " + to);
        } finally {
            graph.close();
        }
        return 0;
    }

    /** Writes a ModelSerializer zip (no updater) with the spec's JSON as the entry {@value #SPEC_ENTRY}. */
    public static void writeCheckpoint(ComputationGraph graph, ModelSpec spec, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        ModelSerializer.writeModel(graph, file.toFile(), false);
        try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + file.toAbsolutePath().toUri()),
                Map.of())) {
            Files.writeString(zip.getPath(SPEC_ENTRY), Json.write(spec), StandardCharsets.UTF_8);
        }
    }

    /** The spec a checkpoint was written with, or {@code null} when it has none (a plain DL4J model zip). */
    public static ModelSpec readSpec(Path file) throws IOException {
        try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + file.toAbsolutePath().toUri()),
                Map.of())) {
            Path entry = zip.getPath(SPEC_ENTRY);
            if (!Files.exists(entry)) {
                return null;
            }
            return Json.read(Files.readString(entry, StandardCharsets.UTF_8), ModelSpec.class,
                    file + "!" + SPEC_ENTRY);
        }
    }
}
