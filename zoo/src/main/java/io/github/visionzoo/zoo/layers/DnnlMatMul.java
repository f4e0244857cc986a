package io.github.visionzoo.zoo.layers;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batched matrix products ({@code [..., m, k] x [..., k, n]}) as oneDNN's matmul primitive on strided views, where
 * libnd4j's {@code matmul} loops over the batch: ViT-B/16's attention products at batch 16 ({@code [16, 12, 197, 64]}
 * views of the query, key and value rows) took 15.8 and 14.6 ms per block through libnd4j (60-65 GFLOP/s on 2 cores)
 * and 7.8 and 11.6 ms here. A transposed operand is a view with its last two strides swapped, so nothing is copied.
 * The primitives are kept per thread and layout (a model has a handful).
 */
final class DnnlMatMul {
    private static final int KEPT = 32;
    private static final ThreadLocal<Map<String, Product>> PRODUCTS = ThreadLocal.withInitial(
            () -> new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Product> eldest) {
                    if (size() > KEPT) {
                        eldest.getValue().close();
                        return true;
                    }
                    return false;
                }
            });

    private DnnlMatMul() {
    }

    /**
     * Whether oneDNN takes the product: float arrays of one rank above 2 with the same batch dimensions (no
     * broadcasting), where {@link Dnnl#available()}.
     */
    static boolean takes(INDArray a, INDArray b, INDArray out) {
        int r = a.rank();
        if (r < 3 || b.rank() != r || out.rank() != r || !Dnnl.available()) {
            return false;
        }
        for (INDArray x : new INDArray[] {a, b, out}) {
            if (x.dataType() != DataType.FLOAT) {
                return false;
            }
        }
        long[] batch = Arrays.copyOf(a.shape(), r - 2);
        return Arrays.equals(batch, Arrays.copyOf(b.shape(), r - 2))
                && Arrays.equals(batch, Arrays.copyOf(out.shape(), r - 2));
    }

    /** {@code out = alpha * a b + beta * out} on the last two dimensions ({@link #takes}). */
    static void product(INDArray a, INDArray b, INDArray out, double alpha, double beta) {
        String key = Arrays.toString(Dnnl.layout(a)) + Arrays.toString(Dnnl.layout(b))
                + Arrays.toString(Dnnl.layout(out)) + alpha + "," + beta;
        Product p = PRODUCTS.get().computeIfAbsent(key, k -> new Product(a, b, out, alpha, beta));
        Dnnl.execute(p.primitive, p.pd, args -> {
            args.put(dnnl.DNNL_ARG_SRC, Dnnl.memory(a));
            args.put(dnnl.DNNL_ARG_WEIGHTS, Dnnl.memory(b));
            args.put(dnnl.DNNL_ARG_DST, Dnnl.memory(out));
        });
    }

    /** {@code a} with its last two dimensions swapped: a view, the transpose of each matrix. */
    static INDArray transposed(INDArray a) {
        int[] order = new int[a.rank()];
        Arrays.setAll(order, i -> i);
        order[order.length - 2] = order.length - 1;
        order[order.length - 1] = order.length - 2;
        return a.permute(order);
    }

    /** One product's primitive. */
    private static final class Product {
        final matmul.primitive_desc pd;
        final matmul primitive;

        Product(INDArray a, INDArray b, INDArray out, double alpha, double beta) {
            primitive_attr attr = Dnnl.userScratchpad();
            if (alpha != 1.0) {
                attr.set_output_scales(0, new float[] {(float) alpha});
            }
            if (beta != 0.0) {
                post_ops ops = new post_ops();
                ops.append_sum((float) beta, memory.data_type.f32);
                attr.set_post_ops(ops);
            }
            pd = new matmul.primitive_desc(new matmul.desc(Dnnl.desc(a), Dnnl.desc(b), Dnnl.desc(out)), attr,
                    Dnnl.ENGINE);
            primitive = new matmul(pd);
        }

        void close() {
            primitive.close();
            pd.close();
        }
    }
}
