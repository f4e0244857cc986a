package io.github.visionzoo.zoo.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.github.visionzoo.zoo.AtomicFiles;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.OneDnn;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * visionzoo's model file: a checkpoint of a training run, a fine-tuned network or imported weights, one zip file with
 * two entries:
 * <ul>
 * <li>{@value #MODEL_ENTRY}: the network as DL4J's {@code ModelSerializer} writes it, configuration, parameters and
 * updater state, so training continues exactly where it stopped; extract it to load it with plain DL4J;
 * <li>{@value #INFO_ENTRY}: the {@link Info} (the model's spec, its classes, the recipe and where training stood),
 * with the SHA-256 of the model entry.
 * </ul>
 * A checkpoint is written atomically (see {@link AtomicFiles}): a process killed while writing leaves the previous
 * checkpoints as they were and at most a temporary file. Loading checks the zip structure and the checksum first, so a
 * truncated or damaged file is reported as a {@link CorruptCheckpointException} that names it.
 *
 * <p>Non-finite parameters (NaN or infinity, left by a diverged training) are never written, and a file holding them
 * does not load. {@link #load} also reads a plain {@code ModelSerializer} zip of a {@code ComputationGraph}, as DL4J
 * or earlier visionzoo imports wrote them: its {@link Info} then has no recipe, and no spec unless the zip holds a
 * {@code visionzoo-spec.json} entry.
 *
 * @param file  where it was read from
 * @param info  what the file records
 * @param graph the network with its updater state, initialized
 */
public record Checkpoint(Path file, Info info, ComputationGraph graph) {
    /** The zip entry holding the DL4J model. */
    public static final String MODEL_ENTRY = "model.zip";
    /** The zip entry holding the {@link Info} as JSON. */
    public static final String INFO_ENTRY = "checkpoint.json";
    /** The checkpoint format this version writes; it reads this and the earlier ones. */
    public static final int FORMAT = 2;
    /** The entries of a plain {@code ModelSerializer} zip, and the spec entry earlier visionzoo imports added. */
    private static final String DL4J_CONFIGURATION = "configuration.json";
    private static final String DL4J_COEFFICIENTS = "coefficients.bin";
    private static final String DL4J_SPEC_ENTRY = "visionzoo-spec.json";

    /**
     * What a checkpoint records besides the network.
     *
     * @param format          {@link #FORMAT} when written; 1 for checkpoints without a spec
     * @param model           the model's name as given to the trainer, e.g. {@code resnet34}
     * @param headName        the classifier vertex, the graph's output ({@code fc}, {@code classifier.6}, ...)
     * @param numClasses      outputs of the head
     * @param classNames      class names in output order; empty when the iterator had none
     * @param recipe          the recipe being trained; null for a model that no run trained (an import)
     * @param epochsCompleted epochs finished
     * @param batchesInEpoch  batches of the next epoch already trained (0 at an epoch end)
     * @param iteration       optimizer steps so far
     * @param dataSeed        the seed of the data order (the recipe's seed)
     * @param valTop1         validation top-1 accuracy at this epoch end, null for checkpoints within an epoch
     * @param valTop5         validation top-5 accuracy, likewise
     * @param wallSeconds     wall-clock time of the run so far, resumptions included
     * @param modelSha256     hex SHA-256 of the {@value #MODEL_ENTRY} entry, filled in when written
     * @param spec            the architecture the graph was built from, which {@code export} names the tensors by;
     *                        null when unknown (a graph built by hand)
     * @param epochTotals     the training sums of the {@code batchesInEpoch} batches, so that a resumed epoch
     *                        reports its loss and accuracy over all its batches; null at an epoch end
     */
    public record Info(int format, String model, String headName, int numClasses, List<String> classNames,
                       TrainingRecipe recipe, int epochsCompleted, int batchesInEpoch, int iteration,
                       long dataSeed, Double valTop1, Double valTop5, double wallSeconds, String modelSha256,
                       ModelSpec spec, @JsonInclude(JsonInclude.Include.NON_NULL) EpochTotals epochTotals) {
        public Info {
            if (format < 1 || format > FORMAT) {
                throw new IllegalArgumentException("checkpoint format " + format + " is not one of 1.." + FORMAT
                        + ": written by a newer visionzoo version");
            }
            classNames = classNames == null ? List.of() : List.copyOf(classNames);
        }

        /**
         * The info of a model that no training run produced, such as imported weights: no recipe, no position.
         *
         * @param classNames the class names in output order, or an empty list
         */
        public static Info forModel(String model, ModelSpec spec, int numClasses, List<String> classNames) {
            return start(model, spec.headName(), numClasses, classNames, null, spec);
        }

        /**
         * The info of a model before its first training step: in the current format, at epoch 0, iteration 0, its
         * data seed the recipe's.
         *
         * @param recipe the recipe about to train it; null for a model no run trains
         * @param spec   null when unknown
         */
        static Info start(String model, String headName, int numClasses, List<String> classNames,
                          TrainingRecipe recipe, ModelSpec spec) {
            return new Builder().with(b -> {
                b.model = model;
                b.headName = headName;
                b.numClasses = numClasses;
                b.classNames = classNames;
                b.recipe = recipe;
                b.dataSeed = recipe == null ? 0 : recipe.seed();
                b.spec = spec;
            });
        }

        /** The input size: the recipe's, which training ran at, else the spec's; null when the file has neither. */
        public Integer inputSize() {
            if (recipe != null) {
                return recipe.imageSize();
            }
            return spec != null ? Integer.valueOf(spec.imageSize()) : null;
        }

        /** This info with the recipe changed, e.g. to train for more epochs. */
        Info withRecipe(TrainingRecipe recipe) {
            return with(b -> b.recipe = recipe);
        }

        /** This info at the start of the epoch it is in: no batch of it trained. */
        Info atEpochStart() {
            return with(b -> {
                b.batchesInEpoch = 0;
                b.epochTotals = null;
            });
        }

        Info withModelSha256(String sha) {
            return with(b -> b.modelSha256 = sha);
        }

        /** A copy of this info with the changes {@code change} makes to its components. */
        Info with(Consumer<Builder> change) {
            return new Builder(this).with(change);
        }

        /** The components of an {@link Info} as fields, so that a copy names only what it changes. */
        static final class Builder {
            int format = FORMAT;
            String model;
            String headName;
            int numClasses;
            List<String> classNames;
            TrainingRecipe recipe;
            int epochsCompleted;
            int batchesInEpoch;
            int iteration;
            long dataSeed;
            Double valTop1;
            Double valTop5;
            double wallSeconds;
            String modelSha256;
            ModelSpec spec;
            EpochTotals epochTotals;

            private Builder() {
            }

            private Builder(Info i) {
                format = i.format;
                model = i.model;
                headName = i.headName;
                numClasses = i.numClasses;
                classNames = i.classNames;
                recipe = i.recipe;
                epochsCompleted = i.epochsCompleted;
                batchesInEpoch = i.batchesInEpoch;
                iteration = i.iteration;
                dataSeed = i.dataSeed;
                valTop1 = i.valTop1;
                valTop5 = i.valTop5;
                wallSeconds = i.wallSeconds;
                modelSha256 = i.modelSha256;
                spec = i.spec;
                epochTotals = i.epochTotals;
            }

            private Info with(Consumer<Builder> change) {
                change.accept(this);
                return new Info(format, model, headName, numClasses, classNames, recipe, epochsCompleted,
                        batchesInEpoch, iteration, dataSeed, valTop1, valTop5, wallSeconds, modelSha256, spec,
                        epochTotals);
            }
        }
    }

    /**
     * Sums over the training batches of an epoch in progress.
     *
     * @param examples         examples trained
     * @param lossSum          their summed loss
     * @param correct          examples whose prediction was right, of {@code measuredExamples}
     * @param measuredExamples examples whose accuracy was measured
     * @param seconds          training time so far
     */
    public record EpochTotals(long examples, double lossSum, long correct, long measuredExamples, double seconds) {
    }

    /**
     * Writes {@code graph} with its updater state and {@code info} (whose checksum is filled in) to {@code file},
     * atomically.
     *
     * @return the info as written
     * @throws IllegalArgumentException when a parameter or the updater state is not finite; nothing is written
     */
    public static Info write(Path file, ComputationGraph graph, Info info) {
        String bad = nonFinite(graph);
        if (bad != null) {
            throw new IllegalArgumentException("refusing to write checkpoint " + file + ": " + bad
                    + " holds NaN or infinite values");
        }
        MessageDigest sha = sha256();
        Info[] written = new Info[1];
        try {
            AtomicFiles.write(file, out -> {
                ZipOutputStream zip = new ZipOutputStream(out);
                zip.setLevel(Deflater.NO_COMPRESSION); // ModelSerializer compresses its own entries already
                zip.putNextEntry(new ZipEntry(MODEL_ENTRY));
                // ModelSerializer shields the stream it is given from its own close()
                ModelSerializer.writeModel(graph, new DigestOutputStream(zip, sha), true);
                zip.closeEntry();
                written[0] = info.withModelSha256(HexFormat.of().formatHex(sha.digest()));
                zip.putNextEntry(new ZipEntry(INFO_ENTRY));
                zip.write(Json.write(written[0]).getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
                zip.finish(); // not close(): AtomicFiles still has to force the file to disk
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
        return written[0];
    }

    /**
     * The info of a checkpoint, without loading (or verifying) the network.
     *
     * @throws CorruptCheckpointException when the file is no readable checkpoint
     */
    public static Info readInfo(Path file) {
        try (ZipFile zip = open(file)) {
            return info(zip, file);
        } catch (IOException e) {
            throw new CorruptCheckpointException(file, e.getMessage(), e);
        }
    }

    /**
     * Loads a checkpoint: verifies its checksum, then restores the network with its updater state (DL4J's oneDNN
     * helpers switched on first, as {@link io.github.visionzoo.zoo.Zoo} does). A plain {@code ModelSerializer} zip of
     * a {@code ComputationGraph} loads too, with the {@link Info} it can tell: the graph's head and class count, the
     * spec where an earlier visionzoo import stored one, no recipe.
     *
     * @throws CorruptCheckpointException naming the file when it is truncated, damaged, no checkpoint, or holds NaN
     *                                    or infinite parameters
     * @throws UncheckedIOException       when it cannot be read at all (missing, no permission)
     */
    public static Checkpoint load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UncheckedIOException(new NoSuchFileException(file.toString(), null,
                    "no checkpoint file here; a run directory holds ckpt-*.zip and best.zip"));
        }
        Checkpoint checkpoint;
        try (ZipFile zip = open(file)) {
            checkpoint = zip.getEntry(INFO_ENTRY) == null && zip.getEntry(DL4J_CONFIGURATION) != null
                    && zip.getEntry(DL4J_COEFFICIENTS) != null ? loadModelSerializerZip(file, zip)
                    : loadCheckpoint(file, zip);
        } catch (IOException e) {
            throw new CorruptCheckpointException(file, e.getMessage(), e);
        }
        String bad = nonFinite(checkpoint.graph());
        if (bad != null) {
            checkpoint.graph().close();
            throw CorruptCheckpointException.nonFinite(file, bad);
        }
        return checkpoint;
    }

    private static Checkpoint loadCheckpoint(Path file, ZipFile zip) throws IOException {
        Info info = info(zip, file);
        ZipEntry model = zip.getEntry(MODEL_ENTRY);
        if (model == null) {
            throw new CorruptCheckpointException(file, "no " + MODEL_ENTRY + " entry", null);
        }
        MessageDigest sha = sha256();
        try (InputStream in = new DigestInputStream(zip.getInputStream(model), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(info.modelSha256())) {
            throw new CorruptCheckpointException(file, "the SHA-256 of " + MODEL_ENTRY + " is " + actual
                    + ", its " + INFO_ENTRY + " says " + info.modelSha256(), null);
        }
        OneDnn.enable();
        try (InputStream in = zip.getInputStream(model)) {
            return new Checkpoint(file, info, ModelSerializer.restoreComputationGraph(in, true));
        }
    }

    private static Checkpoint loadModelSerializerZip(Path file, ZipFile zip) throws IOException {
        ModelSpec spec = null;
        ZipEntry specEntry = zip.getEntry(DL4J_SPEC_ENTRY);
        if (specEntry != null) {
            try (InputStream in = zip.getInputStream(specEntry)) {
                spec = Json.read(new String(in.readAllBytes(), StandardCharsets.UTF_8), ModelSpec.class,
                        file + "!" + DL4J_SPEC_ENTRY);
            } catch (IllegalArgumentException e) {
                throw new CorruptCheckpointException(file, e.getMessage(), e);
            }
        }
        OneDnn.enable();
        ComputationGraph graph;
        try {
            graph = ModelSerializer.restoreComputationGraph(file.toFile(), true);
        } catch (RuntimeException e) {
            throw new CorruptCheckpointException(file, "a DL4J model zip that holds no ComputationGraph: " + e, e);
        }
        String head = graph.getConfiguration().getNetworkOutputs().get(0);
        String name = file.getFileName().toString().replaceFirst("\\.zip$", "");
        return new Checkpoint(file, Info.start(name, head, RunTrainer.numClasses(graph, head), List.of(), null, spec),
                graph);
    }

    /**
     * What of {@code graph} holds NaN or infinite values, e.g. {@code parameter layer1.0.bn1_log10stdev} or
     * {@code updater state}; null when everything is finite.
     */
    static String nonFinite(ComputationGraph graph) {
        INDArray params = graph.params();
        if (params != null && !params.isEmpty() && BooleanIndexing.or(params, Conditions.notFinite())) {
            for (Map.Entry<String, INDArray> p : graph.paramTable().entrySet()) {
                if (BooleanIndexing.or(p.getValue(), Conditions.notFinite())) {
                    return "parameter " + p.getKey();
                }
            }
        }
        Updater updater = graph.getUpdater(false);
        INDArray state = updater == null ? null : updater.getStateViewArray();
        if (state != null && !state.isEmpty() && BooleanIndexing.or(state, Conditions.notFinite())) {
            return "updater state";
        }
        return null;
    }

    private static ZipFile open(Path file) throws IOException {
        return new ZipFile(file.toFile());
    }

    private static Info info(ZipFile zip, Path file) throws IOException {
        ZipEntry entry = zip.getEntry(INFO_ENTRY);
        if (entry == null) {
            throw new CorruptCheckpointException(file, "no " + INFO_ENTRY + " entry", null);
        }
        try (InputStream in = zip.getInputStream(entry)) {
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            try {
                return Json.read(json, Info.class, file + "!" + INFO_ENTRY);
            } catch (IllegalArgumentException e) {
                throw new CorruptCheckpointException(file, e.getMessage(), e);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
