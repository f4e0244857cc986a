package io.github.visionzoo.examples.bench;

import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.weights.ImportOptions;
import io.github.visionzoo.zoo.weights.WeightImporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Compares full-size models with PyTorch: imports {@code DIR/NAME.pth} (or {@code .safetensors}) written by
 * {@code src/tools/golden/golden_weights.py --full DIR} (or {@code swin_t.pth} by {@code golden_swin.py --full DIR}),
 * runs {@code DIR/NAME_input.npy} and prints the largest difference from {@code DIR/NAME_logits.npy}, PyTorch's
 * logits. Exit code 0 when every difference is within the tolerance.
 *
 * <pre>
 * /usr/bin/python3 src/tools/golden/golden_weights.py --full runs/full
 * java -Xmx8g -cp examples/target/visionzoo-examples.jar io.github.visionzoo.examples.bench.CompareFull \
 *     runs/full resnet50 vgg16 alexnet_tv vit_b_16 [--format safetensors] [--tolerance 1e-4]
 * </pre>
 *
 * <p>Model names are visionzoo's registry names; {@code alexnet_tv} reads the files named {@code alexnet}.
 */
public final class CompareFull {
    private CompareFull() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: CompareFull DIR MODEL... [--format pth|safetensors] [--tolerance T]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        String format = "pth";
        double tolerance = 1e-4;
        List<String> models = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--format" -> format = args[++i];
                case "--tolerance" -> tolerance = Double.parseDouble(args[++i]);
                default -> models.add(args[i]);
            }
        }
        boolean ok = true;
        for (String model : models) {
            ok &= compare(dir, model, format, tolerance);
        }
        System.exit(ok ? 0 : 1);
    }

    /** Prints one model's comparison and returns whether it is within {@code tolerance}. */
    public static boolean compare(Path dir, String model, String format, double tolerance) throws IOException {
        String stem = model.equals("alexnet_tv") ? "alexnet" : model;
        Path file = dir.resolve(stem + "." + format);
        ModelSpec spec = Zoo.spec(model);
        long t0 = System.nanoTime();
        ComputationGraph net = WeightImporter.create(spec, file, ImportOptions.strict());
        long t1 = System.nanoTime();
        try {
            INDArray x = Nd4j.createFromNpyFile(dir.resolve(stem + "_input.npy").toFile());
            INDArray expected = Nd4j.createFromNpyFile(dir.resolve(stem + "_logits.npy").toFile())
                    .castTo(DataType.DOUBLE);
            Map<String, INDArray> acts = net.feedForward(x, false);
            String head = spec.headName();
            String before = net.getConfiguration().getVertexInputs().get(head).get(0);
            var layer = net.getLayer(head);
            INDArray logits = acts.get(before).mmul(layer.getParam("W")).addRowVector(layer.getParam("b"))
                    .castTo(DataType.DOUBLE);
            long t2 = System.nanoTime();
            double diff = logits.sub(expected).amaxNumber().doubleValue();
            double scale = expected.amaxNumber().doubleValue();
            double softmaxDiff = acts.get(head).castTo(DataType.DOUBLE).sub(Transforms.softmax(expected, true))
                    .amaxNumber().doubleValue();
            boolean ok = diff <= tolerance && softmaxDiff <= tolerance;
            System.out.printf("%-11s %-11s %s: max |logits - PyTorch| %.3g (max |logit| %.3g), "
                            + "max |softmax - PyTorch| %.3g; import %.1f s, forward %.1f s, file %d MB%n",
                    model, format, ok ? "OK" : "DIFFERS", diff, scale, softmaxDiff, (t1 - t0) / 1e9,
                    (t2 - t1) / 1e9, Files.size(file) >> 20);
            return ok;
        } finally {
            net.close();
        }
    }
}
