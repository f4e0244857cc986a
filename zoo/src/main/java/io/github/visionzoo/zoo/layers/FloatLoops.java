package io.github.visionzoo.zoo.layers;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * Element-wise passes over float arrays as Java loops, where libnd4j has no single op for them: the array is copied
 * row by row into a Java array (a bulk copy), the kernel runs there, and the result is copied back. The JIT
 * vectorizes a kernel without branches, calls (other than {@code Math.min}/{@code max}) or reductions, so one such
 * pass runs at about memory speed and replaces several libnd4j passes. Measured on 2 cores, {@code [1024, 12544]}
 * rows: {@code max(x * s + t, 0)} with per-row {@code s, t} 10.5 ms against 20.9 ms for libnd4j's three ops;
 * {@code a * dy + b * x + c} 14.0 against 23.3 ms for four. (Reductions and branches do not vectorize: a fused batch
 * norm with its sums in Java was slower than libnd4j.)
 */
final class FloatLoops {
    /** What a kernel does with one row: {@code out} from {@code a} (and {@code b}, where given). */
    interface RowKernel {
        void apply(long row, float[] a, float[] b, float[] out, int length);
    }

    private FloatLoops() {
    }

    /**
     * Whether the loops can take the array: float, C order, and all of its buffer from the first element (views and
     * other types go through libnd4j's ops instead).
     */
    static boolean takes(INDArray a) {
        return a.dataType() == DataType.FLOAT && a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a)
                && a.offset() == 0 && a.data().offset() == 0 && a.length() <= Integer.MAX_VALUE / Float.BYTES;
    }

    /**
     * Runs {@code kernel} on each row of {@code rowLength} elements of {@code a} (and {@code b}, or null) into
     * {@code out}, all of one length (the last row may be shorter), the rows split over the cores. {@code out} may
     * be {@code a} or {@code b}.
     */
    static void rows(INDArray a, INDArray b, INDArray out, int rowLength, RowKernel kernel) {
        FloatBuffer in = a.data().asNioFloat();
        FloatBuffer in2 = b == null ? null : b.data().asNioFloat();
        FloatBuffer result = out.data().asNioFloat();
        long n = a.length();
        long rows = (n + rowLength - 1) / rowLength;
        int workers = (int) Math.min(rows, Runtime.getRuntime().availableProcessors());
        IntStream.range(0, workers).parallel().forEach(w -> {
            float[] x = new float[rowLength];
            float[] y = b == null ? null : new float[rowLength];
            float[] z = new float[rowLength];
            for (long r = w * rows / workers; r < (w + 1) * rows / workers; r++) {
                int start = (int) (r * rowLength);
                int length = (int) Math.min(rowLength, n - start);
                in.get(start, x, 0, length);
                if (y != null) {
                    in2.get(start, y, 0, length);
                }
                kernel.apply(r, x, y, z, length);
                result.put(start, z, 0, length);
            }
        });
    }
}
