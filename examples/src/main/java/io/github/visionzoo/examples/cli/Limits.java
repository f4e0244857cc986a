package io.github.visionzoo.examples.cli;

import io.github.visionzoo.zoo.ModelSummary;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.Pointer;

/**
 * The upper bounds of the commands' numeric options, checked before anything is allocated or written: an image size
 * or batch beyond the machine otherwise ends in a failed native allocation, a JVM crash that leaves a half-made run
 * directory, instead of an error that names the option.
 *
 * <p>Memory is judged by a lower bound of what one training step needs, torchsummary's estimate per image (the input
 * and twice every layer's output: activations kept for the backward pass and their gradients) times the batch, plus
 * four copies of the parameters (weights, gradients and the optimizer's two moments), all once per worker. DL4J needs
 * more than that (workspaces, im2col buffers), so a step refused here could not have run; one let through may still
 * run out of memory. What the process may use is the machine's memory, or less where JavaCPP's
 * {@code org.bytedeco.javacpp.maxphysicalbytes} (the limit ND4J allocates against) says so; on a GPU the device's
 * memory is the tighter bound, and is not checked here.
 */
final class Limits {
    /**
     * The largest image side: past every model's own size (224 to 384 px) and Imagenette's full-size images (about
     * 500 px), and below where a decoded image's floats or DL4J's int shape arithmetic overflow.
     */
    static final int MAX_IMAGE_SIZE = 4096;

    /** The largest class count: ImageNet-21k has 21,841 classes. */
    static final int MAX_CLASSES = 100_000;

    private static final double MB = 1024 * 1024;
    private static final double GB = MB * 1024;

    private Limits() {
    }

    /** {@code value} of {@code option} within [min, max], else one line naming the option, the range and why. */
    static void range(String option, long value, long min, long max, String why) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s must be between %d and %d%s, was %d",
                    option, min, max, why.isEmpty() ? "" : " (" + why + ")", value));
        }
    }

    /** An image size option: 1 to {@link #MAX_IMAGE_SIZE}. */
    static void imageSize(String option, int value) {
        range(option, value, 1, MAX_IMAGE_SIZE, "models here take 224 to 384 px, Imagenette's images are about 500");
    }

    /** A class count option: 2 (a classifier needs two classes) to {@link #MAX_CLASSES}. */
    static void classes(String option, int value) {
        range(option, value, 2, MAX_CLASSES, "a classifier needs two classes; ImageNet-21k has 21,841");
    }

    /** Parallel training workers: 0 (one per device) up to this machine's cores, which CPU workers share. */
    static void workers(String option, int value) {
        int cores = Runtime.getRuntime().availableProcessors();
        range(option, value, 0, cores, "0: one per device; at most one per core of this machine");
    }

    /** Bytes this process may use: the machine's memory, or JavaCPP's {@code maxphysicalbytes} where lower. */
    static long availableBytes() {
        long machine = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        long javacpp = Pointer.maxPhysicalBytes();
        return javacpp > 0 ? Math.min(machine, javacpp) : machine;
    }

    /**
     * Refuses a training step that cannot fit this process's memory (see the class comment), naming the options
     * that set the image size and the batch and the largest values of each that would fit.
     *
     * @param model     the model at the image size to train at
     * @param imageSize the image size, as {@code sizeName} sets it
     * @param batch     images per step and worker, as {@code batchName} sets it
     * @param workers   workers training at once in this process
     * @param sizeName  how the user sets the image size, e.g. {@code --image-size}
     * @param batchName how the user sets the batch, e.g. {@code --batch}
     */
    static void trainingStep(ModelSummary model, int imageSize, int batch, int workers, String sizeName,
                             String batchName) {
        fits("one training step", (model.inputSizeMb() + model.forwardBackwardSizeMb()) * MB,
                4 * model.paramsSizeMb() * MB, "a batch's input and activations, as torchsummary estimates them, and"
                        + " the weights, gradients and optimizer state", imageSize, batch, workers, sizeName,
                batchName);
    }

    /**
     * As {@link #trainingStep}, for inference at a fixed image size: the input, the forward activations (half of
     * torchsummary's estimate) and the weights; only the batch is the user's to change.
     */
    static void inference(ModelSummary model, int imageSize, int batch, String batchName) {
        fits("one batch's inference", (model.inputSizeMb() + model.forwardBackwardSizeMb() / 2) * MB,
                model.paramsSizeMb() * MB, "its input and activations, as torchsummary estimates them, and the"
                        + " weights", imageSize, batch, 1, null, batchName);
    }

    /** {@code sizeName} null: the image size is fixed, and only the batch is proposed. */
    private static void fits(String what, double perImage, double fixed, String estimate, int imageSize, int batch,
                             int workers, String sizeName, String batchName) {
        double available = availableBytes();
        double needed = workers * (batch * perImage + fixed);
        if (needed <= available) {
            return;
        }
        double perWorker = available / workers - fixed;
        long maxBatch = perWorker <= 0 ? 0 : (long) (perWorker / perImage);
        // activations grow with the pixels, so the side that fits scales with the square root
        long maxSize = perWorker <= 0 ? 0 : (long) (imageSize * Math.sqrt(perWorker / (batch * perImage)));
        List<String> fixes = new ArrayList<>();
        if (sizeName != null && maxSize >= 1) {
            fixes.add(String.format(Locale.ROOT, "%s up to about %d", sizeName, maxSize));
        }
        if (maxBatch >= 1) {
            fixes.add(String.format(Locale.ROOT, "%s up to %d", batchName, maxBatch));
        }
        String settings = (sizeName == null ? "" : sizeName + " " + imageSize + " with ") + batchName + " " + batch
                + (workers > 1 ? " on " + workers + " workers" : "");
        throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: %s needs at least %s (%s), more than the %s"
                        + " this process may use; %s", settings, what, size(needed), estimate, size(available),
                fixes.isEmpty() ? "the model's parameters alone do not fit; take a smaller model"
                        : "give " + String.join(", or ", fixes)));
    }

    /** Refuses work whose buffers alone take more than this process may use; {@code what} names the option. */
    static void buffers(String what, double bytes, String fix) {
        double available = availableBytes();
        if (bytes > available) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s needs at least %s, more than the %s this"
                    + " process may use; %s", what, size(bytes), size(available), fix));
        }
    }

    private static String size(double bytes) {
        return bytes >= 1024 * GB ? String.format(Locale.ROOT, "%,.0f GB", bytes / GB)
                : bytes >= GB ? String.format(Locale.ROOT, "%.1f GB", bytes / GB)
                : String.format(Locale.ROOT, "%.0f MB", bytes / MB);
    }
}
