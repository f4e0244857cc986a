package io.github.visionzoo.imagenette;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The project's one HTTP downloader, used for the Imagenette archives ({@link ImagenetteDownloader}) and for
 * pretrained weights (the zoo's weights cache):
 * <ul>
 *   <li>{@link #fetch} downloads to a {@code .part} file and resumes with an HTTP {@code Range} request after a cut
 *   connection or an earlier interrupted run (starting over if the server ignores the range); a server that cannot be
 *   reached at all (unknown host, refused connection) or answers with an error such as 404 fails at once. Redirects
 *   are followed hop by hop, so that a digest the first server announces ({@code X-Linked-Etag}, as Hugging Face's
 *   {@code resolve} endpoint sends the SHA-256 of the file it redirects to) is seen;</li>
 *   <li>{@link #download} adds what a shared cache needs: a lock ({@code FILE.lock}: a second process, or thread,
 *   downloading the same file waits and then reuses the first one's), a hash check before the file is used, and an
 *   atomic rename, so that {@code FILE} exists only complete and verified. A download whose hash does not match is
 *   deleted, never left where the next run would trust it.</li>
 * </ul>
 */
public final class Downloader {
    private static final Logger LOG = LoggerFactory.getLogger(Downloader.class);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_REDIRECTS = 10;
    /** Locks held by this process: a file lock is per process, so threads also take one of these. */
    private static final Map<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();

    /** Told how far a download is. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param file  the file being written
         * @param done  bytes it holds
         * @param total the file's length, or -1 when the server does not say
         */
        void progress(Path file, long done, long total);
    }

    /**
     * What a file must hash to: {@code hex} is the whole digest, or (with {@code prefix}) its first digits, as
     * torchvision puts the first 8 of a SHA-256 in its file names and {@code torch.hub} checks them. {@link #announced}
     * is a SHA-256 that no source publishes, taken from the server's {@code X-Linked-Etag} at download time and recorded
     * beside the file ({@code FILE.sha256}).
     *
     * @param algorithm {@code SHA-256} or {@code MD5}
     * @param hex       lower-case hex digits, or null for {@link #announced}
     * @param prefix    {@code hex} is a prefix of the digest
     */
    public record Checksum(String algorithm, String hex, boolean prefix) {
        public Checksum {
            if (hex != null && !hex.matches("[0-9a-f]+")) {
                throw new IllegalArgumentException("a checksum is lower-case hex digits, was '" + hex + "'");
            }
        }

        /** The whole SHA-256. */
        public static Checksum sha256(String hex) {
            return new Checksum("SHA-256", hex, false);
        }

        /** The first digits of the SHA-256. */
        public static Checksum sha256Prefix(String hex) {
            return new Checksum("SHA-256", hex, true);
        }

        /** The SHA-256 the server announces, recorded beside the file. */
        public static Checksum announced() {
            return new Checksum("SHA-256", null, false);
        }

        public boolean isAnnounced() {
            return hex == null;
        }

        boolean matches(String actual) {
            return prefix ? actual.startsWith(hex) : actual.equals(hex);
        }

        @Override
        public String toString() {
            return hex == null ? "the SHA-256 the server announces" : algorithm + (prefix ? " starting with " : " ")
                    + hex;
        }
    }

    /** A download that cannot give the file: the message names the address, the expected hash and the path. */
    public static final class DownloadException extends IOException {
        private static final long serialVersionUID = 1L;

        DownloadException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final int maxAttempts;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Duration retryDelay;
    private final Listener listener;

    private Downloader(Builder b) {
        this.maxAttempts = b.maxAttempts;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.retryDelay = b.retryDelay;
        this.listener = b.listener;
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // A verified file in a shared folder

    /**
     * {@code target}, downloaded from the first of {@code sources} that gives it, verified against {@code expected}.
     * Under the lock {@code target.lock}: an existing {@code target} is checked and returned (a file that fails the
     * check is deleted and downloaded again); else the download goes to {@code target.part} (resuming what an earlier
     * run left there), is checked, and is renamed to {@code target}. With {@link Checksum#announced()} the server's
     * digest is recorded as {@code target.sha256} and later uses check against it; a file placed by hand without one
     * is used as it is.
     *
     * @throws DownloadException when no source gives a file with the expected hash; its message names the addresses,
     *                           the expected hash, and where to place the file by hand
     */
    public Path download(List<URI> sources, Path target, Checksum expected) throws IOException {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no address to download " + target.getFileName() + " from");
        }
        Path file = target.toAbsolutePath().normalize();
        Files.createDirectories(file.getParent());
        Path lockFile = sibling(file, ".lock");
        ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(lockFile, p -> new ReentrantLock());
        local.lock();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                LOG.info("Another process is downloading {}; waiting for it", file.getFileName());
                lock = channel.lock();
            }
            try {
                return downloadLocked(sources, file, expected);
            } finally {
                lock.release();
            }
        } finally {
            local.unlock();
        }
    }

    private Path downloadLocked(List<URI> sources, Path file, Checksum expected) throws IOException {
        Path recorded = sibling(file, ".sha256");
        if (Files.isRegularFile(file)) {
            Checksum check = expected.isAnnounced() && Files.isRegularFile(recorded)
                    ? Checksum.sha256(Files.readString(recorded, StandardCharsets.UTF_8).trim()) : expected;
            if (check.isAnnounced()) {
                LOG.warn("{} has no recorded SHA-256 (it was placed by hand); using it unverified", file);
                return file;
            }
            String actual = digest(file, check.algorithm());
            if (check.matches(actual)) {
                return file;
            }
            LOG.warn("{} has {} {}, expected {}; deleting it and downloading it again", file, check.algorithm(),
                    actual, check);
            Files.delete(file);
            Files.deleteIfExists(recorded);
        }
        Path part = sibling(file, ".part");
        List<String> failures = new ArrayList<>();
        for (URI source : sources) {
            String announced;
            try {
                announced = fetch(source, part);
            } catch (IOException e) {
                failures.add(e.getMessage());
                continue;
            }
            Checksum check = expected;
            if (expected.isAnnounced()) {
                if (announced == null) {
                    Files.deleteIfExists(part);
                    failures.add(source + " announced no SHA-256 (X-Linked-Etag) to check the file against");
                    continue;
                }
                check = Checksum.sha256(announced);
            }
            String actual = digest(part, check.algorithm());
            if (!check.matches(actual)) {
                Files.deleteIfExists(part);
                failures.add(source + " gave a file with " + check.algorithm() + " " + actual + ", expected "
                        + check + "; it was deleted");
                continue;
            }
            if (expected.isAnnounced()) {
                writeAtomically(recorded, actual);
            }
            move(part, file);
            return file;
        }
        throw new DownloadException("cannot get " + file.getFileName() + " (" + String.join("; ", failures)
                + "). Expected " + expected + ". To install it by hand, download " + sources.get(0)
                + " and place it at " + file, null);
    }

    /** {@code file} with {@code suffix} appended to its name. */
    public static Path sibling(Path file, String suffix) {
        return file.resolveSibling(file.getFileName() + suffix);
    }

    /** The hex digest of a file. */
    public static String digest(Path file, String algorithm) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("unknown digest " + algorithm, e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = sibling(target, ".tmp");
        Files.writeString(tmp, text + "\n", StandardCharsets.UTF_8);
        move(tmp, target);
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Download with resume

    /**
     * Downloads {@code uri} to {@code part}, resuming from what {@code part} already holds.
     *
     * @return the SHA-256 the server announced in {@code X-Linked-Etag} on the way, or null
     */
    public String fetch(URI uri, Path part) throws IOException {
        IOException last = null;
        String[] announced = new String[1];
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            long have = Files.isRegularFile(part) ? Files.size(part) : 0;
            try {
                if (fetchOnce(uri, part, have, announced)) {
                    return announced[0];
                }
                last = new IOException("The server closed the connection early");
            } catch (FatalDownloadException e) {
                throw e;
            } catch (IOException e) {
                last = e;
            }
            long now = Files.isRegularFile(part) ? Files.size(part) : 0;
            if (attempt < maxAttempts) {
                LOG.warn("Download of {} interrupted at {} bytes ({}); resuming, attempt {} of {}", uri, now,
                        last.getMessage(), attempt + 1, maxAttempts);
                sleep(retryDelay.multipliedBy(attempt));
            }
        }
        long kept = Files.isRegularFile(part) ? Files.size(part) : 0;
        throw new IOException("Download of " + uri + " failed after " + maxAttempts + " attempts (" + last.getMessage()
                + "); " + (kept > 0 ? "its first " + kept + " bytes are kept in " + part + " and the next run resumes"
                + " from there" : "nothing was downloaded"), last);
    }

    /** One request, following redirects; true when the file is complete. */
    private boolean fetchOnce(URI start, Path part, long have, String[] announced) throws IOException {
        URI uri = start;
        for (int hop = 0; ; hop++) {
            URLConnection c = uri.toURL().openConnection();
            c.setConnectTimeout((int) connectTimeout.toMillis());
            c.setReadTimeout((int) readTimeout.toMillis());
            c.setRequestProperty("Accept-Encoding", "identity");
            if (have > 0) {
                c.setRequestProperty("Range", "bytes=" + have + "-");
            }
            HttpURLConnection http = c instanceof HttpURLConnection ? (HttpURLConnection) c : null;
            if (http != null) {
                http.setInstanceFollowRedirects(false);
            }
            try {
                connect(c, uri);
                int status = http == null ? 200 : http.getResponseCode();
                String etag = sha256Etag(c.getHeaderField("X-Linked-Etag"));
                if (etag != null) {
                    announced[0] = etag;
                }
                if (status >= 300 && status < 400 && status != 304) {
                    String location = c.getHeaderField("Location");
                    if (location == null || hop >= MAX_REDIRECTS) {
                        throw new FatalDownloadException("HTTP " + status + " for " + uri + (location == null
                                ? " without a Location" : " after " + MAX_REDIRECTS + " redirects"), null);
                    }
                    uri = uri.resolve(location);
                    continue;
                }
                return transfer(c, status, uri, part, have);
            } finally {
                if (http != null) {
                    http.disconnect();
                }
            }
        }
    }

    private boolean transfer(URLConnection c, int status, URI uri, Path part, long have) throws IOException {
        long total;
        boolean append;
        if (status == 206) {
            Matcher m = CONTENT_RANGE.matcher(String.valueOf(c.getHeaderField("Content-Range")));
            if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                LOG.warn("Unusable Content-Range '{}' for a resume at {}; starting over",
                        c.getHeaderField("Content-Range"), have);
                Files.deleteIfExists(part);
                return false;
            }
            total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
            append = true;
        } else if (status == 200) {
            if (have > 0) {
                LOG.info("The server does not resume downloads; starting {} over", uri);
            }
            total = c.getContentLengthLong();
            append = false;
        } else if (status == 416 && have > 0) {
            String cr = String.valueOf(c.getHeaderField("Content-Range"));
            Matcher m = Pattern.compile("bytes \\*/(\\d+)").matcher(cr);
            if (m.matches() && Long.parseLong(m.group(1)) == have) {
                return true; // already complete
            }
            Files.deleteIfExists(part);
            return false;
        } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
            throw new FatalDownloadException("HTTP " + status + " for " + uri, null);
        } else {
            throw new IOException("HTTP " + status + " for " + uri);
        }
        long written = append ? have : 0;
        try (InputStream in = c.getInputStream();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            int n;
            listener.progress(part, written, total);
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                written += n;
                listener.progress(part, written, total);
            }
        }
        if (total >= 0 && written < total) {
            return false;
        }
        if (total >= 0 && written > total) {
            Files.deleteIfExists(part);
            throw new IOException("Received " + written + " bytes of a " + total + "-byte file; starting over");
        }
        return true;
    }

    /** The SHA-256 in an {@code X-Linked-Etag} ({@code "<hex>"}, possibly weak), or null for anything else. */
    static String sha256Etag(String header) {
        if (header == null) {
            return null;
        }
        String v = header.trim().replaceFirst("^W/", "").replace("\"", "").toLowerCase(Locale.ROOT);
        return SHA256_HEX.matcher(v).matches() ? v : null;
    }

    /**
     * Opens the connection. Failing to reach the server at all (an unknown host, a refused connection, no route, a
     * failed TLS handshake) is not an interrupted transfer, and retrying it only makes the user wait.
     */
    private static void connect(URLConnection c, URI uri) throws FatalDownloadException {
        try {
            c.connect();
        } catch (UnknownHostException e) {
            throw new FatalDownloadException("Cannot download " + uri + ": the host " + uri.getHost() + " could not be "
                    + "resolved; check the network connection", e);
        } catch (IOException e) {
            throw new FatalDownloadException("Cannot download " + uri + ": cannot connect to " + uri.getHost()
                    + (uri.getPort() >= 0 ? ":" + uri.getPort() : "") + " (" + e.getMessage() + ")", e);
        }
    }

    /** A failure that retrying will not change: an HTTP answer such as 404, or no connection to the server. */
    static final class FatalDownloadException extends IOException {
        private static final long serialVersionUID = 1L;

        FatalDownloadException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A listener that logs a line every 10 seconds, for logs and pipes. */
    public static Listener logEvery10Seconds() {
        long[] last = {System.nanoTime()};
        return (file, done, total) -> {
            if (System.nanoTime() - last[0] > 10_000_000_000L) {
                last[0] = System.nanoTime();
                LOG.info("{}: {} MB{}", file.getFileName(), done >> 20, total > 0 ? " of " + (total >> 20) + " MB"
                        : "");
            }
        };
    }

    /** Options of {@link Downloader}. */
    public static final class Builder {
        private int maxAttempts = 8;
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration readTimeout = Duration.ofSeconds(60);
        private Duration retryDelay = Duration.ofSeconds(2);
        private Listener listener = logEvery10Seconds();

        private Builder() {
        }

        /** Requests per download, resuming after each interrupted transfer (default 8). */
        public Builder maxAttempts(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxAttempts must be >= 1, was " + n);
            }
            this.maxAttempts = n;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        /** Longest wait for data on an open connection before resuming (default 60 s). */
        public Builder readTimeout(Duration d) {
            this.readTimeout = d;
            return this;
        }

        /** Wait before resume attempt k is k times this (default 2 s). */
        public Builder retryDelay(Duration d) {
            this.retryDelay = d;
            return this;
        }

        /** Told of the progress of every transfer (default: a log line every 10 seconds). */
        public Builder listener(Listener listener) {
            this.listener = java.util.Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Downloader build() {
            return new Downloader(this);
        }
    }
}
