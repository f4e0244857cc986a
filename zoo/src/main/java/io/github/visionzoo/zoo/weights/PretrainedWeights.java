package io.github.visionzoo.zoo.weights;

import io.github.visionzoo.imagenette.Downloader.Checksum;
import io.github.visionzoo.imagenette.transform.CenterCrop;
import io.github.visionzoo.imagenette.transform.Interpolation;
import io.github.visionzoo.imagenette.transform.Normalize;
import io.github.visionzoo.imagenette.transform.Resize;
import io.github.visionzoo.imagenette.transform.Transform;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One published weight file of a registered model, as a catalogue lists it: torchvision's {@code Weights} entries and
 * timm's pretrained tags, kept with their model family ({@code ModelFamily.withWeights}) and read through
 * {@code Zoo.weights} and {@code Zoo.pretrained}. Everything here is read from the sources, never guessed: torchvision
 * 0.14's {@code torchvision/models/*.py} (Debian's; newer torchvision is too large to fetch here) and timm's
 * {@code vision_transformer.py} and {@code results/results-imagenet.csv} at commit aa4b585.
 *
 * @param model      the registered model the file loads into, such as {@code resnet50}
 * @param tag        torchvision's weights name ({@code IMAGENET1K_V2}) or timm's pretrained tag
 *                   ({@code augreg_in21k_ft_in1k})
 * @param urls       where the file is published, the first tried first
 * @param fileName   its name in the cache: torchvision's own (which carries its hash), or timm's model and tag
 * @param checksum   what the file must hash to: torchvision's SHA-256 prefix, or for Hugging Face files, which timm
 *                   publishes no digest for, the SHA-256 the server announces ({@link Checksum#announced()})
 * @param classes    the classifier's classes, in output order
 * @param transform  the evaluation transform the published accuracy was measured with; its crop is the input size
 * @param numParams  the model's parameters with this file's head, as the source gives them
 * @param top1       the published ImageNet-1k validation top-1, percent
 * @param top5       the published top-5, percent
 * @param source     where the metrics come from
 * @param licence    the weights' licence, as the source states it
 * @param recipe     how the weights were trained, an address
 */
public record PretrainedWeights(String model, String tag, List<URI> urls, String fileName, Checksum checksum,
                                ClassList classes, EvalTransform transform, long numParams, double top1, double top5,
                                String source, String licence, String recipe) {

    /** torchvision's file names end in the first hex digits of their SHA-256, as {@code torch.hub}'s HASH_REGEX. */
    public static final Pattern TORCHVISION_HASH = Pattern.compile("-([a-f0-9]*)\\.");
    /** What torchvision 0.14 says of its weights' terms, where an entry states no licence of its own. */
    public static final String TORCHVISION_LICENCE = "not stated by torchvision (BSD-3-Clause code); trained on "
            + "ImageNet-1k, whose terms of access apply";
    /** timm's {@code _cfg} default for its ViTs. */
    public static final String TIMM_LICENCE = "apache-2.0 (timm's pretrained_cfg)";
    private static final String TORCHVISION_SOURCE = "torchvision 0.14, the weights' meta[\"_metrics\"]";
    private static final String TIMM_SOURCE = "timm results/results-imagenet.csv (commit aa4b585)";
    private static final String HUGGING_FACE = "https://huggingface.co/timm/";

    public PretrainedWeights {
        if (model == null || model.isBlank() || tag == null || !tag.matches("[A-Za-z0-9_]+")) {
            throw new IllegalArgumentException("weights need a model and a tag of letters, digits and _, were '"
                    + model + "', '" + tag + "'");
        }
        urls = List.copyOf(urls);
        if (urls.isEmpty()) {
            throw new IllegalArgumentException(model + ":" + tag + " has no download address");
        }
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(checksum, "checksum");
        Objects.requireNonNull(classes, "classes");
        Objects.requireNonNull(transform, "transform");
    }

    /**
     * A torchvision entry with ImageNet-1k's classes; the SHA-256 prefix is read from the file name.
     *
     * @param url    the {@code Weights} entry's url
     * @param recipe its {@code meta["recipe"]}
     */
    public static PretrainedWeights torchvision(String model, String tag, String url, EvalTransform transform,
                                                long numParams, double top1, double top5, String recipe) {
        String fileName = url.substring(url.lastIndexOf('/') + 1);
        Matcher m = TORCHVISION_HASH.matcher(fileName);
        if (!m.find() || m.group(1).isEmpty()) {
            throw new IllegalArgumentException(url + " carries no hash in its file name");
        }
        return new PretrainedWeights(model, tag, List.of(URI.create(url)), fileName, Checksum.sha256Prefix(m.group(1)),
                ClassList.imagenet1k(), transform, numParams, top1, top5, TORCHVISION_SOURCE, TORCHVISION_LICENCE,
                recipe);
    }

    /**
     * A timm entry on Hugging Face ({@code hf_hub_id='timm/'}) with ImageNet-1k's classes.
     *
     * @param timmModel timm's model name, such as {@code vit_tiny_patch16_224}
     * @param tag       its pretrained tag, such as {@code augreg_in21k_ft_in1k}
     * @param recipe    where the weights' training is described
     */
    public static PretrainedWeights timm(String model, String timmModel, String tag, EvalTransform transform,
                                         long numParams, double top1, double top5, String recipe) {
        String repo = timmModel + "." + tag;
        return new PretrainedWeights(model, tag, List.of(URI.create(HUGGING_FACE + repo
                + "/resolve/main/model.safetensors")), repo + ".safetensors", Checksum.announced(),
                ClassList.imagenet1k(), transform, numParams, top1, top5, TIMM_SOURCE, TIMM_LICENCE, recipe);
    }

    /** The same entry under another licence (torchvision's SWAG weights state theirs). */
    public PretrainedWeights withLicence(String licence) {
        return new PretrainedWeights(model, tag, urls, fileName, checksum, classes, transform, numParams, top1, top5,
                source, licence, recipe);
    }

    /** {@code model:tag}, as the command line names weights. */
    public String ref() {
        return model + ":" + tag;
    }

    /** The number of classes of the file's classifier. */
    public int numClasses() {
        return classes.size();
    }

    /** The square input size the weights were evaluated at: the transform's crop. */
    public int inputSize() {
        return transform.cropSize();
    }

    /**
     * An evaluation transform as torchvision's {@code ImageClassification} and timm's eval transform: resize the
     * shorter side to {@code resizeSize} with {@code interpolation}, crop the centre {@code cropSize}, normalize.
     */
    public record EvalTransform(int resizeSize, int cropSize, Interpolation interpolation, List<Double> mean,
                                List<Double> std) {
        /** ImageNet's mean and std, torchvision's default. */
        public static final List<Double> IMAGENET_MEAN = List.of(0.485, 0.456, 0.406);
        public static final List<Double> IMAGENET_STD = List.of(0.229, 0.224, 0.225);
        /** timm's {@code IMAGENET_INCEPTION_MEAN} and {@code _STD}. */
        public static final List<Double> INCEPTION_MEAN = List.of(0.5, 0.5, 0.5);
        public static final List<Double> INCEPTION_STD = List.of(0.5, 0.5, 0.5);

        public EvalTransform {
            if (cropSize < 1 || resizeSize < cropSize) {
                throw new IllegalArgumentException("an evaluation transform resizes to at least its crop, was resize "
                        + resizeSize + ", crop " + cropSize);
            }
            Objects.requireNonNull(interpolation, "interpolation");
            mean = List.copyOf(mean);
            std = List.copyOf(std);
            if (mean.size() != 3 || std.size() != 3 || std.stream().anyMatch(s -> !(s > 0))) {
                throw new IllegalArgumentException("an evaluation transform needs 3 means and 3 stds > 0, was " + mean
                        + ", " + std);
            }
        }

        /** torchvision's {@code ImageClassification(crop_size=crop)}: resize 256, bilinear, ImageNet's statistics. */
        public static EvalTransform torchvision(int crop) {
            return torchvision(crop, 256, Interpolation.BILINEAR);
        }

        /** {@code ImageClassification(crop_size=crop, resize_size=resize, interpolation=...)}. */
        public static EvalTransform torchvision(int crop, int resize, Interpolation interpolation) {
            return new EvalTransform(resize, crop, interpolation, IMAGENET_MEAN, IMAGENET_STD);
        }

        /** timm's eval transform: resize to {@code floor(inputSize / cropPct)}, as its {@code scale_size}. */
        public static EvalTransform timm(int inputSize, double cropPct, Interpolation interpolation, List<Double> mean,
                                         List<Double> std) {
            return new EvalTransform((int) Math.floor(inputSize / cropPct), inputSize, interpolation, mean, std);
        }

        /** The pipeline, from a decoded image in [0, 1] to the model's input. */
        public Transform toTransform() {
            return Transform.compose(Resize.shortSide(resizeSize, interpolation), new CenterCrop(cropSize),
                    new Normalize(floats(mean), floats(std)));
        }

        private static float[] floats(List<Double> values) {
            float[] f = new float[values.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = values.get(i).floatValue();
            }
            return f;
        }

        @Override
        public String toString() {
            return "resize " + resizeSize + ", crop " + cropSize + ", " + interpolation.name().toLowerCase(
                    java.util.Locale.ROOT) + ", mean " + mean + ", std " + std;
        }
    }

    /**
     * A classifier's classes in output order: their ids (WordNet ids for ImageNet) and readable names.
     *
     * @param name  the class set, such as {@code ImageNet-1k}
     * @param ids   the ids, which name an image folder's class folders
     * @param names the readable names
     */
    public record ClassList(String name, List<String> ids, List<String> names) {
        private static final String IMAGENET_RESOURCE = "imagenet-1k.tsv";

        public ClassList {
            ids = List.copyOf(ids);
            names = List.copyOf(names);
            if (ids.size() != names.size() || ids.isEmpty()) {
                throw new IllegalArgumentException(name + ": " + ids.size() + " ids and " + names.size() + " names");
            }
        }

        public int size() {
            return ids.size();
        }

        /**
         * ImageNet-1k's thousand classes in torchvision's order: its names ({@code _IMAGENET_CATEGORIES}) and the
         * sorted WordNet ids of the training folders (written by {@code src/tools/imagenet_classes.py}).
         */
        public static ClassList imagenet1k() {
            return ImageNet.CLASSES;
        }

        private static final class ImageNet {
            static final ClassList CLASSES = read();

            private static ClassList read() {
                List<String> ids = new ArrayList<>();
                List<String> names = new ArrayList<>();
                try (InputStream in = PretrainedWeights.class.getResourceAsStream(IMAGENET_RESOURCE)) {
                    if (in == null) {
                        throw new IllegalStateException(IMAGENET_RESOURCE + " is missing from the jar");
                    }
                    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                    String line;
                    while ((line = r.readLine()) != null) {
                        String[] f = line.split("\t", 2);
                        ids.add(f[0]);
                        names.add(f[1]);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return new ClassList("ImageNet-1k", ids, names);
            }
        }
    }
}
