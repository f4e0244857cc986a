package io.github.visionzoo.imagenette;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writes a synthetic Imagenette: real JPEG files in exactly the layout of the official archives ({@code train/<wnid>/},
 * {@code val/<wnid>/} with the ten real WordNet ids, and {@code noisy_imagenette.csv}), so that everything that reads
 * Imagenette can be run and tested without the 1.5 GB download. It is the embedded default data set of the project.
 *
 * <p>Each class is a shape kind with its own dominant colour family:
 * <pre>
 *   0 n01440764 tench             disc        red
 *   1 n02102040 English springer  square      orange
 *   2 n02979186 cassette player   triangle    yellow
 *   3 n03000684 chain saw         cross       lime
 *   4 n03028079 church            ring        green
 *   5 n03394916 French horn       star        cyan
 *   6 n03417042 garbage truck     hexagon     blue
 *   7 n03425413 gas pump          crescent    violet
 *   8 n03445777 golf ball         half-disc   magenta
 *   9 n03888257 parachute         arrow       pink
 * </pre>
 * Every image draws its object at a random position, scale (40-80 % of the short side), rotation, hue (+-10 degrees),
 * saturation and brightness, with shading, over a random textured background (gradient, stripes, blotches) with
 * clutter lines, plus pixel noise; about 3 % are saved as grayscale, and the long side is up to 4/3 of the short side
 * (landscape or portrait), as in the real data set. Everything follows from the seed: the same options write the same
 * bytes. Train files are named {@code <wnid>_<n>.JPEG}, every fifth validation file
 * {@code ILSVRC2012_val_<8 digits>.JPEG}, as in the real archives.
 *
 * <p>The noise columns of the table relabel a nested, seeded subset of round(P % x train size) training images to a
 * different random class (the 1 % set is inside the 5 % set, and so on); validation rows keep the true label.
 */
public final class SyntheticImagenette {
    /** The smallest image side the shapes can be drawn at. */
    public static final int MIN_SIZE = 16;

    /** Shape of each class, in label order. */
    public static final List<String> SHAPES = List.of(
            "disc", "square", "triangle", "cross", "ring", "star", "hexagon", "crescent", "half-disc", "arrow");
    /** Colour family of each class, in label order. */
    public static final List<String> COLOURS = List.of(
            "red", "orange", "yellow", "lime", "green", "cyan", "blue", "violet", "magenta", "pink");
    /** Centre hue of each colour family, in degrees; each image draws within +-10 degrees of it. */
    private static final float[] HUES = {0f, 28f, 56f, 88f, 125f, 180f, 225f, 265f, 300f, 333f};

    /** Centre hue in degrees of the colour family of class {@code label}. */
    public static float hue(int label) {
        return HUES[label];
    }

    private final int trainPerClass;
    private final int valPerClass;
    private final int imageSize;
    private final long seed;
    private final double grayscaleFraction;
    private final float jpegQuality;

    private SyntheticImagenette(Builder b) {
        this.trainPerClass = b.trainPerClass;
        this.valPerClass = b.valPerClass;
        this.imageSize = b.imageSize;
        this.seed = b.seed;
        this.grayscaleFraction = b.grayscaleFraction;
        this.jpegQuality = b.jpegQuality;
    }

