package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.examples.testing.Cli;
import io.github.visionzoo.examples.testing.Cli.Result;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue #22's hostile-input corpus: careless and hostile command lines (missing, empty, damaged and wrong files,
 * absurd numbers for every numeric option, unknown names and options), each run in-process. A case passes when the
 * exit code is 2 (bad input), the error's first line names the argument or file, no run directory or output is left
 * behind, and nothing (the log included) shows a stack trace or an exception class. The commands that could train are
 * given a tiny model, a one-epoch recipe and a tiny data set, so that a case that slips through costs seconds, not
 * hours.
 */
class HostileInputTest {
    /** A stack trace line, or an exception's class name as {@code Throwable.toString()} prints it. */
    private static final Pattern TRACE = Pattern.compile("\tat |\\b(?:[a-z]\\w*\\.)+[A-Z]\\w*(?:Exception|Error)\\b");

    @TempDir
    static Path dir;
    static Path data;
    static Path model;
    static Path recipe;
    static Path best;
    static Path threeClasses;
    static Path image;
    static final Map<String, Path> files = new HashMap<>();

    @BeforeAll
    static void inputs() throws IOException {
        data = Cli.synth(dir.resolve("data"), 4, 2, 32);
        model = Cli.tinyResNet(dir.resolve("tiny.json"), 4);
        recipe = write("quick.json", recipe("\"optimizer\":\"adamw\",\"learningRate\":0.003"));
        Path run = dir.resolve("run");
        Result r = Cli.run("train", "--model", model.toString(), "--data", data.toString(), "--recipe",
                recipe.toString(), "--run-dir", run.toString());
        assertThat(r.code()).as(r.err()).isZero();
        best = run.resolve("best.zip");
        Path ft = dir.resolve("ft");
        r = Cli.run("finetune", "--checkpoint", best.toString(), "--data", data.toString(), "--classes", "3",
                "--run-dir", ft.toString());
        assertThat(r.code()).as(r.err()).isZero();
        threeClasses = ft.resolve("best.zip");

        BufferedImage rgb = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(3, 4, 0xff8000);
        image = dir.resolve("photo.jpg");
        ImageIO.write(rgb, "jpg", image.toFile());
        byte[] jpeg = Files.readAllBytes(image);
        byte[] checkpoint = Files.readAllBytes(best);

        files.put("empty", write("empty.bin", ""));
        files.put("text", write("notes.txt", "just some text\n"));
        files.put("folder", Files.createDirectories(dir.resolve("a-folder.zip")));
        files.put("emptyFolder", Files.createDirectories(dir.resolve("empty-folder")));
        files.put("missing", dir.resolve("missing-file"));
        files.put("textJpeg", write("text.jpg", "not an image"));
        files.put("emptyJpeg", write("empty.jpg", ""));
        files.put("truncatedJpeg", Files.write(dir.resolve("truncated.jpg"), Arrays.copyOf(jpeg, 20)));
        files.put("truncatedZip", Files.write(dir.resolve("truncated.zip"),
                Arrays.copyOf(checkpoint, checkpoint.length / 2)));
        byte[] flipped = checkpoint.clone();
        flipped[flipped.length / 3] ^= 0x55; // inside the stored model entry: its checksum no longer matches
        files.put("flippedZip", Files.write(dir.resolve("flipped.zip"), flipped));
        files.put("emptyZip", write("empty.zip", ""));
        files.put("textZip", write("text.zip", "PK but not really a zip"));
        files.put("otherZip", otherZip(dir.resolve("other.zip")));
        files.put("noNames", withoutClassNames(threeClasses, dir.resolve("no-names.zip")));
        files.put("emptyJson", write("empty.json", ""));
        files.put("notJson", write("not-json.json", "hello, world"));
        files.put("arrayJson", write("array.json", "[1, 2, 3]"));
        files.put("unknownFamily", write("resnext.json", "{\"family\":\"resnext\",\"imageSize\":32}"));
        files.put("noLayers", write("no-layers.json", "{\"family\":\"resnet\",\"block\":\"basic\",\"layers\":[],"
                + "\"width\":4,\"convBias\":false,\"imageSize\":32}"));
        files.put("zeroWidth", write("zero-width.json", "{\"family\":\"resnet\",\"block\":\"basic\",\"layers\":[1],"
                + "\"width\":0,\"convBias\":false,\"imageSize\":32}"));
        files.put("oddVit", write("odd-vit.json", "{\"family\":\"vit\",\"patchSize\":7,\"hiddenDim\":8,"
                + "\"numLayers\":1,\"numHeads\":2,\"mlpDim\":16,\"dropout\":0.0,\"attentionDropout\":0.0,"
                + "\"imageSize\":32}"));
        files.put("noOptimizer", write("no-optimizer.json", recipe("\"learningRate\":0.003")));
        files.put("nanRate", write("nan-rate.json", recipe("\"optimizer\":\"adamw\",\"learningRate\":NaN")));
        files.put("negativeRate", write("negative-rate.json", recipe("\"optimizer\":\"adamw\",\"learningRate\":-1")));
        files.put("zeroRate", write("zero-rate.json", recipe("\"optimizer\":\"adamw\",\"learningRate\":0")));
        files.put("stringRate", write("string-rate.json", recipe("\"optimizer\":\"adamw\",\"learningRate\":\"fast\"")));
        files.put("unknownField", write("typo.json", recipe("\"optimizer\":\"adamw\",\"learningrate\":0.003")));
        files.put("unknownOptimizer", write("lamb.json", recipe("\"optimizer\":\"lamb\",\"learningRate\":0.003")));
        files.put("unknownSchedule", write("poly.json", recipe("\"optimizer\":\"adamw\",\"learningRate\":0.003,"
                + "\"schedule\":{\"type\":\"poly\"}")));
        files.put("adamMomentum", write("adam-momentum.json", recipe("\"optimizer\":\"adamw\",\"learningRate\":0.003,"
                + "\"momentum\":0.9")));
        files.put("hugeImageRecipe", write("huge-image.json", "{\"name\":\"huge\",\"optimizer\":\"adamw\","
                + "\"learningRate\":0.003,\"batchSize\":8,\"epochs\":1,\"imageSize\":100000,\"augmentation\":\"eval\","
                + "\"seed\":1}"));
        Path started = Files.createDirectories(dir.resolve("started-run"));
        Files.copy(best.resolveSibling("recipe.json"), started.resolve("recipe.json"));
        files.put("startedRun", started);
        Path damagedRun = Files.createDirectories(dir.resolve("damaged-run"));
        Files.copy(files.get("truncatedZip"), damagedRun.resolve("ckpt-e001-i00000005.zip"));
        files.put("damagedRun", damagedRun);
        Path layoutless = Files.createDirectories(dir.resolve("no-val/train/n01440764"));
        Files.copy(image, layoutless.resolve("a.JPEG"));
        files.put("noVal", dir.resolve("no-val"));
        for (String ext : List.of("pth", "safetensors", "npz", "bin")) {
            write("empty-weights." + ext, "");
            write("text-weights." + ext, "these are not weights\n");
        }
    }

