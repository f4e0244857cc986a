package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.train.Checkpoint;
import io.github.visionzoo.zoo.weights.ImportOptions;
import io.github.visionzoo.zoo.weights.ImportReport;
import io.github.visionzoo.zoo.weights.StateDict;
import io.github.visionzoo.zoo.weights.WeightExporter;
import io.github.visionzoo.zoo.weights.WeightImporter;
import io.github.visionzoo.zoo.weights.WeightMapping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code import}: a PyTorch weight file into a visionzoo model, saved as a checkpoint. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Load torchvision (.pth), timm (.safetensors) or NumPy (.npz) weights into a model and save it "
                + "as a checkpoint with the model's spec, which evaluate, predict, finetune and export read.",
                "Strict: every missing, unexpected or wrongly shaped tensor is listed, and nothing is saved."})
public final class ImportCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "FILE", description = "The weight file.")
    Path from;

    @Option(names = "--model", paramLabel = "NAME|FILE", description = "A model name ('list') or a spec JSON file "
            + "(default: the spec that 'export' stored in the file).")
    String model;

    @Option(names = "--to", required = true, paramLabel = "CHECKPOINT", description = "The checkpoint to write; an "
            + "existing file only with --force.")
    Path to;

    @Option(names = "--force", description = "Overwrite the --to file if it exists.")
    boolean force;

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
        if (Files.isDirectory(to)) {
            throw new IllegalArgumentException("--to " + to + " is a folder; give the checkpoint's file name, such as "
                    + to.resolve("model.zip"));
        }
        if (Files.exists(to) && !force) {
            throw new IllegalArgumentException("--to " + to + " already exists; pass --force to overwrite it, or give"
                    + " another file");
        }
        ModelSpec named = model != null ? Zoo.resolve(model) : null; // a wrong name is found before the file is read
        StateDict weights = StateDict.read(from);
        ModelSpec modelSpec = named != null ? named : recordedSpec(weights);
        if (imageSize != null) {
            modelSpec = modelSpec.withImageSize(imageSize);
        }
        ImportOptions options = new ImportOptions(allowHeadMismatch);
        WeightMapping mapping = WeightMapping.of(modelSpec);
        int n = classes != null ? classes : WeightImporter.numClasses(mapping, weights).orElseThrow(() ->
                new IllegalArgumentException(from + " has no " + mapping.head() + ".weight to tell the class count "
                        + "from; pass --classes N"));
        List<String> names = recordedClassNames(weights);
        ComputationGraph graph = Zoo.create(modelSpec, n, ModelSpec.DEFAULT_SEED);
        try {
            ImportReport report = WeightImporter.load(graph, mapping, weights, options);
            Checkpoint.write(to, graph, Checkpoint.Info.forModel(name(), modelSpec, n,
                    names.size() == n ? names : List.of()));
            spec.commandLine().getOut().println(name() + " (" + n + " classes): " + report + "; saved " + to);
        } finally {
            graph.close();
        }
        return 0;
    }

    /** The spec that {@code export} stored in a safetensors file's metadata. */
    private ModelSpec recordedSpec(StateDict weights) {
        String json = weights.metadata().get(WeightExporter.SPEC_METADATA);
        if (json == null) {
            throw new IllegalArgumentException(from + " does not record its model (no " + WeightExporter.SPEC_METADATA
                    + " metadata, which visionzoo's export writes); pass --model NAME|FILE");
        }
        return Json.read(json, ModelSpec.class, from + " (metadata " + WeightExporter.SPEC_METADATA + ")");
    }

    /** The class names that {@code export} stored, or none. */
    private List<String> recordedClassNames(StateDict weights) {
        String json = weights.metadata().get(WeightExporter.CLASSES_METADATA);
        return json == null ? List.of() : List.of(Json.read(json, String[].class,
                from + " (metadata " + WeightExporter.CLASSES_METADATA + ")"));
    }

    /** The registered name, or the spec file's or weight file's name without its extension. */
    private String name() {
        String file = Path.of(model != null ? model : from.toString()).getFileName().toString();
        return file.replaceFirst("\\.[^.]*$", "");
    }
}
