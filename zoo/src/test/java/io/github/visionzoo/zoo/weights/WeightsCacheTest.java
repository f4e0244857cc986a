package io.github.visionzoo.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.visionzoo.imagenette.Downloader;
import io.github.visionzoo.imagenette.Downloader.Checksum;
import io.github.visionzoo.imagenette.transform.Interpolation;
import io.github.visionzoo.zoo.Json;
import io.github.visionzoo.zoo.ModelSpec;
import io.github.visionzoo.zoo.Zoo;
import io.github.visionzoo.zoo.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The weights cache against an HTTP server on 127.0.0.1 that serves small weight files the test exports (a tiny model
 * of each family, named with its hash as torchvision names its files): download, resume, hash checks, the lock, the
 * offline error, the mirror, Hugging Face's announced digest, and {@code Zoo.pretrained} equal to a direct import.
 */
class WeightsCacheTest {
    /** Tiny specs of each family, as their JSON. */
    static final Map<String, String> TINY = Map.of(
            "resnet", "{\"family\":\"resnet\",\"block\":\"basic\",\"layers\":[1,1],\"width\":8,\"convBias\":false,"
                    + "\"imageSize\":32}",
            "vgg", "{\"family\":\"vgg\",\"convsPerStage\":[1,1],\"widths\":[8,8],\"batchNorm\":false,\"hidden\":16,"
                    + "\"dropout\":0.5,\"imageSize\":32}",
            "alexnet", "{\"family\":\"alexnet\",\"widths\":[8,8,8,8,8],\"conv1Padding\":2,\"lrn\":false,"
                    + "\"adaptivePool\":true,\"hidden\":16,\"dropout\":0.5,\"imageSize\":100}",
            "vit", "{\"family\":\"vit\",\"patchSize\":8,\"hiddenDim\":16,\"numLayers\":1,\"numHeads\":2,\"mlpDim\":32,"
                    + "\"dropout\":0.0,\"attentionDropout\":0.0,\"imageSize\":32}");
    static final PretrainedWeights.ClassList CLASSES = new PretrainedWeights.ClassList("test",
            List.of("n0", "n1", "n2"), List.of("zero", "one", "two"));

    @TempDir
    Path dir;

