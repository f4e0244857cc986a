package io.github.visionzoo.examples.cli;

import io.github.visionzoo.imagenette.ImageDecoder;
import io.github.visionzoo.imagenette.transform.FloatImage;
import io.github.visionzoo.imagenette.transform.Transform;
import io.github.visionzoo.zoo.layers.BatchNormFolding;
import io.github.visionzoo.zoo.train.Checkpoint;
import io.github.visionzoo.zoo.weights.Pretrained;
import io.github.visionzoo.zoo.weights.PretrainedWeights;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code predict}: the five most probable classes of each image, with the evaluation transform: a checkpoint's
 * recipe's, or the published weights' own (ImageNet's class names with them). An image that cannot be read is
 * reported on standard error and the others are still classified; the exit code is then 2.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Print the top-5 classes with probabilities for each image.")
public final class PredictCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "A checkpoint written by train, finetune or import.")
    Path checkpoint;

    @Option(names = PretrainedOption.OPTION, paramLabel = "MODEL:TAG", description = PretrainedOption.DESCRIPTION)
    String weights;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "JPEG or PNG files.")
    List<Path> images;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PretrainedOption.requireOne(checkpoint, weights);
        ComputationGraph graph;
        List<String> names;
        Transform evaluation;
        if (weights != null) {
            Pretrained p = PretrainedOption.load(weights);
            graph = p.graph();
            names = labels(p.weights().classes());
            evaluation = p.transform();
        } else {
            Checkpoint c = Checkpoints.load("--checkpoint", checkpoint);
            int size = Checkpoints.inputSize("--checkpoint", c);
            graph = c.graph();
            names = c.info().classNames().stream().map(EvaluateCommand::label).toList();
            evaluation = ImagenetteData.evaluation(c.info().recipe() == null ? null
                    : c.info().recipe().augmentation()).transform(size);
        }
        graph = BatchNormFolding.fold(graph);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int unreadable = 0;
        for (Path image : images) {
            FloatImage x;
            try {
                if (!Files.isRegularFile(image)) {
                    throw new NoSuchFileException(image.toString(), null, "not a file");
                }
                x = evaluation.apply(ImageDecoder.decode(image), new Random(0));
            } catch (IOException e) {
                // as torchvision's folder loaders skip a bad file: the images after it still get their classes
                err.println("visionzoo predict: IMAGE " + e.getMessage());
                unreadable++;
                continue;
            }
            // [3, s, s] -> [1, 3, s, s]
            INDArray input = Nd4j.create(x.data(), new long[] {1, 3, x.height(), x.width()}, 'c');
            INDArray p = graph.outputSingle(false, input).reshape(-1);
            out.println(image + ":");
            int[] order = java.util.stream.IntStream.range(0, (int) p.length()).boxed()
                    .sorted((a, b) -> Double.compare(p.getDouble(b), p.getDouble(a)))
                    .mapToInt(Integer::intValue).limit(5).toArray();
            for (int k : order) {
                out.printf(Locale.ROOT, "  %6.2f %%  %s%n", 100 * p.getDouble(k),
                        k < names.size() ? names.get(k) : String.valueOf(k));
            }
        }
        if (unreadable > 0) {
            throw new IllegalArgumentException(unreadable + " of " + images.size() + " images could not be read;"
                    + " give JPEG or PNG files");
        }
        return 0;
    }

    /** The classes of published weights as printed: name and id, {@code tench (n01440764)}. */
    static List<String> labels(PretrainedWeights.ClassList classes) {
        return java.util.stream.IntStream.range(0, classes.size())
                .mapToObj(i -> classes.names().get(i) + " (" + classes.ids().get(i) + ")").toList();
    }
}
