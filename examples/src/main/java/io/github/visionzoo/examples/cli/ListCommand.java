package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.Zoo;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code list}: every registered model with its parameter count and input size. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List every model with its parameter count and input size.")
public final class ListCommand implements Callable<Integer> {
    @Option(names = "--classes", defaultValue = "10", description = "Number of classes (default: ${DEFAULT-VALUE}).")
    int classes;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Limits.classes("--classes", classes);
        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%-20s %15s %7s  %s%n", "model", "parameters", "input", "description");
        for (String name : Zoo.names()) {
            ModelFamily.Variant e = Zoo.entry(name);
            long params = ModelSummary.of(e.spec(), classes).totalParams();
            int s = e.spec().imageSize();
            out.printf(Locale.ROOT, "%-20s %,15d %7s  %s%n", name, params, s + "x" + s, e.description());
        }
        return 0;
    }
}
