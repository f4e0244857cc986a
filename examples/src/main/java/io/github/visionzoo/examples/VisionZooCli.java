package io.github.visionzoo.examples;

import io.github.visionzoo.examples.cli.BenchCommand;
import io.github.visionzoo.examples.cli.DownloadCommand;
import io.github.visionzoo.examples.cli.EvaluateCommand;
import io.github.visionzoo.examples.cli.ExportCommand;
import io.github.visionzoo.examples.cli.FinetuneCommand;
import io.github.visionzoo.examples.cli.ImportCommand;
import io.github.visionzoo.examples.cli.PredictCommand;
import io.github.visionzoo.examples.cli.TrainCommand;
import io.github.visionzoo.examples.cli.ListCommand;
import io.github.visionzoo.examples.cli.SummaryCommand;
import io.github.visionzoo.examples.cli.SparkTrainCommand;
import io.github.visionzoo.examples.cli.SynthCommand;
import io.github.visionzoo.zoo.CpuThreads;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code visionzoo} command line: {@code java -jar examples/target/visionzoo-examples.jar COMMAND ...}.
 *
 * <p>Exit codes: 0 success, 1 a failure while running, 2 bad input (an unknown model, a missing file, a wrong
 * argument), reported in one line that names the argument and the fix; {@code --verbose} adds the stack trace.
 */
@Command(name = "visionzoo", mixinStandardHelpOptions = true, versionProvider = VisionZooCli.Version.class,
        description = "AlexNet, VGG, ResNet and the Vision Transformer on Deeplearning4j.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, FinetuneCommand.class, PredictCommand.class,
                ListCommand.class, SummaryCommand.class, SynthCommand.class, DownloadCommand.class,
                ImportCommand.class, ExportCommand.class, BenchCommand.class, SparkTrainCommand.class,
                CommandLine.HelpCommand.class})
public final class VisionZooCli {
    /** Exit code for bad input. */
    public static final int BAD_INPUT = 2;

    public static void main(String[] args) {
        CpuThreads.configure(); // before ND4J's natives load
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line with the given output streams and returns its exit code (for tests and embedding). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new VisionZooCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.originalArgs().contains("--verbose");
            boolean badInput = isBadInput(ex);
            commandLine.getErr().println("visionzoo " + commandLine.getCommandName() + ": " + ex.getMessage());
            if (verbose) {
                ex.printStackTrace(commandLine.getErr());
            }
            return badInput ? BAD_INPUT : 1;
        });
        return cli.execute(args);
    }

    /**
     * What the user can fix: a wrong argument, a missing or unreadable file, a damaged checkpoint or image, a run
     * directory that another process trains in.
     */
    static boolean isBadInput(Throwable ex) {
        return ex instanceof IllegalArgumentException
                || ex instanceof io.github.visionzoo.zoo.train.RunLock.InUseException
                || ex instanceof java.io.FileNotFoundException
                || ex instanceof java.nio.file.NoSuchFileException
                || ex instanceof io.github.visionzoo.zoo.train.CorruptCheckpointException
                || ex instanceof io.github.visionzoo.imagenette.UnreadableImageException
                || (ex instanceof java.io.UncheckedIOException u && isBadInput(u.getCause()));
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = VisionZooCli.class.getPackage().getImplementationVersion();
            return new String[] {"visionzoo " + (v == null ? "(development build)" : v)};
        }
    }
}
