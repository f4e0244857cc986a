package io.github.visionzoo.zoo.weights;

import io.github.visionzoo.imagenette.Downloader;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Where published weights are kept: {@code ROOT/weights/FILE}, ROOT being {@code $VISIONZOO_HOME} (or the system
 * property {@code visionzoo.home}), else {@code $XDG_CACHE_HOME/visionzoo}, else {@code ~/.cache/visionzoo}, as
 * torch.hub keeps {@code ~/.cache/torch/hub/checkpoints}. A file is fetched once, by the project's {@link Downloader}
 * (resumable, with a progress bar on a terminal, under a lock that a second process waits on, verified against the
 * entry's checksum before it is used, renamed into place atomically), and checked again on every use.
 *
 * <p>A mirror ({@code -Dvisionzoo.weights.mirror=BASE} or {@code $VISIONZOO_WEIGHTS_MIRROR}) replaces the scheme, host
 * and port of every address and keeps its path, as a company's proxy of download.pytorch.org and huggingface.co
 * serves them: {@code https://download.pytorch.org/models/resnet50-11ad3fa6.pth} becomes
 * {@code BASE/models/resnet50-11ad3fa6.pth}. With a mirror, only the mirror is asked.
 */
public final class WeightsCache {
    public static final String HOME_ENV = "VISIONZOO_HOME";
    public static final String HOME_PROPERTY = "visionzoo.home";
    public static final String MIRROR_ENV = "VISIONZOO_WEIGHTS_MIRROR";
    public static final String MIRROR_PROPERTY = "visionzoo.weights.mirror";

    private final Path dir;
    private final String mirror;
    private final Downloader downloader;

    private WeightsCache(Path dir, String mirror, Downloader downloader) {
        this.dir = dir.toAbsolutePath().normalize();
        this.mirror = mirror == null || mirror.isBlank() ? null : mirror.replaceFirst("/+$", "");
        this.downloader = Objects.requireNonNull(downloader, "downloader");
    }

    /** The cache the environment names (see the class comment), with its mirror, if any. */
    public static WeightsCache defaults() {
        return new WeightsCache(root().resolve("weights"), setting(MIRROR_PROPERTY, MIRROR_ENV),
                Downloader.builder().listener(System.console() != null ? new Bar()
                        : Downloader.logEvery10Seconds()).build());
    }

    /** A cache in {@code dir}, without a mirror. */
    public static WeightsCache at(Path dir, Downloader downloader) {
        return new WeightsCache(dir, null, downloader);
    }

    /** The same cache asking {@code base} instead of the published hosts; null for none. */
    public WeightsCache withMirror(String base) {
        return new WeightsCache(dir, base, downloader);
    }

    /** The folder holding the files. */
    public Path dir() {
        return dir;
    }

    /** Where the cache keeps (and where a user may place by hand) the file of {@code weights}. */
    public Path path(PretrainedWeights weights) {
        return dir.resolve(weights.fileName());
    }

    /** The addresses asked for {@code weights}: the mirror's, or the published ones. */
    public List<URI> sources(PretrainedWeights weights) {
        if (mirror == null) {
            return weights.urls();
        }
        return weights.urls().stream().map(u -> URI.create(mirror + u.getRawPath())).toList();
    }

    /**
     * The verified file of {@code weights}, downloaded first if the cache lacks it.
     *
     * @throws Downloader.DownloadException naming the address, the expected hash and {@link #path} when it cannot be
     *                                      had (offline, a hash mismatch)
     */
    public Path get(PretrainedWeights weights) throws IOException {
        return downloader.download(sources(weights), path(weights), weights.checksum());
    }

    private static Path root() {
        String home = setting(HOME_PROPERTY, HOME_ENV);
        if (home != null) {
            return Path.of(home);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "visionzoo");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "visionzoo");
    }

    /** A system property, else an environment variable; null when neither is set. */
    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? null : v;
    }

    /** A progress bar per file on standard error (me.tongfei:progressbar), for a terminal. */
    private static final class Bar implements Downloader.Listener {
        private ProgressBar bar;
        private Path file;

        @Override
        public synchronized void progress(Path part, long done, long total) {
            if (bar == null || !part.equals(file)) {
                close();
                file = part;
                bar = new ProgressBarBuilder().setTaskName(part.getFileName().toString().replaceFirst("\\.part$", ""))
                        .setInitialMax(total > 0 ? total : -1).setUnit(" MB", 1 << 20)
                        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).build();
            }
            bar.stepTo(done);
            if (total > 0 && done >= total) {
                close();
            }
        }

        private void close() {
            if (bar != null) {
                bar.close();
                bar = null;
                file = null;
            }
        }
    }
}
