package io.github.visionzoo.examples.cli;

import io.github.visionzoo.imagenette.Imagenette;
import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.zoo.ModelSummary;
import io.github.visionzoo.zoo.layers.BatchNormFolding;
import io.github.visionzoo.zoo.train.AugmentationSpec;
import io.github.visionzoo.zoo.train.Checkpoint;
import io.github.visionzoo.zoo.train.Ensemble;
import io.github.visionzoo.zoo.train.EvalReport;
import io.github.visionzoo.zoo.weights.Pretrained;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import io.github.visionzoo.imagenette.ImageFolder;
import io.github.visionzoo.imagenette.Split;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.conf.inputs.InputType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code evaluate}: top-1, top-5, per-class accuracy and the confusion matrix of a checkpoint, an ensemble, or
 * published weights with their own evaluation transform. Weights of more classes than the folder's (ImageNet-1k's on
 * Imagenette) are evaluated on the folder's classes only, as timm's {@code validate.py --valid-labels}.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a checkpoint (or several as an ensemble, or published weights) on the val split of an "
                + "image folder.")
public final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "A checkpoint written by train, finetune or import.")
    Path checkpoint;

    @Option(names = "--ensemble", arity = "1..*", paramLabel = "FILE",
            description = "Several checkpoints whose softmax outputs are averaged (the VGG paper's ensembles).")
    List<Path> ensemble;

    @Option(names = PretrainedOption.OPTION, paramLabel = "MODEL:TAG", description = {PretrainedOption.DESCRIPTION,
            "The folder's class folders must be the weights' class ids (ImageNet's WordNet ids, as Imagenette's); "
                    + "only those outputs count."})
    String weights;

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "An image folder (ROOT/val/<class>/*.jpg) with the checkpoint's classes, e.g. Imagenette.")
    Path data;

    @Option(names = "--batch", defaultValue = "32", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, was " + batch);
        }
        List<Path> files = new ArrayList<>();
        if (checkpoint != null) {
            files.add(checkpoint);
        }
        if (ensemble != null) {
            files.addAll(ensemble);
        }
        if (weights != null) {
            if (!files.isEmpty()) {
                throw new IllegalArgumentException("give --weights, or --checkpoint or --ensemble, not both");
            }
            return evaluateWeights();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("give --checkpoint FILE, --ensemble FILE... or --weights MODEL:TAG");
        }
        List<Checkpoint> members = files.stream().map(f -> Checkpoints.load("--checkpoint", f)).toList();
        Ensemble model = Ensemble.ofCheckpoints(members);
        Checkpoint.Info info = members.get(0).info();
        List<String> classes = info.classNames().isEmpty() ? null : info.classNames();
        int size = Checkpoints.inputSize("--checkpoint", members.get(0));
        for (Checkpoint member : members) {
            Limits.inference(ModelSummary.of(member.graph().getConfiguration(), InputType.convolutional(size, size,
                    3)), size, batch, "--batch");
        }
        EvalReport report;
        // the first checkpoint's evaluation transform (its recipe's evalCropPct)
        AugmentationSpec augmentation = info.recipe() == null ? null : info.recipe().augmentation();
        try (ImagenetteIterator val = ImagenetteData.val(ImagenetteData.root(data, null), augmentation, size,
                batch, classes)) {
            if (val.totalOutcomes() != info.numClasses()) {
                throw new IllegalArgumentException(files.get(0) + " classifies " + info.numClasses() + " classes, "
                        + "--data " + data + " has " + val.totalOutcomes() + "; evaluate a checkpoint on the classes "
                        + "it was trained on (finetune makes one for these)");
            }
            report = model.evaluate(val, val.getLabels());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        print(spec.commandLine().getOut(), files.size() == 1 ? files.get(0).toString()
                : "ensemble of " + files.size(), report);
        return 0;
    }

    /** The published weights on the folder's classes, with the weights' own transform. */
    private Integer evaluateWeights() throws java.io.IOException {
        PretrainedWeights w = PretrainedOption.resolve(weights);
        Path root = ImagenetteData.root(data, null);
        List<String> classes = ImageFolder.open(root, Split.VAL).classes();
        List<String> unknown = classes.stream().filter(c -> !w.classes().ids().contains(c)).toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--data " + data + " has class folders " + unknown + " that are not "
                    + "among the " + w.numClasses() + " " + w.classes().name() + " classes of " + w.ref() + " (their "
                    + "ids, such as " + w.classes().ids().get(0) + "); fine-tune the weights for these classes with "
                    + "'finetune --weights " + w.ref() + "'");
        }
        int[] outputs = classes.stream().mapToInt(c -> w.classes().ids().indexOf(c)).toArray();
        List<String> labels = PredictCommand.labels(w.classes());
        int size = w.inputSize();
        Limits.inference(ModelSummary.of(io.github.visionzoo.zoo.Zoo.spec(w.model()).withImageSize(size),
                w.numClasses()), size, batch, "--batch");
        EvalReport report;
        try (Pretrained p = PretrainedOption.load(weights);
             ImagenetteIterator val = ImagenetteIterator.builder(root).split("val").transform(p.transform())
                     .imageSize(size).batchSize(batch).classes(classes)
                     .threads(Math.max(1, Runtime.getRuntime().availableProcessors())).build()) {
            report = EvalReport.ofSubset(BatchNormFolding.fold(p.graph()), outputs, val, java.util.Arrays.stream(outputs)
                    .mapToObj(labels::get).toList());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s (%s) on the %d classes of %s; the published ImageNet-1k top-1 is %.2f %%%n",
                w.ref(), w.transform(), classes.size(), data, w.top1());
        print(out, w.ref(), report);
        return 0;
    }

    static void print(PrintWriter out, String what, EvalReport report) {
        out.printf(Locale.ROOT, "%s on %d images: top-1 %.2f %%, top-5 %.2f %%, loss %.4f%n", what,
                report.examples(), 100 * report.top1(), 100 * report.top5(), report.loss());
        double[] perClass = report.perClassAccuracy();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < perClass.length; i++) {
            names.add(label(i < report.classNames().size() ? report.classNames().get(i) : String.valueOf(i)));
        }
        int width = names.stream().mapToInt(String::length).max().orElse(0);
        out.println("per-class accuracy:");
        for (int i = 0; i < perClass.length; i++) {
            out.printf(Locale.ROOT, "  %-" + width + "s %6.2f %%%n", names.get(i), 100 * perClass[i]);
        }
        out.println("confusion matrix (rows: true class, columns: predicted):");
        for (int[] row : report.confusion()) {
            StringBuilder sb = new StringBuilder("  ");
            for (int v : row) {
                sb.append(String.format(Locale.ROOT, "%5d", v));
            }
            out.println(sb);
        }
    }

    /**
     * How a class is printed: an Imagenette WordNet id as its readable name and the id ({@code tench (n01440764)}),
     * any other class by its folder's name.
     */
    static String label(String className) {
        return Imagenette.WNIDS.contains(className) ? Imagenette.className(className) + " (" + className + ")"
                : className;
    }
}
