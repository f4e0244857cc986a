package io.github.visionzoo.imagenette;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads and extracts the official Imagenette archives (fast.ai's {@code imagenette2}, {@code imagenette2-320},
 * {@code imagenette2-160} {@code .tgz}), safely:
 * <ul>
 *   <li>the download goes to {@code DIR/<name>.tgz.part} and resumes after a cut connection or an earlier interrupted
 *   run ({@link Downloader#fetch}, the project's one downloader);</li>
 *   <li>the archive is verified: its length against the server's, its MD5 against the known checksum (the values
 *   torchvision's {@code Imagenette} uses), and a full gzip + tar read;</li>
 *   <li>extraction goes to a temporary folder {@code DIR/.<name>.extract-*} and the data set folder is renamed into
 *   place only after every entry was written, the checksum matched and the layout was checked, so
 *   {@code DIR/<name>} either does not exist or is complete. Leftover temporary folders of interrupted runs are
 *   removed on the next run.</li>
 * </ul>
 * An existing {@code DIR/<name>} folder is taken as complete and returned at once. Entries with absolute paths or
 * {@code ..} are rejected; links are skipped. By default the archive is deleted after extraction.
 */
public final class ImagenetteDownloader {
    private static final Logger LOG = LoggerFactory.getLogger(ImagenetteDownloader.class);

    /** Where fast.ai publishes the archives. */
    public static final String OFFICIAL_BASE_URL = "https://s3.amazonaws.com/fast-ai-imageclas/";

    /** The three official archives. */
    public enum Variant {
        /** Full size images, about 1.5 GB. */
        FULL("imagenette2", "fe2fc210e6bb7c5664d602c3cd71e612"),
        /** Shorter side 320 px, about 330 MB. */
        PX320("imagenette2-320", "3df6f0d01a2c9592104656642f5e78a3"),
        /** Shorter side 160 px, about 95 MB. */
        PX160("imagenette2-160", "e793b78cc4c9e9a4ccc0c1155377a412");

        private final String folder;
        private final String md5;

        Variant(String folder, String md5) {
            this.folder = folder;
            this.md5 = md5;
        }

        /** The folder the archive extracts to, e.g. {@code imagenette2-160}. */
        public String folder() {
            return folder;
        }

        /** The archive's file name, e.g. {@code imagenette2-160.tgz}. */
        public String archiveName() {
            return folder + ".tgz";
        }

        /** The archive's MD5 checksum (hex). */
        public String md5() {
            return md5;
        }

        /** The official download address. */
        public URI officialUri() {
            return URI.create(OFFICIAL_BASE_URL + archiveName());
        }

        /** Parses {@code imagenette2}/{@code full}, {@code imagenette2-320}/{@code 320}, {@code imagenette2-160}/{@code 160}. */
        public static Variant parse(String s) {
            String t = s.trim().toLowerCase(Locale.ROOT).replace("px", "");
            for (Variant v : values()) {
                if (t.equals(v.folder) || t.equals(v.archiveName())) {
                    return v;
                }
            }
            switch (t) {
                case "full":
                    return FULL;
                case "320":
                    return PX320;
                case "160":
                    return PX160;
                default:
                    throw new IllegalArgumentException("Unknown Imagenette archive '" + s
                            + "'; known: imagenette2 (full), imagenette2-320 (320), imagenette2-160 (160)");
            }
        }
    }

    private final String baseUrl;
    private final Downloader downloader;
    private final boolean keepArchive;
    private final boolean checkLayout;

    private ImagenetteDownloader(Builder b) {
        this.baseUrl = b.baseUrl.endsWith("/") ? b.baseUrl : b.baseUrl + "/";
        this.downloader = b.downloader;
        this.keepArchive = b.keepArchive;
        this.checkLayout = b.checkLayout;
    }

    /** A downloader from the official address with default settings. */
    public static ImagenetteDownloader official() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Downloads {@code variant} into {@code dir} (from the base URL, official by default) and returns the data set
     * root {@code dir/<variant folder>}, verifying the archive against its official MD5.
     */
    public Path download(Variant variant, Path dir) throws IOException {
        return download(URI.create(baseUrl + variant.archiveName()), variant.md5(), dir);
    }

    /**
     * Downloads the {@code .tgz} at {@code archive} into {@code dir} and extracts it; the archive must hold one
     * top-level folder named as the archive without {@code .tgz}.
     *
     * @param md5 expected MD5 (hex), or {@code null} to check length and structure only
     * @return the extracted folder {@code dir/<name>}
     * @throws IOException if the download fails after all attempts, or the archive is corrupt or not Imagenette
     */
    public Path download(URI archive, String md5, Path dir) throws IOException {
        String name = Path.of(archive.getPath()).getFileName().toString();
        String folder = name.replaceFirst("(\\.tar\\.gz|\\.tgz)$", "");
        if (folder.equals(name) || folder.isEmpty()) {
            throw new IllegalArgumentException("Not a .tgz address: " + archive);
        }
        Path d = dir.toAbsolutePath().normalize();
        Files.createDirectories(d);
        Path target = d.resolve(folder);
        if (Files.isDirectory(target)) {
            LOG.info("{} is already present", target);
            return target;
        }
        removeStaleTemporaries(d, folder);
        Path file = d.resolve(name);
        for (int round = 1; ; round++) {
            if (!Files.isRegularFile(file)) {
                Path part = d.resolve(name + ".part");
                downloader.fetch(archive, part);
                move(part, file);
            }
            try {
                extract(file, md5, d, folder, target);
                break;
            } catch (CorruptArchiveException e) {
                Files.deleteIfExists(file);
                if (round >= 2) {
                    throw e;
                }
                LOG.warn("{}; downloading it again", e.getMessage());
            }
        }
        if (!keepArchive) {
            Files.deleteIfExists(file);
        }
        return target;
    }

    /** The archive is complete but wrong: bad checksum, bad gzip/tar data, or not Imagenette. */
    static final class CorruptArchiveException extends IOException {
        private static final long serialVersionUID = 1L;

        CorruptArchiveException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Verify + extract

    /**
     * Reads the whole archive once, writing its entries under a temporary folder and computing its MD5; renames the
     * folder into place only if everything checks out.
     */
    private void extract(Path archive, String md5, Path dir, String folder, Path target) throws IOException {
        Path tmp = Files.createTempDirectory(dir, "." + folder + ".extract-");
        boolean done = false;
        try {
            MessageDigest digest = md5Digest();
            TreeSet<String> topLevel = new TreeSet<>();
            long files = 0;
            // The digest sits under the buffer: the gzip reader marks and resets its input between members, and
            // bytes read again must not be digested twice.
            try (InputStream raw = Files.newInputStream(archive);
                 DigestInputStream dig = new DigestInputStream(raw, digest)) {
                try {
                    GzipCompressorInputStream gz = new GzipCompressorInputStream(
                            new BufferedInputStream(dig, 1 << 16), true);
                    TarArchiveInputStream tar = new TarArchiveInputStream(gz);
                    TarArchiveEntry e;
                    while ((e = tar.getNextTarEntry()) != null) {
                        Path rel = safeRelative(e.getName());
                        if (rel == null) {
                            continue;
                        }
                        topLevel.add(rel.getName(0).toString());
                        Path out = tmp.resolve(rel);
                        if (e.isDirectory()) {
                            Files.createDirectories(out);
                        } else if (e.isFile()) {
                            Files.createDirectories(out.getParent());
                            Files.copy(tar, out);
                            files++;
                        } else {
                            LOG.warn("Skipping {} entry {} of {}", e.isSymbolicLink() ? "link" : "special", e.getName(),
                                    archive.getFileName());
                        }
                    }
                    byte[] rest = new byte[1 << 16];
                    while (gz.read(rest) >= 0) {
                        // drain: the gzip trailer checks the CRC of all data
                    }
                } catch (IOException | RuntimeException ex) {
                    throw new CorruptArchiveException(archive + " is not a complete .tgz archive ("
                            + (ex instanceof EOFException ? "it ends early" : ex.getMessage()) + ")", ex);
                }
                byte[] rest = new byte[1 << 16];
                while (dig.read(rest) >= 0) {
                    // drain: the checksum covers every byte
                }
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (md5 != null && !actual.equalsIgnoreCase(md5)) {
                throw new CorruptArchiveException(archive + " has MD5 " + actual + ", expected " + md5, null);
            }
            Path extracted = tmp.resolve(folder);
            if (!Files.isDirectory(extracted)) {
                throw new CorruptArchiveException(archive + " does not contain the folder '" + folder
                        + "'; its top-level entries are " + topLevel, null);
            }
            if (checkLayout) {
                try {
                    ImageFolder.checkLayout(extracted, Split.TRAIN);
                    ImageFolder.checkLayout(extracted, Split.VAL);
                } catch (ImagenetteLayoutException ex) {
                    throw new CorruptArchiveException(archive + " is not an Imagenette archive: " + ex.getMessage(), ex);
                }
            }
            move(extracted, target);
            done = true;
            LOG.info("Extracted {} files to {}", files, target);
        } finally {
            deleteTree(tmp);
            if (!done && Files.exists(target)) {
                LOG.warn("{} exists after a failed extraction; not touching it", target);
            }
        }
    }

    /** The entry's path, relative and without '..', or null for the archive root entry. */
    private static Path safeRelative(String entryName) throws CorruptArchiveException {
        String n = entryName.replace('\\', '/');
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        if (n.isEmpty() || n.equals(".")) {
            return null;
        }
        if (n.startsWith("/") || n.matches("^[A-Za-z]:.*")) {
            throw new CorruptArchiveException("Archive entry with an absolute path: " + entryName, null);
        }
        List<String> parts = new ArrayList<>();
        for (String p : n.split("/")) {
            if (p.equals("..")) {
                throw new CorruptArchiveException("Archive entry leaving the folder: " + entryName, null);
            }
            if (!p.isEmpty() && !p.equals(".")) {
                parts.add(p);
            }
        }
        return parts.isEmpty() ? null : Path.of(parts.get(0), parts.subList(1, parts.size()).toArray(new String[0]));
    }

    private static MessageDigest md5Digest() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static void removeStaleTemporaries(Path dir, String folder) throws IOException {
        String prefix = "." + folder + ".extract-";
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.getFileName().toString().startsWith(prefix)) {
                    LOG.info("Removing {} left by an interrupted extraction", p);
                    deleteTree(p);
                }
            }
        }
    }

    static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException e) {
                    LOG.warn("Cannot delete {}: {}", q, e.toString());
                }
            });
        } catch (IOException e) {
            LOG.warn("Cannot delete {}: {}", p, e.toString());
        }
    }

    /**
     * Command line: {@code ImagenetteDownloader [imagenette2|imagenette2-320|imagenette2-160] DIR}; prints the data
     * set root.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ImagenetteDownloader imagenette2|imagenette2-320|imagenette2-160 DIR");
            System.exit(2);
        }
        System.out.println(official().download(Variant.parse(args[0]), Path.of(args[1])));
    }

    /** Options of {@link ImagenetteDownloader}. */
    public static final class Builder {
        private String baseUrl = OFFICIAL_BASE_URL;
        private Downloader downloader = Downloader.builder().build();
        private boolean keepArchive;
        private boolean checkLayout = true;

        private Builder() {
        }

        /** A mirror holding the archives under their official names (default: fast.ai's bucket). */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        /** The transfers' settings: attempts, timeouts, retry delay, progress (default: {@link Downloader}'s). */
        public Builder downloader(Downloader downloader) {
            this.downloader = Objects.requireNonNull(downloader, "downloader");
            return this;
        }

        /** Keep the {@code .tgz} after extracting (default: delete it). */
        public Builder keepArchive(boolean keep) {
            this.keepArchive = keep;
            return this;
        }

        /** Check the Imagenette layout of the extracted folder before exposing it (default true). */
        public Builder checkLayout(boolean check) {
            this.checkLayout = check;
            return this;
        }

        public ImagenetteDownloader build() {
            return new ImagenetteDownloader(this);
        }
    }
}
