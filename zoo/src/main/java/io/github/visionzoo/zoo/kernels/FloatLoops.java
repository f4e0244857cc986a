package io.github.visionzoo.zoo.kernels;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element-wise and per-row passes over float arrays as Java loops, where libnd4j has no single op for them: each array
 * is copied row by row into a Java array (a bulk copy), the kernel runs there, and the results are copied back. The
 * JIT vectorizes a loop without branches, calls (other than {@code Math.min}/{@code max}) or reductions, so one such
 * pass runs at about memory speed and replaces several libnd4j passes (batch norm's {@code max(x * s + t, 0)} with
 * per-row {@code s, t} replaces three, its backward {@code a * dy + b * x + c} four).
 *
 * <p>Reductions do not vectorize (Java keeps the order of float additions), so they only pay where the row is short
 * and already in cache: {@link #sum} and {@link #dot} keep eight partial sums, which the JIT holds in registers, and
 * the layers run them on a row while it is in cache for an element-wise pass anyway (batch norm's rows, a token's
 * features in the encoder block's layer norms).
 */
public final class FloatLoops {
    /**
     * What a kernel does with one row: reads row {@code row} of each input in {@code in}, writes that row of each
     * output into {@code out}; {@code worker} (0 to {@link #workers} - 1) runs the rows of one contiguous range in
     * order, so a kernel can accumulate per worker.
     */
    public interface Kernel {
        void apply(int worker, long row, float[][] in, float[][] out, int length);
    }

    /**
     * Row length for element-wise passes, where any length serves: 8192 floats, 32 KiB, so that a row's copies stay in
     * the core's cache.
     */
    public static final int CHUNK = 8192;

    private FloatLoops() {
    }

    /**
     * Whether the loops can take the array: float, its elements dense in C order from the first element of its buffer
     * (views and other types go through libnd4j's ops instead).
     */
    public static boolean takes(INDArray a) {
        return a.dataType() == DataType.FLOAT && denseInCOrder(a) && a.offset() == 0 && a.data().offset() == 0
                && a.length() <= Integer.MAX_VALUE / Float.BYTES;
    }

    /**
     * Whether each element of {@code a} lies where C order puts it. The stride of a dimension of size 1 never moves
     * anything, so it may be anything: ND4J's own test ({@code Shape.hasDefaultStridesForShape}) asks for strictly
     * descending strides and so refuses {@code [b, 1, 1, c]}, the channels-last view of a 1x1 feature map (AlexNet's
     * last pooling at 64 px).
     */
    static boolean denseInCOrder(INDArray a) {
        long expected = 1;
        for (int i = a.rank() - 1; i >= 0; i--) {
            long size = a.size(i);
            if (size != 1 && a.stride(i) != expected) {
                return false;
            }
            expected *= size;
        }
        return true;
    }

    /** Whether the loops can take all of the arrays. */
    public static boolean takes(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (!takes(a)) {
                return false;
            }
        }
        return true;
    }

    /** How many workers {@link #rows} uses for {@code rows} rows: one per core, at most one per row. */
    public static int workers(long rows) {
        return (int) Math.max(1, Math.min(rows, Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Runs {@code kernel} on each row of {@code rowLength} elements of the inputs into the outputs, all of one length
     * (the last row may be shorter), the rows split over {@link #workers} in contiguous ranges. An output may also be
     * an input.
     */
    public static void rows(INDArray[] inputs, INDArray[] outputs, int rowLength, Kernel kernel) {
        FloatBuffer[] in = buffers(inputs);
        FloatBuffer[] result = buffers(outputs);
        long n = inputs[0].length();
        long rows = (n + rowLength - 1) / rowLength;
        int workers = workers(rows);
        IntStream.range(0, workers).parallel().forEach(w -> {
            float[][] x = new float[in.length][rowLength];
            float[][] z = new float[result.length][rowLength];
            for (long r = w * rows / workers; r < (w + 1) * rows / workers; r++) {
                int start = (int) (r * rowLength);
                int length = (int) Math.min(rowLength, n - start);
                for (int i = 0; i < in.length; i++) {
                    in[i].get(start, x[i], 0, length);
                }
                kernel.apply(w, r, x, z, length);
                for (int i = 0; i < result.length; i++) {
                    result[i].put(start, z[i], 0, length);
                }
            }
        });
    }

    private static FloatBuffer[] buffers(INDArray[] arrays) {
        FloatBuffer[] buffers = new FloatBuffer[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            buffers[i] = arrays[i].data().asNioFloat();
        }
        return buffers;
    }

    /**
     * The derivative of a ReLU from its output {@code o >= 0}: 0 at 0, 1 for every positive float. As
     * {@code min(o * 2^126 * 2^126, 1)} (the smallest subnormal becomes 1e31), without the branch or comparison the
     * JIT would not vectorize.
     */
    public static float reluMask(float o) {
        return Math.min(o * 0x1p126f * 0x1p126f, 1f);
    }

    /** The sum of {@code a[0, length)}, in eight partial sums. */
    public static float sum(float[] a, int length) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
            s4 += a[i + 4];
            s5 += a[i + 5];
            s6 += a[i + 6];
            s7 += a[i + 7];
        }
        for (; i < length; i++) {
            s0 += a[i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** The sum of {@code (a[i] - m)^2} over {@code [0, length)}, in eight partial sums. */
    public static float squaresAbout(float[] a, float m, int length) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            float d0 = a[i] - m;
            float d1 = a[i + 1] - m;
            float d2 = a[i + 2] - m;
            float d3 = a[i + 3] - m;
            float d4 = a[i + 4] - m;
            float d5 = a[i + 5] - m;
            float d6 = a[i + 6] - m;
            float d7 = a[i + 7] - m;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
            s4 += d4 * d4;
            s5 += d5 * d5;
            s6 += d6 * d6;
            s7 += d7 * d7;
        }
        for (; i < length; i++) {
            float d = a[i] - m;
            s0 += d * d;
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** The dot product of {@code a[0, length)} and {@code b[0, length)}, in eight partial sums. */
    public static float dot(float[] a, float[] b, int length) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
            s4 += a[i + 4] * b[i + 4];
            s5 += a[i + 5] * b[i + 5];
            s6 += a[i + 6] * b[i + 6];
            s7 += a[i + 7] * b[i + 7];
        }
        for (; i < length; i++) {
            s0 += a[i] * b[i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
}
