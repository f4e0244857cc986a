package io.github.visionzoo.zoo.kernels;

import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The standard normal CDF {@code Phi(u) = (1 + erf(u / sqrt 2)) / 2}, the gate of exact GELU ({@code u Phi(u)}).
 *
 * <p>Float arrays go through a Java loop ({@link FloatLoops}) that the JIT vectorizes: {@code erf} as the
 * odd-over-even rational approximation on {@code [-4, 4]} (where float {@code erf} is not yet +-1) that Eigen and XLA
 * use for float ({@code generic_fast_erf_float}), max abs error of {@code Phi} 2.3e-7 over {@code [-10, 10]} against
 * 6.4e-8 for libnd4j's {@code erf}. Why: libnd4j's {@code erf} is glibc's scalar {@code erff}, one element at a
 * time, followed by its scaling passes. Other types (double, for gradient checks), views and non-C-order arrays take
 * libnd4j's exact {@code erf}.
 *
 * <p>The same loops serve exact GELU itself ({@link #gelu}: the gate and {@code u Phi(u)} in one pass) and its
 * derivative {@code Phi(u) + u phi(u)} ({@link #timesGeluDerivative}, the density without an {@code exp} call, in one
 * pass where libnd4j takes seven ops).
 */
public final class GaussianCdf {
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final float SQRT_HALF_F = (float) SQRT_HALF;
    // erf(x) ~ x * (a1 + a3 x^2 + ... + a13 x^12) / (b0 + b2 x^2 + ... + b8 x^8)
    private static final float A1 = -1.60960333262415e-02f;
    private static final float A3 = -2.95459980854025e-03f;
    private static final float A5 = -7.34990630326855e-04f;
    private static final float A7 = -5.69250639462346e-05f;
    private static final float A9 = -2.10102402082508e-06f;
    private static final float A11 = 2.77068142495902e-08f;
    private static final float A13 = -2.72614225801306e-10f;
    private static final float B0 = -1.42647390514189e-02f;
    private static final float B2 = -7.37332916720468e-03f;
    private static final float B4 = -1.68282697438203e-03f;
    private static final float B6 = -2.13374055278905e-04f;
    private static final float B8 = -1.45660718464996e-05f;
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2 * Math.PI);
    private static final float INV_SQRT_2PI_F = (float) INV_SQRT_2PI;

    private GaussianCdf() {
    }

    /** {@code phi = Phi(u)}; both arrays of one shape. */
    public static void of(INDArray u, INDArray phi) {
        requireOneShape("Phi(u)", u, phi);
        if (FloatLoops.takes(u, phi)) {
            cdfLoop(u, phi, null);
        } else {
            Nd4j.exec(new Erf(u.mul(SQRT_HALF), phi));
            phi.muli(0.5).addi(0.5);
        }
    }

    /**
     * Exact GELU: {@code out = u Phi(u)}, and {@code phi = Phi(u)} where not null (the backward pass needs it), all of
     * one shape; {@code out} may be {@code u}. For float in one pass over {@code u} instead of two.
     */
    public static void gelu(INDArray u, INDArray phi, INDArray out) {
        requireOneShape("GELU", phi == null ? new INDArray[] {u, out} : new INDArray[] {u, phi, out});
        if (FloatLoops.takes(u, out) && (phi == null || FloatLoops.takes(phi))) {
            cdfLoop(u, phi, out);
        } else {
            INDArray gate = phi != null ? phi : u.ulike();
            of(u, gate);
            Nd4j.exec(new MulOp(u, gate, out));
        }
    }

    /**
     * {@code phi = Phi(u)} where not null, and {@code gelu = u Phi(u)} where not null; float arrays that
     * {@link FloatLoops} takes.
     */
    private static void cdfLoop(INDArray u, INDArray phi, INDArray gelu) {
        // the outputs given, the gate first; without a gate array the gate is computed in the GELU output's buffer
        INDArray[] outputs = Stream.of(phi, gelu).filter(Objects::nonNull).toArray(INDArray[]::new);
        FloatLoops.rows(new INDArray[] {u}, outputs, FloatLoops.CHUNK, (worker, row, in, out, length) -> {
            float[] p = out[0];
            chunk(in[0], p, length);
            if (gelu != null) {
                float[] x = in[0];
                float[] g = out[out.length - 1];
                for (int i = 0; i < length; i++) {
                    g[i] = x[i] * p[i];
                }
            }
        });
    }

    /**
     * {@code du *= d/du [u Phi(u)] = Phi(u) + u phi(u)}, exact GELU's derivative with {@code phi} the normal density,
     * given {@code Phi(u)} from the forward pass; all three arrays of one shape, {@code scratch} too (used by the ND4J
     * path only). For float, one Java pass ({@link #density}) instead of libnd4j's seven.
     */
    public static void timesGeluDerivative(INDArray du, INDArray u, INDArray cdf, INDArray scratch) {
        requireOneShape("GELU's derivative", du, u, cdf);
        if (FloatLoops.takes(du, u, cdf)) {
            FloatLoops.rows(new INDArray[] {du, u, cdf}, new INDArray[] {du}, FloatLoops.CHUNK,
                    (worker, row, in, out, length) -> {
                        float[] d = in[0];
                        float[] x = in[1];
                        float[] p = in[2];
                        float[] z = out[0];
                        // two loops: as one, the body is past C2's unrolling limit (LoopUnrollLimit) and is
                        // not vectorized
                        for (int i = 0; i < length; i++) {
                            z[i] = densityRoot(x[i]);
                        }
                        for (int i = 0; i < length; i++) {
                            z[i] = d[i] * (p[i] + x[i] * densityFromRoot(z[i]));
                        }
                    });
            return;
        }
        Nd4j.exec(new MulOp(u, u, scratch));
        scratch.muli(-0.5);
        Nd4j.exec(new Exp(scratch, scratch));
        scratch.muli(INV_SQRT_2PI).muli(u).addi(cdf);
        du.muli(scratch);
    }

    private static void requireOneShape(String what, INDArray... arrays) {
        for (INDArray a : arrays) {
            if (!a.equalShapes(arrays[0])) {
                throw new IllegalArgumentException(what + " needs arrays of one shape, got "
                        + Arrays.stream(arrays).map(x -> Arrays.toString(x.shape())).toList());
            }
        }
    }

    /**
     * The normal density {@code exp(-u^2/2) / sqrt(2 pi)} in float arithmetic the JIT vectorizes (no {@code exp}
     * call): {@code exp(y) = (exp(y / 32))^32}, the inner one a degree-9 Taylor polynomial on {@code [-0.57, 0]}
     * (error 3e-8), then squared five times; {@code |u|} is clamped at 6, where the density is 6e-9. Relative error
     * up to 6e-6 (float rounding, amplified by the squarings), so {@code u phi(u)} is within 5e-7 of the exact value
     * on {@code [-12, 12]}.
     */
    static float density(float u) {
        return densityFromRoot(densityRoot(u));
    }

    /** {@code exp(-min(u^2, 36) / 64)}, by the Taylor polynomial. */
    private static float densityRoot(float u) {
        float y = Math.min(u * u, 36f) * (-1f / 64f);
        float e = y * (1f / 362880f) + (1f / 40320f);
        e = y * e + (1f / 5040f);
        e = y * e + (1f / 720f);
        e = y * e + (1f / 120f);
        e = y * e + (1f / 24f);
        e = y * e + (1f / 6f);
        e = y * e + 0.5f;
        e = y * e + 1f;
        return y * e + 1f;
    }

    /** {@code root^32 / sqrt(2 pi)}. */
    private static float densityFromRoot(float root) {
        float e = root * root;
        e *= e;
        e *= e;
        e *= e;
        e *= e;
        return e * INV_SQRT_2PI_F;
    }

    /** The kernel: no branches, no calls but {@code min}/{@code max}, so the JIT vectorizes it. */
    private static void chunk(float[] u, float[] phi, int length) {
        for (int i = 0; i < length; i++) {
            float x = Math.max(Math.min(u[i] * SQRT_HALF_F, 4f), -4f);
            float x2 = x * x;
            float p = x2 * A13 + A11;
            p = x2 * p + A9;
            p = x2 * p + A7;
            p = x2 * p + A5;
            p = x2 * p + A3;
            p = x2 * p + A1;
            float q = x2 * B8 + B6;
            q = x2 * q + B4;
            q = x2 * q + B2;
            q = x2 * q + B0;
            phi[i] = 0.5f + 0.5f * (x * p / q);
        }
    }
}
