package io.github.visionzoo.zoo.weights;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * timm's Vision Transformer tensor names as torchvision's, so that timm's {@code vit_tiny_patch16_224} and
 * {@code vit_small_patch16_224} weights load into {@code vit_ti_16} and {@code vit_s_16}. The tensors themselves are
 * laid out alike (timm's fused {@code attn.qkv} is torchvision's {@code in_proj}: q, k and v stacked on the first
 * axis). torchvision's older {@code mlp.linear_1}/{@code mlp.linear_2} names are read too. Names that are already
 * torchvision's pass unchanged.
 */
final class TimmVitNames {
    private record Rule(Pattern from, String to) {
    }

    private static final String LAYER = "encoder.layers.encoder_layer_$1.";
    private static final List<Rule> RULES = List.of(
            rule("patch_embed\\.proj\\.(weight|bias)", "conv_proj.$1"),
            rule("cls_token", "class_token"),
            rule("pos_embed", "encoder.pos_embedding"),
            rule("blocks\\.(\\d+)\\.norm1\\.(weight|bias)", LAYER + "ln_1.$2"),
            rule("blocks\\.(\\d+)\\.norm2\\.(weight|bias)", LAYER + "ln_2.$2"),
            rule("blocks\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)", LAYER + "self_attention.in_proj_$2"),
            rule("blocks\\.(\\d+)\\.attn\\.proj\\.(weight|bias)", LAYER + "self_attention.out_proj.$2"),
            rule("blocks\\.(\\d+)\\.mlp\\.fc1\\.(weight|bias)", LAYER + "mlp.0.$2"),
            rule("blocks\\.(\\d+)\\.mlp\\.fc2\\.(weight|bias)", LAYER + "mlp.3.$2"),
            rule("norm\\.(weight|bias)", "encoder.ln.$1"),
            rule("head\\.(weight|bias)", "heads.head.$1"),
            rule("(encoder\\.layers\\.encoder_layer_\\d+)\\.mlp\\.linear_1\\.(weight|bias)", "$1.mlp.0.$2"),
            rule("(encoder\\.layers\\.encoder_layer_\\d+)\\.mlp\\.linear_2\\.(weight|bias)", "$1.mlp.3.$2"));

    private TimmVitNames() {
    }

    private static Rule rule(String from, String to) {
        return new Rule(Pattern.compile(from), to);
    }

    /** torchvision's name for {@code name}. */
    static String toTorchvision(String name) {
        for (Rule r : RULES) {
            Matcher m = r.from().matcher(name);
            if (m.matches()) {
                return m.replaceFirst(r.to());
            }
        }
        return name;
    }
}
