package io.github.visionzoo.examples.cli;

import io.github.visionzoo.imagenette.ImagenetteDownloader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code download VARIANT --to DIR}: fetches, verifies and extracts an official Imagenette archive. */
@Command(name = "download", mixinStandardHelpOptions = true,
        description = "Download an official Imagenette archive (resumable, checksum-verified, extracted atomically).")
public final class DownloadCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "VARIANT",
            description = "imagenette2 (full, ~1.5 GB), imagenette2-320 (~330 MB) or imagenette2-160 (~95 MB).")
    String variant;

    @Option(names = "--to", required = true, paramLabel = "DIR", description = "Folder to extract into.")
    Path to;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ImagenetteDownloader.Variant v = ImagenetteDownloader.Variant.parse(variant);
        if (Files.exists(to) && !Files.isDirectory(to)) {
            throw new IllegalArgumentException("--to " + to + " is a file; give the folder to extract into (it is "
                    + "made if missing)");
        }
        Path root = ImagenetteDownloader.official().download(v, to);
        spec.commandLine().getOut().println("Imagenette " + v.folder() + " is ready at " + root);
        return 0;
    }
}
