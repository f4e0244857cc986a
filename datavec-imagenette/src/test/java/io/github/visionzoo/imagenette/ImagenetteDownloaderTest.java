package io.github.visionzoo.imagenette;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a local HTTP server serving a small archive built here. */
class ImagenetteDownloaderTest {

    @TempDir
    static Path shared;

    static Path source;
    static byte[] archive;
    static String md5;

    @TempDir
    Path dir;

    HttpServer server;
    final List<String> ranges = new CopyOnWriteArrayList<>();
    final AtomicInteger requests = new AtomicInteger();
    volatile byte[] served;
    volatile int cutFirstAt = -1;
    volatile boolean honourRange = true;

    @BeforeAll
    static void buildArchive() throws Exception {
        Path syn = TestData.synthetic(shared, 2, 1, 24);
        source = Files.move(syn, shared.resolve("imagenette2-160"));
        archive = tgz(source, "imagenette2-160", null);
        md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(archive));
    }

    /** A .tgz of {@code folder} with the top-level name {@code top}, plus an optional extra entry name. */
    static byte[] tgz(Path folder, String top, String extraEntry) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            List<Path> paths;
            try (Stream<Path> s = Files.walk(folder)) {
                paths = s.sorted().toList();
            }
            for (Path p : paths) {
                String rel = folder.relativize(p).toString().replace('\\', '/');
                String name = rel.isEmpty() ? top + "/" : top + "/" + rel + (Files.isDirectory(p) ? "/" : "");
                TarArchiveEntry e = new TarArchiveEntry(p.toFile(), name);
                tar.putArchiveEntry(e);
                if (Files.isRegularFile(p)) {
                    Files.copy(p, tar);
                }
                tar.closeArchiveEntry();
            }
            if (extraEntry != null) {
                TarArchiveEntry e = new TarArchiveEntry(extraEntry);
                e.setSize(3);
                tar.putArchiveEntry(e);
                tar.write(new byte[] {1, 2, 3});
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    @BeforeEach
    void startServer() throws IOException {
        served = archive;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/data/imagenette2-160.tgz", this::serve);
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private void serve(HttpExchange ex) throws IOException {
        int n = requests.incrementAndGet();
        byte[] body = served;
        String range = ex.getRequestHeaders().getFirst("Range");
        ranges.add(String.valueOf(range));
        int from = 0;
        Matcher m = range == null ? null : Pattern.compile("bytes=(\\d+)-").matcher(range);
        if (honourRange && m != null && m.matches()) {
            from = Integer.parseInt(m.group(1));
            if (from >= body.length) {
                ex.getResponseHeaders().add("Content-Range", "bytes */" + body.length);
                ex.sendResponseHeaders(416, -1);
                ex.close();
                return;
            }
            ex.getResponseHeaders().add("Content-Range",
                    "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            ex.sendResponseHeaders(206, body.length - from);
        } else {
            ex.sendResponseHeaders(200, body.length);
        }
        OutputStream out = ex.getResponseBody();
        if (n == 1 && cutFirstAt > 0) {
            out.write(body, from, cutFirstAt - from);
            out.flush();
            // Fewer bytes than announced, then the handler fails: the server drops the connection.
            throw new IOException("connection cut by the test");
        }
        out.write(body, from, body.length - from);
        ex.close();
    }

    private URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/data/imagenette2-160.tgz");
    }

    private static ImagenetteDownloader downloader() {
        return ImagenetteDownloader.builder().downloader(Downloader.builder().retryDelay(Duration.ZERO)
                .readTimeout(Duration.ofSeconds(10)).connectTimeout(Duration.ofSeconds(5)).maxAttempts(4).build())
                .build();
    }

    private void assertSameTree(Path got) throws IOException {
        assertThat(TestData.tree(got)).isEqualTo(TestData.tree(source));
        for (String rel : TestData.tree(source)) {
            if (!rel.endsWith("/")) {
                assertThat(Files.readAllBytes(got.resolve(rel))).isEqualTo(Files.readAllBytes(source.resolve(rel)));
            }
        }
    }

    private void assertNothingButTheDataSet() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("imagenette2-160");
        }
    }

    @Test
    void resumesAfterTheConnectionIsCutAndExtracts() throws IOException {
        cutFirstAt = archive.length / 2;
        Path root = downloader().download(uri(), md5, dir);
        assertThat(root).isEqualTo(dir.resolve("imagenette2-160"));
        assertThat(requests.get()).isEqualTo(2);
        assertThat(ranges).containsExactly("null", "bytes=" + cutFirstAt + "-");
        assertSameTree(root);
        assertNothingButTheDataSet();
        assertThat(ImageFolder.open(root, Split.TRAIN).size()).isEqualTo(20);
    }

    @Test
    void resumesThePartialFileOfAnEarlierRun() throws IOException {
        Files.write(dir.resolve("imagenette2-160.tgz.part"), Arrays.copyOf(archive, 1000));
        Path root = downloader().download(uri(), md5, dir);
        assertThat(ranges).containsExactly("bytes=1000-");
        assertSameTree(root);
        assertNothingButTheDataSet();
    }

    @Test
    void startsOverWhenTheServerIgnoresRanges() throws IOException {
        honourRange = false;
        cutFirstAt = archive.length / 3;
        Path root = downloader().download(uri(), md5, dir);
        assertThat(requests.get()).isEqualTo(2);
        assertThat(ranges.get(1)).isEqualTo("bytes=" + cutFirstAt + "-");
        assertSameTree(root);
    }

    @Test
    void keepsTheArchiveWhenAsked() throws IOException {
        ImagenetteDownloader d = ImagenetteDownloader.builder()
                .downloader(Downloader.builder().retryDelay(Duration.ZERO).build()).keepArchive(true).build();
        d.download(uri(), md5, dir);
        assertThat(Files.readAllBytes(dir.resolve("imagenette2-160.tgz"))).isEqualTo(archive);
    }

    @Test
    void wrongChecksumIsRetriedOnceThenFailsWithoutATargetFolder() {
        assertThatThrownBy(() -> downloader().download(uri(), "0123456789abcdef0123456789abcdef", dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("MD5 " + md5)
                .hasMessageContaining("expected 0123456789abcdef0123456789abcdef");
        assertThat(requests.get()).isEqualTo(2);
        assertThat(dir.resolve("imagenette2-160")).doesNotExist();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void interruptedExtractionLeavesNoTargetFolder() {
        // A complete download of a broken archive: extraction fails part-way through the tar data.
        served = Arrays.copyOf(archive, archive.length * 7 / 10);
        assertThatThrownBy(() -> downloader().download(uri(), null, dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a complete .tgz archive");
        assertThat(dir.resolve("imagenette2-160")).doesNotExist();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void leftoversOfAKilledExtractionAreRemovedAndAnExistingDataSetIsKept() throws IOException {
        Path stale = Files.createDirectories(dir.resolve(".imagenette2-160.extract-12345/imagenette2-160/train"));
        Files.writeString(stale.resolve("junk"), "x");
        Path root = downloader().download(uri(), md5, dir);
        assertNothingButTheDataSet();
        assertSameTree(root);
        int before = requests.get();
        assertThat(downloader().download(uri(), md5, dir)).isEqualTo(root);
        assertThat(requests.get()).isEqualTo(before);
    }

    @Test
    void archiveWithoutTheImagenetteLayoutIsRejected() throws IOException {
        served = tgz(source.resolve("train"), "imagenette2-160", null);
        assertThatThrownBy(() -> downloader().download(uri(), null, dir))
                .hasMessageContaining("not an Imagenette archive")
                .hasMessageContaining("no 'train' split folder");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void entriesLeavingTheFolderAreRejected() throws IOException {
        served = tgz(source, "imagenette2-160", "imagenette2-160/../../evil.txt");
        assertThatThrownBy(() -> downloader().download(uri(), null, dir))
                .hasMessageContaining("leaving the folder");
        assertThat(dir.getParent().resolve("evil.txt")).doesNotExist();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void notFoundFailsAtOnce() {
        URI missing = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/data/imagenette2-320.tgz");
        assertThatThrownBy(() -> downloader().download(missing, null, dir)).hasMessageContaining("HTTP 404");
        assertThat(requests.get()).isEqualTo(1);
    }

    @Test
    void aRefusedConnectionFailsAtOnceAndPromisesNoPartFile() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        URI refused = URI.create("http://127.0.0.1:" + closedPort + "/data/imagenette2-160.tgz");
        assertThatThrownBy(() -> downloader().download(refused, md5, dir))
                .hasMessageContaining(refused.toString())
                .hasMessageContaining("cannot connect to 127.0.0.1:" + closedPort)
                .hasMessageContaining("refused")
                .hasMessageNotContaining("attempts")
                .hasMessageNotContaining(".part");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void anUnknownHostFailsAtOnceNamingIt() {
        // .invalid never resolves (RFC 2606), with or without a network
        URI nowhere = URI.create("http://imagenette.invalid/data/imagenette2-160.tgz");
        assertThatThrownBy(() -> downloader().download(nowhere, md5, dir))
                .hasMessageContaining(nowhere.toString())
                .hasMessageContaining("the host imagenette.invalid could not be resolved")
                .hasMessageNotContaining("attempts");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void anInterruptedDownloadKeepsThePartFileItPromises() throws IOException {
        cutFirstAt = archive.length / 2;
        ImagenetteDownloader once = ImagenetteDownloader.builder()
                .downloader(Downloader.builder().retryDelay(Duration.ZERO).maxAttempts(1).build()).build();
        Path part = dir.resolve("imagenette2-160.tgz.part");
        assertThatThrownBy(() -> once.download(uri(), md5, dir))
                .hasMessageContaining("failed after 1 attempts")
                .hasMessageContaining("its first " + cutFirstAt + " bytes are kept in " + part);
        assertThat(part).hasSize(cutFirstAt);
    }

    @Test
    void officialArchives() {
        for (ImagenetteDownloader.Variant v : ImagenetteDownloader.Variant.values()) {
            assertThat(v.officialUri().toString()).isEqualTo(ImagenetteDownloader.OFFICIAL_BASE_URL + v.folder()
                    + ".tgz");
            assertThat(v.md5()).hasSize(32);
        }
        assertThat(ImagenetteDownloader.OFFICIAL_BASE_URL).startsWith("https://").endsWith("/fast-ai-imageclas/");
        assertThat(ImagenetteDownloader.Variant.parse("160")).isEqualTo(ImagenetteDownloader.Variant.PX160);
        assertThat(ImagenetteDownloader.Variant.parse("imagenette2-320")).isEqualTo(ImagenetteDownloader.Variant.PX320);
        assertThat(ImagenetteDownloader.Variant.parse("full")).isEqualTo(ImagenetteDownloader.Variant.FULL);
        assertThatThrownBy(() -> ImagenetteDownloader.Variant.parse("imagewoof")).hasMessageContaining("known");
    }

    @Test
    void variantDownloadUsesTheBaseUrlAndTheOfficialChecksum() {
        ImagenetteDownloader d = ImagenetteDownloader.builder()
                .downloader(Downloader.builder().retryDelay(Duration.ZERO).build())
                .baseUrl("http://127.0.0.1:" + server.getAddress().getPort() + "/data").build();
        // The test archive is not the official one, so its checksum must be refused.
        assertThatThrownBy(() -> d.download(ImagenetteDownloader.Variant.PX160, dir))
                .hasMessageContaining("expected " + ImagenetteDownloader.Variant.PX160.md5());
        assertThat(ranges).hasSize(2);
        assertThat(dir).isEmptyDirectory();
    }
}
