package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.ModelFamily;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code list}: every registered model with its parameter count and input size; with {@code --weights}, the catalogue
 * of published weights and the models that have none.
 */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List every model with its parameter count and input size, or (--weights) the published "
                + "weights.")
public final class ListCommand implements Callable<Integer> {
    @Option(names = "--classes", defaultValue = "10", description = "Number of classes (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--weights", description = "List the published weights: model, weights, classes, published "
            + "ImageNet-1k top-1, input size, download size; then the models without any, and why.")
    boolean weights;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Limits.classes("--classes", classes);
        var out = spec.commandLine().getOut();
        if (weights) {
            listWeights(out);
            return 0;
        }
        out.printf(Locale.ROOT, "%-20s %15s %7s  %s%n", "model", "parameters", "input", "description");
        for (String name : Zoo.names()) {
            ModelFamily.Variant e = Zoo.entry(name);
            long params = ModelSummary.of(e.spec(), classes).totalParams();
            int s = e.spec().imageSize();
            out.printf(Locale.ROOT, "%-20s %,15d %7s  %s%n", name, params, s + "x" + s, e.description());
        }
        return 0;
    }

    private static void listWeights(java.io.PrintWriter out) {
        out.printf(Locale.ROOT, "%-12s %-28s %7s %6s %7s %9s  %s%n", "model", "weights", "classes", "top-1", "input",
                "size", "source");
        for (PretrainedWeights w : Zoo.weights()) {
            int s = w.inputSize();
            // float32 parameters: about the file's size (batch-norm statistics and headers add under 1 %)
            out.printf(Locale.ROOT, "%-12s %-28s %7d %6.2f %7s %6.0f MB  %s%n", w.model(), w.tag(), w.numClasses(),
                    w.top1(), s + "x" + s, w.numParams() * 4 / 1e6, w.urls().get(0).getHost());
        }
        out.println("models without published weights:");
        for (String name : Zoo.names()) {
            if (Zoo.weights(name).isEmpty()) {
                out.println("  " + name + ": " + Zoo.noWeights(name).orElse("none listed"));
            }
        }
    }
}