    HttpServer server;
    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    final List<String> ranges = new CopyOnWriteArrayList<>();
    final AtomicInteger requests = new AtomicInteger();
    volatile int cutFirstAt = -1;
    volatile boolean corrupt;
    /** Served as Hugging Face does: a redirect announcing this digest in X-Linked-Etag. */
    volatile String announce;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private void serve(HttpExchange ex) throws IOException {
        int n = requests.incrementAndGet();
        String path = ex.getRequestURI().getPath();
        if (announce != null && !path.startsWith("/cdn/")) {
            ex.getResponseHeaders().add("X-Linked-Etag", "\"" + announce + "\"");
            ex.getResponseHeaders().add("Location", "/cdn" + path);
            ex.sendResponseHeaders(302, -1);
            ex.close();
            return;
        }
        byte[] body = files.get(path.replaceFirst("^/cdn", ""));
        if (body == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        if (corrupt) {
            body = body.clone();
            body[body.length / 2] ^= 1;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        ranges.add(String.valueOf(range));
        int from = 0;
        Matcher m = range == null ? null : Pattern.compile("bytes=(\\d+)-").matcher(range);
        if (m != null && m.matches()) {
            from = Integer.parseInt(m.group(1));
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/"
                    + body.length);
            ex.sendResponseHeaders(206, body.length - from);
        } else {
            ex.sendResponseHeaders(200, body.length);
        }
        OutputStream out = ex.getResponseBody();
        if (n == 1 && cutFirstAt > 0) {
            out.write(body, from, cutFirstAt - from);
            out.flush();
            throw new IOException("connection cut by the test"); // fewer bytes than announced
        }
        out.write(body, from, body.length - from);
        ex.close();
    }

    private String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** A tiny model of {@code family} registered under a new name, its weights exported and served. */
    private PretrainedWeights publish(String family) throws IOException {
        ModelSpec spec = Json.read(TINY.get(family), ModelSpec.class, "tiny spec");
        String model = "tiny_" + family + "_" + System.nanoTime();
        Zoo.register(model, spec, "a test's tiny " + family);
        Path file = dir.resolve("export.safetensors");
        ComputationGraph graph = Zoo.create(spec, CLASSES.size(), 7);
        try {
            WeightExporter.toSafeTensors(graph, spec, file);
        } finally {
            graph.close();
        }
        byte[] bytes = Files.readAllBytes(file);
        String sha = Downloader.digest(file, "SHA-256");
        String name = model + "-" + sha.substring(0, 8) + ".safetensors";
        files.put("/models/" + name, bytes);
        PretrainedWeights w = new PretrainedWeights(model, "TEST_V1", List.of(URI.create(base() + "/models/" + name)),
                name, Checksum.sha256Prefix(sha.substring(0, 8)), CLASSES, PretrainedWeights.EvalTransform
                .torchvision(spec.imageSize(), spec.imageSize() + 4, Interpolation.BILINEAR), 0, 50, 80, "a test",
                "a test's", "https://example.invalid/recipe");
        Zoo.register(w);
        return w;
    }

    private WeightsCache cache() {
        return WeightsCache.at(dir.resolve("cache"), Downloader.builder().retryDelay(Duration.ZERO)
                .readTimeout(Duration.ofSeconds(10)).connectTimeout(Duration.ofSeconds(5)).maxAttempts(3).build());
    }

    private List<String> cacheFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("cache"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet", "vgg", "alexnet", "vit"})
    void pretrainedDownloadsOnceAndEqualsImportingTheFileDirectly(String family) throws IOException {
        PretrainedWeights w = publish(family);
        WeightsCache cache = cache();
        try (Pretrained p = Zoo.pretrained(w, CLASSES.size(), cache)) {
            ComputationGraph direct = WeightImporter.create(Zoo.spec(w.model()), cache.path(w),
                    ImportOptions.strict());
            try {
                int s = w.inputSize();
                INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, s, s);
                assertThat(p.graph().outputSingle(false, x)).isEqualTo(direct.outputSingle(false, x));
                assertThat(p.classNames()).isEqualTo(CLASSES.names());
                assertThat(p.transform().toString()).contains("Resize(shortSide=" + (s + 4) + ")");
            } finally {
                direct.close();
            }
        }
        assertThat(Files.readAllBytes(cache.path(w))).isEqualTo(files.get(w.urls().get(0).getPath()));
        assertThat(cacheFiles()).containsExactly(w.fileName(), w.fileName() + ".lock");
        // a second use reads the cache: no request
        int before = requests.get();
        try (Pretrained again = Zoo.pretrained(w, 2, cache)) {
            assertThat(again.numClasses()).isEqualTo(2);
            assertThat(again.classNames()).isEmpty(); // a new head
        }
        assertThat(requests.get()).isEqualTo(before);
    }

    @Test
    void aVitLoadsAtAnotherInputSizeWithItsPositionEmbeddingResized() throws IOException {
        PretrainedWeights w = publish("vit");
        ModelSpec larger = Zoo.spec(w.model()).withImageSize(48);
        try (Pretrained p = Zoo.pretrained(w, larger, 2, cache())) {
            assertThat(p.spec()).isEqualTo(larger);
            assertThat(p.graph().outputSingle(false, Nd4j.rand(DataType.FLOAT, 1, 3, 48, 48)).shape())
                    .containsExactly(1, 2);
        }
    }

    @Test
    void resumesAfterACutConnection() throws IOException {
        PretrainedWeights w = publish("resnet");
        byte[] bytes = files.get(w.urls().get(0).getPath());
        cutFirstAt = bytes.length / 3;
        Path got = cache().get(w);
        assertThat(Files.readAllBytes(got)).isEqualTo(bytes);
        assertThat(ranges).containsExactly("null", "bytes=" + cutFirstAt + "-");
    }

    @Test
    void aHashMismatchIsRefusedAndNothingIsKept() throws IOException {
        PretrainedWeights w = publish("resnet");
        corrupt = true;
        WeightsCache cache = cache();
        assertThatThrownBy(() -> cache.get(w)).isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining(w.urls().get(0).toString())
                .hasMessageContaining("SHA-256 starting with " + w.checksum().hex())
                .hasMessageContaining("place it at " + cache.path(w));
        assertThat(cacheFiles()).containsExactly(w.fileName() + ".lock");
    }

    @Test
    void aCorruptCachedFileIsReplaced() throws IOException {
        PretrainedWeights w = publish("resnet");
        WeightsCache cache = cache();
        Files.createDirectories(cache.dir());
        Files.write(cache.path(w), new byte[] {1, 2, 3});
        assertThat(Files.readAllBytes(cache.get(w))).isEqualTo(files.get(w.urls().get(0).getPath()));
    }

    @Test
    void offlineGivesOneErrorNamingTheUrlTheHashAndWhereToPlaceTheFile() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        PretrainedWeights served = publish("resnet");
        PretrainedWeights w = new PretrainedWeights(served.model(), "OFFLINE", List.of(URI.create(
                "http://127.0.0.1:" + closedPort + "/models/" + served.fileName())), served.fileName(),
                served.checksum(), CLASSES, served.transform(), 0, 50, 80, "a test", "a test's", "https://x.invalid");
        WeightsCache cache = cache();
        assertThatThrownBy(() -> cache.get(w)).isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining("cannot connect to 127.0.0.1:" + closedPort)
                .hasMessageContaining("SHA-256 starting with " + w.checksum().hex())
                .hasMessageContaining("download " + w.urls().get(0) + " and place it at " + cache.path(w))
                .message().doesNotContain("\n");
        assertThat(cacheFiles()).doesNotContain(w.fileName(), w.fileName() + ".part");
    }

