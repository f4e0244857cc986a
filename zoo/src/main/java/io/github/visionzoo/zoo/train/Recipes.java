package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The bundled training recipes, and recipes from files.
 *
 * <ul>
 * <li>{@code study-alexnet}, {@code study-vgg}, {@code study-resnet}, {@code study-vit}: the reference study's
 * recipes: AdamW, learning rate 1e-4, weight decay 0.01, batch 256, 200 epochs, the rate divided by 10 every 2000
 * iterations (AlexNet, VGG) or 1000 (ResNet, ViT), augmentation preset {@code study} at 227 (AlexNet) or 224 pixels;
 * <li>{@code study-swin}: the study's batch, epochs and augmentation with the Swin paper's AdamW: 1e-3 per 1024
 * images scaled to batch 256 (2.5e-4), weight decay 0.05, label smoothing 0.1, a 20-epoch warm-up and cosine decay;
 * <li>{@code study-davit}: the DaViT paper's AdamW at 2e-3 for batch 2048 scaled linearly to the study's batch 256
 * (2.5e-4), weight decay 0.05, a 20-epoch warm-up and cosine decay over the study's 200 epochs, augmentation
 * {@code study} at 224 pixels;
 * <li>{@code alexnet-paper}: the AlexNet paper's SGD, momentum 0.9, weight decay 5e-4, learning rate 0.01, batch 128,
 * 90 epochs; the paper divided the rate by 10 whenever the validation error stopped improving, which happened three
 * times, approximated here by a step every 30 epochs;
 * <li>{@code cpu-small}: what {@code train} runs by default, after fastai's 5-epoch low-resolution Imagenette
 * recipe: AdamW at 1e-3, cosine decay without warm-up, weight decay 0.01 on kernels, label smoothing 0.1, batch 64 at
 * 64x64, crop scale 0.35-1; the convolutional networks' default;
 * <li>{@code cpu-transformer}: the transformers' default (ViT, Swin, DaViT): {@code cpu-small} with DeiT's and Swin's
 * habits, a one-epoch linear warm-up and weight decay 0.05, at batch 32;
 * <li>{@code finetune-vit}: fine-tuning a pretrained ViT as the ViT paper's code does: SGD with momentum 0.9, no
 * weight decay, 5 % linear warm-up and cosine decay, at 384 px; its rate for batches of 512 scaled to batches of 64.
 * </ul>
 */
public final class Recipes {
    /** The bundled recipe names. */
    public static final List<String> BUNDLED = List.of("study-alexnet", "study-vgg", "study-resnet", "study-vit",
            "study-swin", "study-davit", "alexnet-paper", "cpu-small", "cpu-transformer", "finetune-vit");

    private Recipes() {
    }

    /**
     * A bundled recipe.
     *
     * @throws IllegalArgumentException for an unknown name, listing the bundled ones
     */
    public static TrainingRecipe get(String name) {
        if (!BUNDLED.contains(name)) {
            throw new IllegalArgumentException("unknown recipe '" + name + "'; bundled recipes: "
                    + String.join(", ", BUNDLED) + " (or give the path of a JSON recipe file)");
        }
        String resource = "recipes/" + name + ".json";
        try (InputStream in = Recipes.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("bundled recipe " + resource + " is missing from the jar");
            }
            return TrainingRecipe.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8),
                    "bundled recipe " + name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundled recipe " + resource, e);
        }
    }

    /** A recipe from a JSON file; errors name the file and the field. */
    public static TrainingRecipe load(Path file) {
        return Json.read(file, TrainingRecipe.class);
    }

    /** A bundled recipe by name, else a JSON file by path. */
    public static TrainingRecipe resolve(String nameOrPath) {
        if (BUNDLED.contains(nameOrPath)) {
            return get(nameOrPath);
        }
        Path file = Path.of(nameOrPath);
        if (Files.isRegularFile(file)) {
            return load(file);
        }
        throw new IllegalArgumentException("'" + nameOrPath + "' is neither a bundled recipe ("
                + String.join(", ", BUNDLED) + ") nor a recipe file");
    }
}
