package io.github.visionzoo.zoo.kernels.onednn;

import io.github.visionzoo.zoo.kernels.MatrixSums;
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
 * libnd4j's {@code matmul} loops over the batch (the ViT's attention products on {@code [b, heads, T, d]} views of the
 * query, key and value rows); other products go through libnd4j ({@link MatrixSums#ND4J}), which runs rank 2 on
 * oneDNN itself. A transposed operand is a view with its last two strides swapped, so nothing is copied. The
 * primitives are kept per thread and layout (a model has a handful).
 */
final class OneDnnMatMul implements MatrixSums {
    /** The one instance: its primitives are per thread, not per layer. */
    static final OneDnnMatMul INSTANCE = new OneDnnMatMul();

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

    private OneDnnMatMul() {
    }

    @Override
    public void mmul(INDArray a, INDArray b, INDArray out, boolean transposeA, boolean transposeB, double alpha,
                     double beta) {
        if (takes(a, b, out)) {
            product(transposeA ? transposed(a) : a, transposeB ? transposed(b) : b, out, alpha, beta);
        } else {
            ND4J.mmul(a, b, out, transposeA, transposeB, alpha, beta);
        }
    }

    /**
     * Whether oneDNN takes the product: float arrays of one rank above 2 with the same batch dimensions (no
     * broadcasting).
     */
    static boolean takes(INDArray a, INDArray b, INDArray out) {
        int r = a.rank();
        if (r < 3 || b.rank() != r || out.rank() != r) {
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
    private static void product(INDArray a, INDArray b, INDArray out, double alpha, double beta) {
        String key = Arrays.toString(OneDnnRuntime.layout(a)) + Arrays.toString(OneDnnRuntime.layout(b))
                + Arrays.toString(OneDnnRuntime.layout(out)) + alpha + "," + beta;
        Product p = PRODUCTS.get().computeIfAbsent(key, k -> new Product(a, b, out, alpha, beta));
        OneDnnRuntime.execute(p.primitive, p.pd, args -> {
            args.put(dnnl.DNNL_ARG_SRC, OneDnnRuntime.memory(a));
            args.put(dnnl.DNNL_ARG_WEIGHTS, OneDnnRuntime.memory(b));
            args.put(dnnl.DNNL_ARG_DST, OneDnnRuntime.memory(out));
        });
    }

    /** {@code a} with its last two dimensions swapped: a view, the transpose of each matrix. */
    private static INDArray transposed(INDArray a) {
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
            primitive_attr attr = OneDnnRuntime.userScratchpad();
            if (alpha != 1.0) {
                attr.set_output_scales(0, new float[] {(float) alpha});
            }
            if (beta != 0.0) {
                post_ops ops = new post_ops();
                ops.append_sum((float) beta, memory.data_type.f32);
                attr.set_post_ops(ops);
            }
            pd = new matmul.primitive_desc(new matmul.desc(OneDnnRuntime.desc(a), OneDnnRuntime.desc(b),
                    OneDnnRuntime.desc(out)), attr, OneDnnRuntime.ENGINE);
            primitive = new matmul(pd);
        }

        void close() {
            primitive.close();
            pd.close();
        }
    }
}