    /** Options, defaulting to 60 train and 20 val images per class of short side 96, seed 0. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Writes the data set to {@code root}, which must not exist or be an empty folder. Files are written to a
     * temporary sibling folder that is renamed to {@code root} at the end, so an interrupted run leaves no partial
     * data set at {@code root}.
     *
     * @return {@code root}
     */
    public Path writeTo(Path root) throws IOException {
        Path target = root.toAbsolutePath().normalize();
        if (Files.isDirectory(target)) {
            try (Stream<Path> s = Files.list(target)) {
                if (s.findAny().isPresent()) {
                    throw new IOException("Will not write a synthetic Imagenette into non-empty " + target);
                }
            }
            Files.delete(target);
        } else if (Files.exists(target)) {
            throw new IOException(target + " exists and is not a folder");
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
        try {
            writeFiles(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
        return target;
    }

    /**
     * Returns {@code root} if it holds an Imagenette layout, otherwise writes this synthetic set there first.
     */
    public Path ensure(Path root) throws IOException {
        if (Files.isDirectory(root.resolve(Split.TRAIN.folder())) && Files.isDirectory(root.resolve(Split.VAL.folder()))) {
            ImageFolder.checkLayout(root.toAbsolutePath().normalize(), Split.TRAIN);
            ImageFolder.checkLayout(root.toAbsolutePath().normalize(), Split.VAL);
            return root;
        }
        return writeTo(root);
    }

    private void writeFiles(Path root) throws IOException {
        for (Split split : Split.values()) {
            for (String wnid : Imagenette.WNIDS) {
                Files.createDirectories(root.resolve(split.folder()).resolve(wnid));
            }
        }
        List<Job> jobs = new ArrayList<>();
        for (Split split : Split.values()) {
            int per = split == Split.TRAIN ? trainPerClass : valPerClass;
            for (int c = 0; c < Imagenette.NUM_CLASSES; c++) {
                String wnid = Imagenette.WNIDS.get(c);
                for (int i = 0; i < per; i++) {
                    String name;
                    if (split == Split.VAL && i % 5 == 4) {
                        name = String.format(Locale.ROOT, "ILSVRC2012_val_%08d.JPEG", 1 + c * 5000 + i * 37);
                    } else {
                        name = String.format(Locale.ROOT, "%s_%d.JPEG", wnid, (split == Split.TRAIN ? 10 : 20000) + i * 13);
                    }
                    jobs.add(new Job(split, c, i, split.folder() + "/" + wnid + "/" + name));
                }
            }
        }
        IntStream.range(0, jobs.size()).parallel().forEach(j -> {
            Job job = jobs.get(j);
            long s = Seeds.mix(Seeds.mix(Seeds.mix(seed) + job.split.ordinal()) * 31 + job.label * 100_003L + job.i);
            try {
                Files.write(root.resolve(job.path), jpeg(render(job.label, new Random(s)), jpegQuality));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        writeNoisyTable(root, jobs);
    }

    private void writeNoisyTable(Path root, List<Job> jobs) throws IOException {
        List<Job> train = new ArrayList<>();
        for (Job j : jobs) {
            if (j.split == Split.TRAIN) {
                train.add(j);
            }
        }
        int n = train.size();
        Random r = new Random(Seeds.mix(seed ^ 0x6e6f697365L));
        int[] perm = Seeds.epochOrder(n, r.nextLong(), 0, true);
        int[] wrong = new int[n];
        for (int k = 0; k < n; k++) {
            wrong[k] = (train.get(k).label + 1 + r.nextInt(Imagenette.NUM_CLASSES - 1)) % Imagenette.NUM_CLASSES;
        }
        int[] levels = {0, 1, 5, 25, 50};
        int[][] labels = new int[levels.length][n];
        for (int l = 0; l < levels.length; l++) {
            int noisy = (int) Math.round(levels[l] / 100.0 * n);
            for (int k = 0; k < n; k++) {
                labels[l][k] = train.get(k).label;
            }
            for (int k = 0; k < noisy; k++) {
                labels[l][perm[k]] = wrong[perm[k]];
            }
        }
        try (Writer w = Files.newBufferedWriter(root.resolve(Imagenette.NOISY_LABELS_CSV), StandardCharsets.UTF_8)) {
            w.write("path,noisy_labels_0,noisy_labels_1,noisy_labels_5,noisy_labels_25,noisy_labels_50,is_valid\n");
            for (int k = 0; k < n; k++) {
                w.write(train.get(k).path);
                for (int l = 0; l < levels.length; l++) {
                    w.write("," + Imagenette.WNIDS.get(labels[l][k]));
                }
                w.write(",False\n");
            }
            for (Job j : jobs) {
                if (j.split == Split.VAL) {
                    String wnid = Imagenette.WNIDS.get(j.label);
                    w.write(j.path + "," + wnid + "," + wnid + "," + wnid + "," + wnid + "," + wnid + ",True\n");
                }
            }
        }
    }

    private static final class Job {
        final Split split;
        final int label;
        final int i;
        final String path;

        Job(Split split, int label, int i, String path) {
            this.split = split;
            this.label = label;
            this.i = i;
            this.path = path;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Rendering

    /** Renders one image of class {@code label}; public for previews and tests. */
    public BufferedImage render(int label, Random r) {
        int s = imageSize;
        int l = (int) Math.round(s * (1 + r.nextDouble() / 3));
        boolean landscape = r.nextBoolean();
        int w = landscape ? l : s;
        int h = landscape ? s : l;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        background(img, r);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        // Clutter: a few thin lines and small outlines in random colours.
        int clutter = 2 + r.nextInt(4);
        for (int i = 0; i < clutter; i++) {
            g.setColor(Color.getHSBColor(r.nextFloat(), r.nextFloat() * 0.7f, 0.2f + r.nextFloat() * 0.8f));
            g.setStroke(new BasicStroke(1f + r.nextFloat() * s / 40f));
            if (r.nextBoolean()) {
                g.draw(new Line2D.Double(r.nextDouble() * w, r.nextDouble() * h, r.nextDouble() * w, r.nextDouble() * h));
            } else {
                double d = s * (0.05 + r.nextDouble() * 0.15);
                g.draw(new Ellipse2D.Double(r.nextDouble() * w - d / 2, r.nextDouble() * h - d / 2, d, d * (0.5 + r.nextDouble())));
            }
        }
        // The object.
        double size = s * (0.40 + 0.40 * r.nextDouble());
        double cx = size / 2 + r.nextDouble() * Math.max(1, w - size);
        double cy = size / 2 + r.nextDouble() * Math.max(1, h - size);
        AffineTransform at = new AffineTransform();
        at.translate(cx, cy);
        at.rotate(r.nextDouble() * 2 * Math.PI);
        at.scale(size / 2, size / 2 * (0.85 + 0.3 * r.nextDouble()));
        Shape shape = at.createTransformedShape(unitShape(label));
        float hue = (HUES[label] + (r.nextFloat() * 20f - 10f) + 360f) % 360f / 360f;
        float sat = 0.6f + 0.4f * r.nextFloat();
        float val = 0.6f + 0.4f * r.nextFloat();
        Color c1 = Color.getHSBColor(hue, sat, val);
        Color c2 = Color.getHSBColor(hue, sat, val * (0.55f + 0.25f * r.nextFloat()));
        double a = r.nextDouble() * 2 * Math.PI;
        g.setPaint(new GradientPaint((float) (cx - Math.cos(a) * size / 2), (float) (cy - Math.sin(a) * size / 2), c1,
                (float) (cx + Math.cos(a) * size / 2), (float) (cy + Math.sin(a) * size / 2), c2));
        g.fill(shape);
        if (r.nextBoolean()) {
            g.setColor(c2.darker());
            g.setStroke(new BasicStroke(1f + r.nextFloat() * s / 64f));
            g.draw(shape);
        }
        g.dispose();
        noise(img, r, 0.02 + 0.05 * r.nextDouble());
        if (r.nextDouble() < grayscaleFraction) {
            BufferedImage gray = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int p = row[x];
                    int v = (int) Math.round(0.299 * (p >> 16 & 0xff) + 0.587 * (p >> 8 & 0xff) + 0.114 * (p & 0xff));
                    gray.getRaster().setSample(x, y, 0, v);
                }
            }
            return gray;
        }
        return img;
    }

    /** The class's shape in a unit box around the origin. */
    static Shape unitShape(int label) {
        switch (label) {
            case 0:
                return new Ellipse2D.Double(-1, -1, 2, 2);
            case 1:
                return new Rectangle2D.Double(-0.8, -0.8, 1.6, 1.6);
            case 2:
                return polygon(3, 1.0, 0);
            case 3: {
                Area a = new Area(new Rectangle2D.Double(-1, -0.3, 2, 0.6));
                a.add(new Area(new Rectangle2D.Double(-0.3, -1, 0.6, 2)));
                return a;
            }
            case 4: {
                Area a = new Area(new Ellipse2D.Double(-1, -1, 2, 2));
                a.subtract(new Area(new Ellipse2D.Double(-0.55, -0.55, 1.1, 1.1)));
                return a;
            }
            case 5:
                return star(5, 1.0, 0.42);
            case 6:
                return polygon(6, 0.95, 0);
            case 7: {
                Area a = new Area(new Ellipse2D.Double(-1, -1, 2, 2));
                a.subtract(new Area(new Ellipse2D.Double(-0.45, -1.05, 1.8, 1.8)));
                return a;
            }
            case 8: {
                Area a = new Area(new Ellipse2D.Double(-1, -1, 2, 2));
                a.subtract(new Area(new Rectangle2D.Double(-1.1, 0.1, 2.2, 1.1)));
                return a;
            }
            case 9: {
                Path2D.Double p = new Path2D.Double();
                p.moveTo(-1, -0.25);
                p.lineTo(0.1, -0.25);
                p.lineTo(0.1, -0.75);
                p.lineTo(1, 0);
                p.lineTo(0.1, 0.75);
                p.lineTo(0.1, 0.25);
                p.lineTo(-1, 0.25);
                p.closePath();
                return p;
            }
            default:
                throw new IllegalArgumentException("label " + label);
        }
    }

    private static Shape polygon(int n, double radius, double phase) {
        Path2D.Double p = new Path2D.Double();
        for (int i = 0; i < n; i++) {
            double t = phase + 2 * Math.PI * i / n - Math.PI / 2;
            if (i == 0) {
                p.moveTo(radius * Math.cos(t), radius * Math.sin(t));
            } else {
                p.lineTo(radius * Math.cos(t), radius * Math.sin(t));
            }
        }
        p.closePath();
        return p;
    }

    private static Shape star(int points, double outer, double inner) {
        Path2D.Double p = new Path2D.Double();
        for (int i = 0; i < 2 * points; i++) {
            double rad = i % 2 == 0 ? outer : inner;
            double t = Math.PI * i / points - Math.PI / 2;
            if (i == 0) {
                p.moveTo(rad * Math.cos(t), rad * Math.sin(t));
            } else {
                p.lineTo(rad * Math.cos(t), rad * Math.sin(t));
            }
        }
        p.closePath();
        return p;
    }

    /** A random low-saturation texture: gradient between two colours plus stripes and blotches. */
    private static void background(BufferedImage img, Random r) {
        int w = img.getWidth();
        int h = img.getHeight();
        float[] c1 = rgb(Color.getHSBColor(r.nextFloat(), r.nextFloat() * 0.55f, 0.25f + r.nextFloat() * 0.7f));
        float[] c2 = rgb(Color.getHSBColor(r.nextFloat(), r.nextFloat() * 0.55f, 0.25f + r.nextFloat() * 0.7f));
        double ga = r.nextDouble() * 2 * Math.PI;
        double gx = Math.cos(ga);
        double gy = Math.sin(ga);
        double sa = r.nextDouble() * Math.PI;
        double freq = 2 * Math.PI / (4 + r.nextDouble() * 20);
        double stripeAmp = r.nextDouble() < 0.5 ? 0.04 + 0.08 * r.nextDouble() : 0;
        int blobs = 3;
        double[][] bl = new double[blobs][4];
        for (double[] b : bl) {
            b[0] = r.nextDouble() * w;
            b[1] = r.nextDouble() * h;
            b[2] = (0.1 + 0.3 * r.nextDouble()) * Math.max(w, h);
            b[3] = (r.nextDouble() - 0.5) * 0.3;
        }
        int[] row = new int[w];
        double diag = Math.max(1, Math.abs(gx) * w + Math.abs(gy) * h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double t = ((x - w / 2.0) * gx + (y - h / 2.0) * gy) / diag + 0.5;
                double shade = stripeAmp * Math.sin(freq * (x * Math.cos(sa) + y * Math.sin(sa)));
                for (double[] b : bl) {
                    double dx = x - b[0];
                    double dy = y - b[1];
                    shade += b[3] * Math.exp(-(dx * dx + dy * dy) / (2 * b[2] * b[2]));
                }
                int p = 0;
                for (int c = 0; c < 3; c++) {
                    double v = c1[c] * (1 - t) + c2[c] * t + shade;
                    p = p << 8 | clamp8(v * 255);
                }
                row[x] = p;
            }
            img.setRGB(0, y, w, 1, row, 0, w);
        }
    }

    private static void noise(BufferedImage img, Random r, double sigma) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int q = 0;
                for (int sh = 16; sh >= 0; sh -= 8) {
                    // Irwin-Hall(3) - 1.5 has standard deviation 0.5: cheap, near-Gaussian noise of std sigma.
                    float u = r.nextFloat() + r.nextFloat() + r.nextFloat() - 1.5f;
                    q = q << 8 | clamp8((p >> sh & 0xff) + u * 2 * sigma * 255);
                }
                row[x] = q;
            }
            img.setRGB(0, y, w, 1, row, 0, w);
        }
    }

    private static float[] rgb(Color c) {
        return new float[] {c.getRed() / 255f, c.getGreen() / 255f, c.getBlue() / 255f};
    }

    private static int clamp8(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    static byte[] jpeg(BufferedImage img, float quality) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            writer.write(null, new IIOImage(img, null, null), p);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    /**
     * Writes a synthetic set: {@code SyntheticImagenette DIR [--train N] [--val N] [--size S] [--seed X]}, N images per
     * class.
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args[0].startsWith("-")) {
            System.err.println("usage: SyntheticImagenette DIR [--train N] [--val N] [--size S] [--seed X]");
            System.exit(2);
        }
        Builder b = builder();
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--train":
                    b.trainPerClass(Integer.parseInt(args[i + 1]));
                    break;
                case "--val":
                    b.valPerClass(Integer.parseInt(args[i + 1]));
                    break;
                case "--size":
                    b.imageSize(Integer.parseInt(args[i + 1]));
                    break;
                case "--seed":
                    b.seed(Long.parseLong(args[i + 1]));
                    break;
                default:
                    throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        Path root = b.build().writeTo(Path.of(args[0]));
        System.out.println("Wrote a synthetic Imagenette to " + root);
    }

    /** Options of {@link SyntheticImagenette}. */
    public static final class Builder {
        private int trainPerClass = 60;
        private int valPerClass = 20;
        private int imageSize = 96;
        private long seed;
        private double grayscaleFraction = 0.03;
        private float jpegQuality = 0.9f;

        private Builder() {
        }

        /** Training images per class (default 60). */
        public Builder trainPerClass(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("trainPerClass must be >= 0, was " + n);
            }
            this.trainPerClass = n;
            return this;
        }

        /** Validation images per class (default 20). */
        public Builder valPerClass(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("valPerClass must be >= 0, was " + n);
            }
            this.valPerClass = n;
            return this;
        }

        /** Short side of the images in pixels (default 96); the long side is up to 4/3 of it. */
        public Builder imageSize(int size) {
            if (size < MIN_SIZE) {
                throw new IllegalArgumentException("imageSize must be >= " + MIN_SIZE + ", was " + size);
            }
            this.imageSize = size;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Fraction of images saved as grayscale JPEGs (default 0.03). */
        public Builder grayscaleFraction(double f) {
            if (f < 0 || f > 1) {
                throw new IllegalArgumentException("grayscaleFraction must be in [0, 1], was " + f);
            }
            this.grayscaleFraction = f;
            return this;
        }

        /** JPEG quality in (0, 1] (default 0.9). */
        public Builder jpegQuality(float q) {
            if (!(q > 0 && q <= 1)) {
                throw new IllegalArgumentException("jpegQuality must be in (0, 1], was " + q);
            }
            this.jpegQuality = q;
            return this;
        }

        public SyntheticImagenette build() {
            return new SyntheticImagenette(this);
        }
    }
}
