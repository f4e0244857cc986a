package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.Zoo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code summary NAME|SPEC.json}: the torchsummary-style table of one model. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print a model's layers, output shapes and parameter counts, as torchsummary does.")
public final class SummaryCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME|SPEC.json",
            description = "A model name, as 'list' prints them, or a spec JSON file (as 'train --model' takes).")
    String name;

    @Option(names = "--classes", defaultValue = "10", description = "Number of classes (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--image-size", description = "Input size, where the model accepts others (default: its own).")
    Integer imageSize;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Limits.classes("--classes", classes);
        if (imageSize != null) {
            Limits.imageSize("--image-size", imageSize);
        }
        ModelSpec model = Zoo.resolve(name);
        if (imageSize != null) {
            try {
                model = model.withImageSize(imageSize);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--image-size " + imageSize + ": " + e.getMessage(), e);
            }
        }
        spec.commandLine().getOut().print(ModelSummary.of(model, classes));
        return 0;
    }
}