    @Test
    void aMirrorReplacesTheHostAndKeepsThePath() throws IOException {
        PretrainedWeights served = publish("vgg");
        PretrainedWeights w = new PretrainedWeights(served.model(), "MIRRORED", List.of(URI.create(
                "https://download.invalid/models/" + served.fileName())), served.fileName(), served.checksum(),
                CLASSES, served.transform(), 0, 50, 80, "a test", "a test's", "https://x.invalid");
        WeightsCache cache = cache().withMirror(base() + "/");
        assertThat(cache.sources(w)).containsExactly(URI.create(base() + "/models/" + served.fileName()));
        assertThat(Files.readAllBytes(cache.get(w))).isEqualTo(files.get("/models/" + served.fileName()));
    }

    @Test
    void theDefaultCacheReadsItsFolderAndMirrorFromTheSystemProperties() throws IOException {
        PretrainedWeights served = publish("resnet");
        PretrainedWeights w = new PretrainedWeights(served.model(), "DEFAULTS", List.of(URI.create(
                "https://download.invalid/models/" + served.fileName())), served.fileName(), served.checksum(),
                CLASSES, served.transform(), 0, 50, 80, "a test", "a test's", "https://x.invalid");
        Zoo.register(w);
        System.setProperty(WeightsCache.HOME_PROPERTY, dir.resolve("home").toString());
        System.setProperty(WeightsCache.MIRROR_PROPERTY, base());
        try (Pretrained p = Zoo.pretrained(w.model(), "DEFAULTS")) {
            assertThat(p.numClasses()).isEqualTo(CLASSES.size());
            assertThat(dir.resolve("home/weights/" + w.fileName())).isRegularFile();
        } finally {
            System.clearProperty(WeightsCache.HOME_PROPERTY);
            System.clearProperty(WeightsCache.MIRROR_PROPERTY);
        }
    }

    @Test
    void concurrentDownloadsOfOneFileDownloadItOnce() throws Exception {
        PretrainedWeights w = publish("vit");
        WeightsCache cache = cache();
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Path>> got = new CopyOnWriteArrayList<>();
            for (int i = 0; i < threads; i++) {
                got.add(pool.submit(() -> {
                    start.await();
                    return cache.get(w);
                }));
            }
            for (Future<Path> f : got) {
                assertThat(Files.readAllBytes(f.get())).isEqualTo(files.get(w.urls().get(0).getPath()));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(requests.get()).isEqualTo(1);
    }

    @Test
    void aSecondProcessWaitsForTheLockAndReusesTheFile() throws Exception {
        PretrainedWeights w = publish("resnet");
        WeightsCache cache = cache();
        Files.createDirectories(cache.dir());
        Path exported = dir.resolve("other-process.safetensors");
        Files.write(exported, files.get(w.urls().get(0).getPath()));
        Process other = ChildJvm.builder(HoldLockThenPlace.class, List.of(), cache.path(w).toString(),
                exported.toString()).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(other.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertThat(r.readLine()).isEqualTo("locked");
            Path got = cache.get(w); // waits for the other process, then finds its file
            assertThat(other.waitFor()).isZero();
            assertThat(Files.readAllBytes(got)).isEqualTo(files.get(w.urls().get(0).getPath()));
        } finally {
            other.destroyForcibly();
        }
        assertThat(requests.get()).isZero();
    }

    @Test
    void huggingFaceStyleFilesAreCheckedAgainstTheAnnouncedDigestWhichIsRecorded() throws IOException {
        PretrainedWeights served = publish("vit");
        byte[] bytes = files.get("/models/" + served.fileName());
        Path tmp = dir.resolve("hf.safetensors");
        Files.write(tmp, bytes);
        String sha = Downloader.digest(tmp, "SHA-256");
        PretrainedWeights w = new PretrainedWeights(served.model(), "hub", List.of(URI.create(base() + "/models/"
                + served.fileName())), served.model() + ".hub.safetensors", Checksum.announced(), CLASSES,
                served.transform(), 0, 50, 80, "a test", "a test's", "https://x.invalid");
        WeightsCache cache = cache();
        announce = "0".repeat(64);
        assertThatThrownBy(() -> cache.get(w)).hasMessageContaining("expected SHA-256 " + "0".repeat(64))
                .hasMessageContaining("the SHA-256 the server announces");
        announce = sha;
        Path got = cache.get(w);
        assertThat(Files.readAllBytes(got)).isEqualTo(bytes);
        assertThat(Files.readString(Downloader.sibling(got, ".sha256")).trim()).isEqualTo(sha);
        // the recorded digest guards later uses
        Files.write(got, new byte[] {1});
        assertThat(Files.readAllBytes(cache.get(w))).isEqualTo(bytes);
    }

    /** Another process: takes the lock, places the file as a finished download would, and lets go. */
    public static final class HoldLockThenPlace {
        public static void main(String[] args) throws Exception {
            Path target = Path.of(args[0]);
            try (FileChannel c = FileChannel.open(Downloader.sibling(target, ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = c.lock()) {
                System.out.println("locked");
                System.out.flush();
                Thread.sleep(1500);
                Path part = Downloader.sibling(target, ".part");
                Files.copy(Path.of(args[1]), part, StandardCopyOption.REPLACE_EXISTING);
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
            }
        }
    }
}
