package io.github.visionzoo.zoo.layers;

import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A rearrangement of each image's token rows, with zero padding, as one row gather ({@code Nd4j.pullRows}) by an
 * index map, and its inverse: the Swin's pad, cyclic shift and window partition ({@link ShiftedWindowAttentionImpl})
 * and its patch merging's 2x2 groups ({@link PatchMergingImpl}), DaViT's window partition ({@link WindowAttentionImpl}),
 * so that nothing is padded, rolled, sliced,
 * permuted or concatenated. The map of one image says which of its tokens each of its rows reads, or -1 for a row
 * in the padding, which reads zeros; every token is read by exactly one row, so {@link #putBack} is a gather too.
 * The maps for a batch are built once per batch size.
 */
final class RowGather {
    private final int[] image;
    private final int tokens;
    private final boolean padded;
    private long batch;
    /** For the last batch size: the rows' tokens (the padding's pointing at one zero row after the tokens). */
    private int[] toRows;
    /** For the last batch size: the tokens' rows. */
    private int[] toTokens;

    /**
     * @param image  for each row of one image, the token of its {@code tokens} it reads, or -1 (padding)
     * @param tokens the tokens of one image
     * @throws IllegalArgumentException when a token is read by no row or by several
     */
    RowGather(int[] image, int tokens) {
        int[] readers = new int[tokens];
        boolean pad = false;
        for (int t : image) {
            if (t < 0) {
                pad = true;
            } else {
                readers[t]++;
            }
        }
        for (int t = 0; t < tokens; t++) {
            if (readers[t] != 1) {
                throw new IllegalArgumentException("token " + t + " is read by " + readers[t] + " rows, not one");
            }
        }
        this.image = image.clone();
        this.tokens = tokens;
        this.padded = pad;
    }

    /**
     * The map of one {@code height x width} image into windows of {@code window x window}: the image padded at the
     * bottom and right to whole windows, rolled by {@code -shift} on both axes, and partitioned, windows in row-major
     * order, each window's tokens row by row (torchvision's Swin and timm's DaViT: {@code F.pad}, {@code torch.roll},
     * {@code window_partition}). Row {@code r} is position {@code (py, px)} of the rolled padded map, which holds
     * position {@code ((py + shift) mod Hp, (px + shift) mod Wp)} of the padded map; -1 where that lies in the padding.
     */
    static int[] windows(long height, long width, int window, int shift) {
        long hp = (height + window - 1) / window * window;
        long wp = (width + window - 1) / window * window;
        int[] map = new int[Math.toIntExact(hp * wp)];
        int r = 0;
        for (long wy = 0; wy < hp / window; wy++) {
            for (long wx = 0; wx < wp / window; wx++) {
                for (int i = 0; i < window; i++) {
                    for (int j = 0; j < window; j++) {
                        long y = (wy * window + i + shift) % hp;
                        long x = (wx * window + j + shift) % wp;
                        map[r++] = y < height && x < width ? (int) (y * width + x) : -1;
                    }
                }
            }
        }
        return map;
    }

    /** The rows of {@code b} images, {@code [b*rows, C]}. */
    long rows(long b) {
        return b * image.length;
    }

    /**
     * {@code x [b*tokens, C]} rearranged into {@code out [b*rows, C]}; where there is padding, gathered from a copy
     * in workspace {@code work} with one zero row after the tokens.
     */
    INDArray gather(INDArray x, INDArray out, ArrayType work, LayerWorkspaceMgr mgr) {
        maps(x.size(0) / tokens);
        INDArray source = x;
        if (padded) {
            long n = x.size(0);
            source = mgr.createUninitialized(work, x.dataType(), n + 1, x.size(1));
            source.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()).assign(x);
            source.get(NDArrayIndex.point(n), NDArrayIndex.all()).assign(0);
        }
        Nd4j.pullRows(source, out, 1, toRows);
        return out;
    }

    /** The inverse of {@link #gather}: {@code rows [b*rows, C]} put back into {@code out [b*tokens, C]}. */
    INDArray putBack(INDArray rows, INDArray out) {
        maps(out.size(0) / tokens);
        Nd4j.pullRows(rows, out, 1, toTokens);
        return out;
    }

    private void maps(long b) {
        if (batch == b) {
            return;
        }
        int[] inverse = new int[tokens];
        for (int r = 0; r < image.length; r++) {
            if (image[r] >= 0) {
                inverse[image[r]] = r;
            }
        }
        toRows = new int[Math.toIntExact(b * image.length)];
        toTokens = new int[Math.toIntExact(b * tokens)];
        for (int i = 0; i < b; i++) {
            for (int r = 0; r < image.length; r++) {
                toRows[i * image.length + r] = image[r] < 0 ? (int) (b * tokens) : i * tokens + image[r];
            }
            for (int t = 0; t < tokens; t++) {
                toTokens[i * tokens + t] = i * image.length + inverse[t];
            }
        }
        batch = b;
    }
}
