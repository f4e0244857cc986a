package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.AtomicFiles;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.visionzoo.zoo.Json;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The run's {@code metrics.jsonl}: one JSON object per line, appended and flushed as training goes, of two types:
 *
 * <pre>
 * {"type":"iterations","epoch":2,"iteration":140,"epochProgress":1.5,"loss":1.21,"accuracy":0.56,"learningRate":0.002,"imagesPerSecond":310.2}
 * {"type":"epoch","epoch":2,"iteration":160,"trainLoss":1.18,"trainAccuracy":0.58,"valLoss":1.02,"valTop1":0.64,...}
 * </pre>
 *
 * Epochs are numbered from 1; {@code iteration} counts optimizer steps over the whole run; accuracies are fractions,
 * {@code null} where not measured.
 */
final class Metrics implements Closeable {
    /** One line. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = Iterations.class, name = "iterations"),
            @JsonSubTypes.Type(value = Epoch.class, name = "epoch")
    })
    sealed interface Line permits Iterations, Epoch {
        int iteration();
    }

    /** A window of iterations: means over its batches; {@code epochProgress} is the epoch's fraction done, plus
     * the epochs before. */
    record Iterations(int epoch, int iteration, double epochProgress, double loss, Double accuracy,
                      double learningRate, double imagesPerSecond) implements Line {
    }

    /** An epoch: training means over the epoch, then the validation set's evaluation. */
    record Epoch(int epoch, int iteration, double trainLoss, Double trainAccuracy, double valLoss, double valTop1,
                 double valTop5, List<Double> perClassAccuracy, double learningRate, double imagesPerSecond,
                 double seconds) implements Line {
    }

    private static final ObjectWriter LINE = Json.mapper().writer().without(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final List<Line> lines;
    private final BufferedWriter out;

    private Metrics(Path file, List<Line> lines) throws IOException {
        this.file = file;
        this.lines = lines;
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    /**
     * Opens {@code file} for appending, first dropping the lines after {@code lastIteration}: a killed run wrote them
     * after the checkpoint that the run resumes from, and the resumed run writes them again.
     */
    static Metrics open(Path file, int lastIteration) {
        try {
            List<Line> kept = new ArrayList<>();
            if (Files.exists(file)) {
                List<String> text = Files.readAllLines(file, StandardCharsets.UTF_8);
                List<String> keptText = new ArrayList<>();
                for (int i = 0; i < text.size(); i++) {
                    if (text.get(i).isBlank()) {
                        continue;
                    }
                    Line line = Json.read(text.get(i), Line.class, file + " line " + (i + 1));
                    if (line.iteration() <= lastIteration) {
                        kept.add(line);
                        keptText.add(text.get(i));
                    }
                }
                if (keptText.size() < text.size()) {
                    AtomicFiles.writeString(file, keptText.isEmpty() ? "" : String.join("\n", keptText) + "\n");
                }
            }
            return new Metrics(file, kept);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    void append(Line line) {
        try {
            out.write(LINE.writeValueAsString(line));
            out.newLine();
            out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + line + " as JSON", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
        }
        lines.add(line);
    }

    /** Every line so far, those of earlier runs of this directory included. */
    List<Line> lines() {
        return lines;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
