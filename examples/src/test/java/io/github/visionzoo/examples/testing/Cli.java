package io.github.visionzoo.examples.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.examples.VisionZooCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the command-line tests share: a command run in this JVM, and the files of a tiny run (a synthetic Imagenette,
 * a small ResNet's spec and a quick recipe), kept in files as a user would keep them.
 */
public final class Cli {
    private Cli() {
    }

    /** Exit code, standard output and standard error of one command line. */
    public record Result(int code, String out, String err) {
    }

    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = VisionZooCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    public static Result run(List<String> args) {
        return run(args.toArray(String[]::new));
    }

    /** {@code synth}: ten classes of {@code trainPerClass} + {@code valPerClass} JPEG files of {@code size} px. */
    public static Path synth(Path root, int trainPerClass, int valPerClass, int size) {
        Result r = run("synth", "--to", root.toString(), "--train-per-class", Integer.toString(trainPerClass),
                "--val-per-class", Integer.toString(valPerClass), "--size", Integer.toString(size));
        assertThat(r.code()).as(r.err()).isZero();
        return root;
    }

    /** The spec of a two-stage basic-block ResNet of {@code width} channels at 32 px. */
    public static String tinyResNetJson(int width) {
        return "{\"family\":\"resnet\",\"block\":\"basic\",\"layers\":[1,1],\"width\":" + width
                + ",\"convBias\":false,\"imageSize\":32}";
    }

    /** {@link #tinyResNetJson} written to {@code file}. */
    public static Path tinyResNet(Path file, int width) {
        return write(file, tinyResNetJson(width));
    }

    /**
     * A recipe named {@code quick}: AdamW at 0.003, batch 16, 32 px, {@code eval} augmentation, seed 1, and
     * {@code epochs}; {@code more} adds JSON fields (without the leading comma), e.g. a schedule.
     */
    public static Path quickRecipe(Path file, int epochs, String more) {
        return write(file, "{\"name\":\"quick\",\"optimizer\":\"adamw\",\"learningRate\":0.003,\"batchSize\":16,"
                + "\"epochs\":" + epochs + ",\"imageSize\":32,\"augmentation\":\"eval\",\"seed\":1"
                + (more.isEmpty() ? "" : "," + more) + "}");
    }

    private static Path write(Path file, String text) {
        try {
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