    /** A one-epoch recipe at 32 px with the given optimizer fields. */
    private static String recipe(String optimizer) {
        return "{\"name\":\"quick\"," + optimizer + ",\"batchSize\":8,\"epochs\":1,\"imageSize\":32,"
                + "\"augmentation\":\"eval\",\"seed\":1}";
    }

    private static Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static Path otherZip(Path file) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            zip.putNextEntry(new ZipEntry("readme.txt"));
            zip.write("a zip, but no checkpoint".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        return file;
    }

    /** A copy of {@code checkpoint} whose recorded class names are gone, as a checkpoint of unnamed classes has. */
    private static Path withoutClassNames(Path checkpoint, Path copy) throws IOException {
        Files.copy(checkpoint, copy);
        try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + copy.toUri()), Map.of())) {
            Path info = zip.getPath("checkpoint.json");
            Files.writeString(info, Files.readString(info).replaceAll("\"classNames\"\\s*:\\s*\\[[^]]*]",
                    "\"classNames\" : [ ]"));
        }
        return copy;
    }

    /** One command line and what its error must name (ignoring case), the first item on its first line. */
    record Case(String name, List<String> args, List<String> mentions) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Path f(String key) {
        return files.get(key);
    }

    /** A fresh run directory for each case that could create one; no refusal may leave it behind. */
    private static String freshRun() {
        return dir.resolve("runs").resolve("r" + System.nanoTime()).toString();
    }

    private static List<String> train(String... args) {
        return withDefaults(List.of("train"), List.of(args), "--model", model, "--data", data, "--recipe", recipe,
                "--run-dir", freshRun());
    }

    private static List<String> sparkTrain(String... args) {
        return withDefaults(List.of("spark-train"), List.of(args), "--master", "local[1]", "--model", model, "--data",
                data, "--recipe", recipe, "--run-dir", freshRun());
    }

    /** {@code command}, then {@code args}, then those of the default options (pairs) that {@code args} leaves out. */
    private static List<String> withDefaults(List<String> command, List<String> args, Object... defaults) {
        List<String> l = new ArrayList<>(command);
        l.addAll(args);
        for (int i = 0; i < defaults.length; i += 2) {
            if (!args.contains(String.valueOf(defaults[i]))) {
                l.add(String.valueOf(defaults[i]));
                l.add(String.valueOf(defaults[i + 1]));
            }
        }
        return l;
    }

    private static List<String> cmd(Object... args) {
        return Stream.of(args).map(String::valueOf).toList();
    }

    private static Case bad(String name, List<String> args, String... mentions) {
        return new Case(name, args, List.of(mentions));
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        // the command line itself
        c.add(bad("unknown command", cmd("trian"), "trian"));
        c.add(bad("unknown option", cmd("list", "--bogus"), "--bogus"));
        c.add(bad("option without its value", cmd("train", "--model"), "--model"));
        c.add(bad("missing required option", cmd("evaluate", "--checkpoint", best), "--data"));
        c.add(bad("predict without images", cmd("predict", "--checkpoint", best), "IMAGE"));

        // numbers: negative, zero where it means nothing, not a number, beyond int, and absurdly large
        numbers(c, "train", a -> train(a.toArray(String[]::new)), "--epochs", false, false);
        numbers(c, "train", a -> train(a.toArray(String[]::new)), "--image-size", false, true);
        numbers(c, "train", a -> train(a.toArray(String[]::new)), "--batch", false, true);
        numbers(c, "train", a -> train(a.toArray(String[]::new)), "--workers", true, true);
        numbers(c, "train", a -> train(a.toArray(String[]::new)), "--checkpoint-every", true, false);
        numbers(c, "spark-train", a -> sparkTrain(a.toArray(String[]::new)), "--epochs", false, false);
        numbers(c, "spark-train", a -> sparkTrain(a.toArray(String[]::new)), "--image-size", false, true);
        numbers(c, "spark-train", a -> sparkTrain(a.toArray(String[]::new)), "--batch", false, true);
        numbers(c, "spark-train", a -> sparkTrain(a.toArray(String[]::new)), "--workers", false, true);
        numbers(c, "spark-train", a -> sparkTrain(a.toArray(String[]::new)), "--aeron-port", true, true);
        numbers(c, "evaluate", a -> concat(cmd("evaluate", "--checkpoint", best, "--data", data), a),
                "--batch", false, true);
        numbers(c, "finetune", a -> concat(cmd("finetune", "--checkpoint", best, "--data", data, "--run-dir",
                freshRun()), a), "--classes", false, true);
        numbers(c, "finetune", a -> concat(cmd("finetune", "--checkpoint", best, "--data", data, "--classes", 3,
                "--run-dir", freshRun()), a), "--epochs", false, false);
        for (String option : List.of("--train-per-class", "--val-per-class", "--size")) {
            numbers(c, "synth", a -> concat(cmd("synth", "--to", dir.resolve("runs").resolve("s" + System.nanoTime())),
                    a), option, false, true);
        }
        numbers(c, "summary", a -> concat(cmd("summary", "resnet18"), a), "--classes", false, true);
        numbers(c, "summary", a -> concat(cmd("summary", "resnet18"), a), "--image-size", false, true);
        numbers(c, "list", a -> concat(cmd("list"), a), "--classes", false, true);
        numbers(c, "import", a -> concat(cmd("import", "--from", f("missing"), "--model", "resnet18", "--to",
                dir.resolve("runs/import.zip")), a), "--classes", false, true);
        for (String option : List.of("--batch", "--image-size", "--peak-size", "--steps", "--rounds")) {
            // a long run is the user's choice; memory beyond the machine's is not
            boolean memory = !option.equals("--steps") && !option.equals("--rounds");
            numbers(c, "bench", a -> concat(cmd("bench", "--models", model, "--out", dir.resolve("runs/b.json")),
                    a), option, false, memory);
        }
        numbers(c, "bench", a -> concat(cmd("bench", "--models", model, "--out", dir.resolve("runs/b.json")),
                a), "--warmup", true, false);

        // train: models, recipes, data, run directories
        c.add(bad("train: unknown model", train("--model", "resnet35"), "resnet35"));
        c.add(bad("train: missing spec file", train("--model", f("missing") + ".json"), "missing-file.json"));
        c.add(bad("train: empty spec file", train("--model", f("emptyJson").toString()), "empty.json"));
        c.add(bad("train: spec file not JSON", train("--model", f("notJson").toString()), "not-json.json"));
        c.add(bad("train: spec file a JSON array", train("--model", f("arrayJson").toString()), "array.json"));
        c.add(bad("train: unknown family", train("--model", f("unknownFamily").toString()), "resnext.json",
                "resnext"));
        c.add(bad("train: spec without layers", train("--model", f("noLayers").toString()), "no-layers.json",
                "layers"));
        c.add(bad("train: spec of width 0", train("--model", f("zeroWidth").toString()), "zero-width.json", "width"));
        c.add(bad("train: ViT patches not dividing the image", train("--model", f("oddVit").toString()),
                "odd-vit.json", "patchSize"));
        c.add(bad("train: the issue's 100000 px", train("--image-size", "100000"), "--image-size", "4096"));
        c.add(bad("train: ResNet-18 at 4096 px", train("--model", "resnet18", "--image-size", "4096"),
                "--image-size 4096", "--batch", "GB", "up to"));
        c.add(bad("train: AlexNet at 224 px", train("--model", "alexnet", "--image-size", "224"), "227"));
        c.add(bad("train: ViT-B/16 at 100 px", train("--model", "vit_b_16", "--image-size", "100"), "16"));
        c.add(bad("train: unknown recipe", train("--recipe", "cpu-huge"), "cpu-huge"));
        c.add(bad("train: missing recipe file", train("--recipe", f("missing").toString()), "missing-file"));
        c.add(bad("train: recipe a folder", train("--recipe", f("emptyFolder").toString()), "empty-folder"));
        c.add(bad("train: empty recipe", train("--recipe", f("emptyJson").toString()), "empty.json"));
        c.add(bad("train: recipe not JSON", train("--recipe", f("notJson").toString()), "not-json.json"));
        c.add(bad("train: recipe without optimizer", train("--recipe", f("noOptimizer").toString()),
                "no-optimizer.json", "optimizer", "missing"));
        c.add(bad("train: recipe with a bare NaN", train("--recipe", f("nanRate").toString()), "nan-rate.json",
                "NaN", "not valid JSON"));
        c.add(bad("train: negative learning rate", train("--recipe", f("negativeRate").toString()),
                "negative-rate.json", "learningRate"));
        c.add(bad("train: zero learning rate", train("--recipe", f("zeroRate").toString()), "zero-rate.json",
                "learningRate"));
        c.add(bad("train: learning rate a string", train("--recipe", f("stringRate").toString()), "string-rate.json",
                "learningRate"));
        c.add(bad("train: misspelt recipe field", train("--recipe", f("unknownField").toString()), "typo.json",
                "learningrate"));
        c.add(bad("train: unknown optimizer", train("--recipe", f("unknownOptimizer").toString()), "lamb.json",
                "lamb"));
        c.add(bad("train: unknown schedule", train("--recipe", f("unknownSchedule").toString()), "poly.json", "poly"));
        c.add(bad("train: momentum for adamw", train("--recipe", f("adamMomentum").toString()),
                "adam-momentum.json", "momentum"));
        c.add(bad("train: recipe at 100000 px", train("--recipe", f("hugeImageRecipe").toString()), "100000"));
        c.add(bad("train: missing data", train("--data", f("missing").toString()), "--data", "missing-file"));
        c.add(bad("train: data a file", train("--data", f("text").toString()), "--data", "notes.txt"));
        c.add(bad("train: data an empty folder", train("--data", f("emptyFolder").toString()), "empty-folder"));
        c.add(bad("train: data without val", train("--data", f("noVal").toString()), "no-val"));
        c.add(bad("train: run directory of a finished run", cmd("train", "--model", model, "--data", data,
                "--recipe", recipe, "--run-dir", best.getParent()), "--run-dir", "--resume"));
        c.add(bad("train: run directory a file", cmd("train", "--model", model, "--data", data, "--recipe", recipe,
                "--run-dir", f("text")), "--run-dir", "notes.txt"));
        c.add(bad("train: resume of nothing", cmd("train", "--resume", f("missing")), "--resume", "missing-file"));
        c.add(bad("train: resume of a file", cmd("train", "--resume", f("text")), "--resume", "notes.txt"));
        c.add(bad("train: resume of an empty folder", cmd("train", "--resume", f("emptyFolder")), "empty-folder",
                "no run"));
        c.add(bad("train: resume of a run killed before its first checkpoint", cmd("train", "--resume",
                f("startedRun")), "started-run", "before writing the first one", "--run-dir"));
        c.add(bad("train: resume of a run whose checkpoints are damaged", cmd("train", "--resume", f("damagedRun")),
                "damaged-run"));

        // spark-train
        c.add(bad("spark-train: unknown master", sparkTrain("--master", "bogus://x"), "--master", "bogus://x",
                "local[N]"));
        c.add(bad("spark-train: master with 0 threads", sparkTrain("--master", "local[0]"), "--master", "local[0]"));
        c.add(bad("spark-train: empty master", sparkTrain("--master", ""), "--master"));
        c.add(bad("spark-train: master without a host", sparkTrain("--master", "spark://"), "--master", "spark://"));
        c.add(bad("spark-train: yarn from the local jar", sparkTrain("--master", "yarn"), "--master", "yarn",
                "spark-submit"));
        c.add(bad("spark-train: more workers than local threads", sparkTrain("--master", "local[1]", "--workers",
                "2"), "--workers", "local[1]"));
        c.add(bad("spark-train: unknown training master", sparkTrain("--training-master", "ring"),
                "--training-master", "ring"));
        c.add(bad("spark-train: missing data", sparkTrain("--data", f("missing").toString()), "--data"));
        c.add(bad("spark-train: data an empty folder", sparkTrain("--data", f("emptyFolder").toString()),
                "empty-folder"));
        c.add(bad("spark-train: data without val", sparkTrain("--data", f("noVal").toString()), "no-val"));
        c.add(bad("spark-train: run directory a file", sparkTrain("--run-dir", f("text").toString()), "--run-dir",
                "notes.txt"));
        c.add(bad("spark-train: resume of nothing", sparkTrain("--resume", f("missing").toString()), "--resume"));
        c.add(bad("spark-train: unknown model", sparkTrain("--model", "resnet35"), "resnet35"));

        // evaluate and predict: checkpoints and images
        for (String key : List.of("missing", "folder", "empty", "text", "truncatedZip", "flippedZip", "emptyZip",
                "textZip", "otherZip")) {
            String name = f(key).getFileName().toString();
            c.add(bad("evaluate: checkpoint " + key, cmd("evaluate", "--checkpoint", f(key), "--data", data), name));
            c.add(bad("predict: checkpoint " + key, cmd("predict", "--checkpoint", f(key), image), name));
            c.add(bad("finetune: checkpoint " + key, cmd("finetune", "--checkpoint", f(key), "--data", data,
                    "--classes", 3, "--run-dir", freshRun()), name));
            c.add(bad("export: checkpoint " + key, cmd("export", "--checkpoint", f(key), "--to",
                    dir.resolve("runs/x.safetensors")), name));
        }
        c.add(bad("evaluate: neither checkpoint nor ensemble", cmd("evaluate", "--data", data), "--checkpoint",
                "--ensemble"));
        c.add(bad("evaluate: missing data", cmd("evaluate", "--checkpoint", best, "--data", f("missing")), "--data"));
        c.add(bad("evaluate: data a file", cmd("evaluate", "--checkpoint", best, "--data", f("text")), "--data",
                "notes.txt"));
        c.add(bad("evaluate: ensemble with a missing member", cmd("evaluate", "--ensemble", best, f("missing"),
                "--data", data), "missing-file"));
        c.add(bad("evaluate: ensemble of 10 and 3 classes", cmd("evaluate", "--ensemble", best, threeClasses,
                "--data", data), best.toString(), threeClasses.toString(), "10", "3"));
        c.add(bad("evaluate: 3 classes without names on 10", cmd("evaluate", "--checkpoint", f("noNames"), "--data",
                data), "no-names.zip", "3", "10"));
        for (String key : List.of("missing", "folder", "textJpeg", "emptyJpeg", "truncatedJpeg")) {
            c.add(bad("predict: image " + key, cmd("predict", "--checkpoint", best, f(key)),
                    f(key).getFileName().toString()));
        }
        c.add(bad("predict: an unreadable image among good ones", cmd("predict", "--checkpoint", best, image,
                f("textJpeg"), image), "text.jpg", "1 of 3"));

        // finetune
        c.add(bad("finetune: one class", cmd("finetune", "--checkpoint", best, "--data", data, "--classes", 1,
                "--run-dir", freshRun()), "--classes", "between 2"));
        c.add(bad("finetune: unknown vertex to freeze", cmd("finetune", "--checkpoint", best, "--data", data,
                "--classes", 3, "--freeze-up-to", "layer9", "--run-dir", freshRun()), "layer9"));
        c.add(bad("finetune: missing data", cmd("finetune", "--checkpoint", best, "--data", f("missing"),
                "--classes", 3, "--run-dir", freshRun()), "--data"));
        c.add(bad("finetune: missing recipe", cmd("finetune", "--checkpoint", best, "--data", data, "--classes", 3,
                "--recipe", f("missing"), "--run-dir", freshRun()), "missing-file"));
        c.add(bad("finetune: recipe at 100000 px", cmd("finetune", "--checkpoint", best, "--data", data,
                "--classes", 3, "--recipe", f("hugeImageRecipe"), "--run-dir", freshRun()), "100000"));

        // synth and download
        c.add(bad("synth: into a file", cmd("synth", "--to", f("text")), "--to", "notes.txt"));
        c.add(bad("synth: into a folder with files", cmd("synth", "--to", data), "--to"));
        c.add(bad("download: unknown variant", cmd("download", "imagewoof", "--to", dir.resolve("runs/dl")),
                "imagewoof"));
        c.add(bad("download: into a file", cmd("download", "imagenette2-160", "--to", f("text")), "--to",
                "notes.txt"));

        // import, export, summary
        c.add(bad("import: missing weights", cmd("import", "--from", f("missing") + ".pth", "--model", "resnet18",
                "--to", dir.resolve("runs/i.zip")), "missing-file.pth"));
        c.add(bad("import: weights a folder", cmd("import", "--from", f("folder"), "--model", "resnet18", "--to",
                dir.resolve("runs/i.zip")), "a-folder.zip"));
        for (String ext : List.of("pth", "safetensors", "npz", "bin")) {
            Path empty = dir.resolve("empty-weights." + ext);
            Path text = dir.resolve("text-weights." + ext);
            c.add(bad("import: empty ." + ext, cmd("import", "--from", empty, "--model", "resnet18", "--to",
                    dir.resolve("runs/i.zip")), empty.getFileName().toString()));
            c.add(bad("import: text as ." + ext, cmd("import", "--from", text, "--model", "resnet18", "--to",
                    dir.resolve("runs/i.zip")), text.getFileName().toString()));
        }
        c.add(bad("import: unknown model", cmd("import", "--from", f("missing"), "--model", "resnet35", "--to",
                dir.resolve("runs/i.zip")), "resnet35"));
        c.add(bad("export: unknown model", cmd("export", "--checkpoint", best, "--model", "resnet35", "--to",
                dir.resolve("runs/x.safetensors")), "resnet35"));
        c.add(bad("summary: unknown model", cmd("summary", "resnet35"), "resnet35"));
        c.add(bad("summary: spec not JSON", cmd("summary", f("notJson")), "not-json.json"));
        c.add(bad("summary: AlexNet at 100 px", cmd("summary", "alexnet", "--image-size", 100), "227"));

        // bench
        c.add(bad("bench: results into a folder", cmd("bench", "--models", model, "--out", f("emptyFolder")),
                "--out", "empty-folder"));
        c.add(bad("bench: results under a file", cmd("bench", "--models", model, "--out", f("text") + "/b.json"),
                "--out", "notes.txt"));
        c.add(bad("bench: unknown model", cmd("bench", "--models", "resnet35", "--out", dir.resolve("runs/b.json")),
                "resnet35"));
        c.add(bad("bench: no model", cmd("bench", "--models", "", "--out", dir.resolve("runs/b.json")), "--models"));
        c.add(bad("bench: missing malloc library", cmd("bench", "--models", model, "--malloc", f("missing"),
                "--out", dir.resolve("runs/b.json")), "--malloc"));
        return c.stream();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    /**
     * The bad numbers of one option: negative, zero (unless 0 means something), not a number, beyond an int, and
     * (when the option has an upper bound) the largest int.
     */
    private static void numbers(List<Case> c, String command, java.util.function.Function<List<String>,
            List<String>> base, String option, boolean zeroMeans, boolean bounded) {
        List<String> values = new ArrayList<>(List.of("-1", "abc", "99999999999"));
        if (!zeroMeans) {
            values.add("0");
        }
        if (bounded) {
            values.add(String.valueOf(Integer.MAX_VALUE));
        }
        for (String v : values) {
            c.add(bad(command + " " + option + " " + v, base.apply(List.of(option, v)), option));
        }
    }

    /** Exit code, and everything printed, the process's own standard streams (the log) included. */
    record Outcome(int code, String out, String err) {
    }

    static Outcome runCapturingTheLog(List<String> args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(log, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            Result r = Cli.run(args.toArray(String[]::new));
            return new Outcome(r.code(), r.out(), r.err() + log.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputGetsOneClearLineAndExitCodeTwo(Case c) throws IOException {
        Path runs = Files.createDirectories(dir.resolve("runs"));
        List<Path> before = list(runs);
        Outcome r = runCapturingTheLog(c.args());
        String what = c.name() + ": " + String.join(" ", c.args()) + "\n" + r.err();
        assertThat(r.code()).as(what).isEqualTo(VisionZooCli.BAD_INPUT);
        assertThat(r.out() + r.err()).as(what).doesNotContainPattern(TRACE);
        String firstLine = r.err().lines().filter(l -> !l.isBlank()).findFirst().orElse("");
        for (String m : c.mentions()) {
            assertThat(r.err()).as(what).containsIgnoringCase(m);
        }
        assertThat(firstLine).as(what).containsIgnoringCase(c.mentions().get(0));
        assertThat(list(runs)).as(what + "\nleft behind").containsExactlyElementsOf(before);
    }

    private static List<Path> list(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.sorted().toList();
        }
    }

    @Test
    void predictReportsAnUnreadableImageAndClassifiesTheOthers() {
        Outcome r = runCapturingTheLog(cmd("predict", "--checkpoint", best, image, f("textJpeg"), image));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.out().lines().filter(l -> l.equals(image + ":"))).hasSize(2);
        assertThat(r.out().lines().filter(l -> l.contains(" %  "))).hasSize(10);
        assertThat(r.err().lines().filter(l -> !l.isBlank())).containsExactly(
                "visionzoo predict: IMAGE " + f("textJpeg") + ": not an image (no decoder recognises its 12 bytes)",
                "visionzoo predict: 1 of 3 images could not be read; give JPEG or PNG files");
    }

    @Test
    @Tag("slow")
    void aDamagedNewestCheckpointIsReportedOnceOnResume() throws IOException {
        Path run = dir.resolve("two-epochs");
        Result r = Cli.run("train", "--model", model.toString(), "--data", data.toString(), "--recipe",
                recipe.toString(), "--epochs", "2", "--run-dir", run.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Path newest = run.resolve("ckpt-e002-i00000010.zip");
        Files.write(newest, Arrays.copyOf(Files.readAllBytes(newest), 1000));
        Files.delete(run.resolve("summary.json")); // as after a kill in the second epoch's end

        Outcome resumed = runCapturingTheLog(cmd("train", "--resume", run, "--data", data));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err().lines().filter(l -> l.contains(newest.getFileName().toString()))).hasSize(1);
        assertThat(run.resolve("ckpt-e002-i00000010.zip.corrupt")).exists();
    }

    @Test
    void aRunKilledBeforeItsFirstCheckpointStartsAgainAsTheErrorSays() throws IOException {
        Path run = Files.createDirectories(dir.resolve("killed-early"));
        Files.copy(best.resolveSibling("recipe.json"), run.resolve("recipe.json"));
        Outcome r = runCapturingTheLog(cmd("train", "--resume", run));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("before writing the first one", "train --run-dir " + run);
        Result again = Cli.run("train", "--model", model.toString(), "--data", data.toString(),
                "--recipe", recipe.toString(), "--run-dir", run.toString());
        assertThat(again.code()).as(again.err()).isZero();
    }
}
