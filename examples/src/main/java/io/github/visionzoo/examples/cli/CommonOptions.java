package io.github.visionzoo.examples.cli;

import picocli.CommandLine.Option;

/** Options every command takes. The error handler reads {@code --verbose} from the command line itself. */
public final class CommonOptions {
    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;
}
