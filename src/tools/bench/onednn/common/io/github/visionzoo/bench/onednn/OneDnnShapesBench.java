package io.github.visionzoo.bench.onednn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * The reference models' convolutions (forward, backward-data, backward-weights) and matrix products at batch 16 on the
 * oneDNN of the classpath, in f32 and bf16, each pass timed three ways:
 *
 * <ul>
 *   <li>{@code prim}: the primitive alone, on arrays already in the layouts it chose ({@code any});</li>
 *   <li>{@code kept}: plus converting the float32 master weights into its layout and type (and the weight gradient
 *   back), as a network that keeps activations in the primitives' layouts and type between layers pays;</li>
 *   <li>{@code seam}: plus every reorder visionzoo's {@code OneDnnConvolution} pays at its NCHW float32 boundary
 *   (forward: input, weights, output; backward: output gradient once, weights, input gradient, input again, weight
 *   gradient); for the products, inputs in and output out.</li>
 * </ul>
 *
 * <p>The same source compiles against oneDNN 2.x and 3.x presets; only {@code Descs} (how primitive descriptors are
 * made) differs, in {@code v2/} and {@code v3/}. {@code Interleave} (in {@code driver/}) loads one or more versions,
 * each in a class loader of its own, and times their passes in turn ({@link #prepare}); {@code run.sh} builds and
 * runs it. The arrays hold a small constant (timing only).
 */
public final class OneDnnShapesBench {
    private static final engine ENGINE = new engine(engine.kind.cpu, 0);
    private static final stream STREAM = new stream(ENGINE);

    /** A convolution appearing {@code count} times in {@code model}: {@code c -> k} channels on {@code hw} maps. */
    record Conv(String model, int count, long c, long k, long hw, long kernel, long stride, long pad, boolean stem) {
        String name() {
            return c + "-" + k + "@" + hw + "k" + kernel + "s" + stride;
        }
    }

    /** A product {@code [m, k] x [k, n]} appearing {@code count} times ({@code batch} of them at once). */
    record Product(String model, int count, long batch, long m, long k, long n) {
        String name() {
            return (batch > 1 ? batch + "x" : "") + m + "x" + k + "x" + n;
        }
    }

    static List<Conv> convs(long b) {
        List<Conv> list = new ArrayList<>();
        // VGG-16 (torchvision's): 3x3, pad 1
        long[][] vgg = {{3, 64, 224, 1}, {64, 64, 224, 1}, {64, 128, 112, 1}, {128, 128, 112, 1}, {128, 256, 56, 1},
            {256, 256, 56, 2}, {256, 512, 28, 1}, {512, 512, 28, 2}, {512, 512, 14, 3}};
        for (long[] v : vgg) {
            list.add(new Conv("vgg16", (int) v[3], v[0], v[1], v[2], 3, 1, 1, v[0] == 3));
        }
        // ResNet-34: stem, four stages of basic blocks, 1x1 stride-2 shortcuts
        list.add(new Conv("resnet34", 1, 3, 64, 224, 7, 2, 3, true));
        list.add(new Conv("resnet34", 6, 64, 64, 56, 3, 1, 1, false));
        long[][] stages = {{64, 128, 56, 7, 28}, {128, 256, 28, 11, 14}, {256, 512, 14, 5, 7}};
        for (long[] s : stages) {
            list.add(new Conv("resnet34", 1, s[0], s[1], s[2], 3, 2, 1, false));
            list.add(new Conv("resnet34", (int) s[3], s[1], s[1], s[4], 3, 1, 1, false));
            list.add(new Conv("resnet34", 1, s[0], s[1], s[2], 1, 2, 0, false));
        }
        return list;
    }

    static List<Product> products(long b) {
        long t = b * 197;
        return List.of(new Product("vgg16", 1, 1, b, 25088, 4096), new Product("vgg16", 1, 1, b, 4096, 4096),
                new Product("vit_b_16", 12, 1, t, 768, 2304), new Product("vit_b_16", 12, 1, t, 768, 768),
                new Product("vit_b_16", 12, 1, t, 768, 3072), new Product("vit_b_16", 12, 1, t, 3072, 768),
                new Product("vit_b_16", 12, b * 12, 197, 64, 197), new Product("vit_b_16", 12, b * 12, 197, 197, 64));
    }

    /** The shapes of {@code models} (comma-separated) in measuring order: {model, count, name} each. */
    public static List<String[]> shapes(String models, long b) {
        List<String> wanted = Arrays.asList(models.split(","));
        List<String[]> list = new ArrayList<>();
        for (Product p : products(b)) {
            if (wanted.contains(p.model)) {
                list.add(new String[] {p.model, String.valueOf(p.count), p.name()});
            }
        }
        for (Conv c : convs(b)) {
            if (wanted.contains(c.model)) {
                list.add(new String[] {c.model, String.valueOf(c.count), c.name()});
            }
        }
        return list;
    }

    /** This oneDNN's version, as {@code major.minor.patch}. */
    public static String version() {
        return dnnl.dnnl_version().major() + "." + dnnl.dnnl_version().minor() + "." + dnnl.dnnl_version().patch();
    }

    /**
     * The passes of one shape ({@link #shapes}) in {@code type} ({@code f32} or {@code bf16}), ready to time: each a
     * {pass, impl, timer} whose timer runs it once and returns {prim, kept, seam} milliseconds. Types from the JDK
     * only, so that a driver can hold several oneDNN versions, each in a class loader of its own, and interleave
     * them. The returned closer frees the shape's arrays and primitives; close in the reverse order of preparing.
     */
    public static Map.Entry<List<Object[]>, AutoCloseable> prepare(String model, String name, String type, long b) {
        PointerScope scope = new PointerScope(); // stays open: the timers' reorders attach to it too
        memory.data_type dt = type.equals("bf16") ? memory.data_type.bf16 : memory.data_type.f32;
        List<Case> cases = new ArrayList<>();
        for (Conv c : convs(b)) {
            if (c.model.equals(model) && c.name().equals(name)) {
                cases.addAll(conv(c, b, dt));
            }
        }
        for (Product p : products(b)) {
            if (p.model.equals(model) && p.name().equals(name)) {
                cases.addAll(product(p, dt));
            }
        }
        List<Object[]> out = new ArrayList<>();
        for (Case c : cases) {
            out.add(new Object[] {c.pass, c.impl, (Supplier<double[]>) c::once});
        }
        return Map.entry(out, scope::close);
    }

    /** One pass of one shape: its primitive with its arguments, and the reorders around it (see the class). */
    record Case(String pass, String impl, primitive prim, IntMemoryMap args, List<Reorder> kept, List<Reorder> seam) {
        Case(String pass, primitive_desc_base pd, primitive prim, IntMemoryMap args, List<Reorder> kept,
             List<Reorder> seam) {
            this(pass, pd.impl_info_str().getString(), prim, args, kept, seam);
        }

        /** One run: {prim, kept, seam} in milliseconds. */
        double[] once() {
            long t0 = System.nanoTime();
            prim.execute(STREAM, args);
            STREAM._wait();
            long t1 = System.nanoTime();
            for (Reorder o : kept) {
                o.run();
            }
            STREAM._wait();
            long t2 = System.nanoTime();
            for (Reorder o : seam) {
                o.run();
            }
            STREAM._wait();
            long t3 = System.nanoTime();
            double prim = (t1 - t0) / 1e6;
            return new double[] {prim, prim + (t2 - t1) / 1e6, prim + (t3 - t2) / 1e6};
        }
    }

    private static List<Case> conv(Conv c, long b, memory.data_type dt) {
        long out = (c.hw + 2 * c.pad - c.kernel) / c.stride + 1;
        long[] srcDims = {b, c.c, c.hw, c.hw};
        long[] weiDims = {c.k, c.c, c.kernel, c.kernel};
        long[] dstDims = {b, c.k, out, out};
        long[] strides = {c.stride, c.stride};
        long[] pad = {c.pad, c.pad};
        memory.desc src = any(srcDims, dt);
        memory.desc wei = any(weiDims, dt);
        memory.desc dst = any(dstDims, dt);
        memory.desc bias = any(new long[] {c.k}, memory.data_type.f32);
        convolution_forward.primitive_desc fpd = Descs.forward(ENGINE, src, wei, bias, dst, strides, pad, pad);
        // bf16 weight gradients accumulate into float32, as with float32 master weights
        memory.desc dwei = any(weiDims, memory.data_type.f32);
        convolution_backward_weights.primitive_desc wpd = Descs.backwardWeights(ENGINE, src, dwei, bias, dst, strides,
                pad, pad, fpd);
        memory uSrc = user(srcDims, memory.format_tag.nchw);
        memory uWei = user(weiDims, memory.format_tag.oihw);
        memory uDst = user(dstDims, memory.format_tag.nchw);
        memory bMem = user(new long[] {c.k}, memory.format_tag.a);
        memory pSrc = mem(fpd.src_desc());
        memory pWei = mem(fpd.weights_desc());
        memory pDst = mem(fpd.dst_desc());
        List<Case> rows = new ArrayList<>();

        IntMemoryMap fargs = new IntMemoryMap();
        fargs.put(dnnl.DNNL_ARG_SRC, pSrc);
        fargs.put(dnnl.DNNL_ARG_WEIGHTS, pWei);
        fargs.put(dnnl.DNNL_ARG_BIAS, bMem);
        fargs.put(dnnl.DNNL_ARG_DST, pDst);
        rows.add(new Case("fwd", fpd, new convolution_forward(fpd), fargs,
                List.of(new Reorder(uWei, pWei)),
                List.of(new Reorder(uSrc, pSrc), new Reorder(uWei, pWei), new Reorder(pDst, uDst))));

        memory wSrc = mem(wpd.src_desc());
        memory wDiffDst = mem(wpd.diff_dst_desc());
        memory wDiffWei = mem(wpd.diff_weights_desc());
        memory uDiffWei = user(weiDims, memory.format_tag.oihw);
        IntMemoryMap wargs = new IntMemoryMap();
        wargs.put(dnnl.DNNL_ARG_SRC, wSrc);
        wargs.put(dnnl.DNNL_ARG_DIFF_DST, wDiffDst);
        wargs.put(dnnl.DNNL_ARG_DIFF_WEIGHTS, wDiffWei);
        wargs.put(dnnl.DNNL_ARG_DIFF_BIAS, mem(wpd.diff_bias_desc()));
        rows.add(new Case("bwd_w", wpd, new convolution_backward_weights(wpd), wargs,
                List.of(new Reorder(wDiffWei, uDiffWei)),
                List.of(new Reorder(uDst, wDiffDst), new Reorder(uSrc, wSrc), new Reorder(wDiffWei, uDiffWei))));

        if (!c.stem) {
            convolution_backward_data.primitive_desc dpd = Descs.backwardData(ENGINE, src, wei, dst, strides, pad, pad,
                    fpd);
            memory dDiffDst = mem(dpd.diff_dst_desc());
            memory dWei = mem(dpd.weights_desc());
            memory dDiffSrc = mem(dpd.diff_src_desc());
            IntMemoryMap dargs = new IntMemoryMap();
            dargs.put(dnnl.DNNL_ARG_DIFF_DST, dDiffDst);
            dargs.put(dnnl.DNNL_ARG_WEIGHTS, dWei);
            dargs.put(dnnl.DNNL_ARG_DIFF_SRC, dDiffSrc);
            // the output gradient is reordered once for both backward passes when their layouts agree
            List<Reorder> seam = new ArrayList<>(List.of(new Reorder(uWei, dWei), new Reorder(dDiffSrc, uSrc)));
            if (!dpd.diff_dst_desc().equals(wpd.diff_dst_desc())) {
                seam.add(new Reorder(uDst, dDiffDst));
            }
            // with kept weights the bf16 copy made for the forward pass serves; a different layout needs its own
            List<Reorder> kept = fpd.weights_desc().equals(dpd.weights_desc()) ? List.of()
                    : List.of(new Reorder(pWei, dWei));
            rows.add(new Case("bwd_d", dpd, new convolution_backward_data(dpd), dargs, kept, seam));
        }
        return rows;
    }

    private static List<Case> product(Product p, memory.data_type dt) {
        List<Case> rows = new ArrayList<>();
        // forward [m,k]x[k,n]; input gradient [m,n]x[n,k] (weights transposed); weight gradient [k,m]x[m,n]
        long[][][] passes = {{{p.m, p.k}, {p.k, p.n}}, {{p.m, p.n}, {p.n, p.k}}, {{p.k, p.m}, {p.m, p.n}}};
        String[] names = {"fwd", "bwd_d", "bwd_w"};
        for (int i = 0; i < 3; i++) {
            long[] a = passes[i][0];
            long[] w = passes[i][1];
            long[] aDims = p.batch > 1 ? new long[] {p.batch, a[0], a[1]} : a;
            long[] wDims = p.batch > 1 ? new long[] {p.batch, w[0], w[1]} : w;
            long[] dDims = p.batch > 1 ? new long[] {p.batch, a[0], w[1]} : new long[] {a[0], w[1]};
            memory.format_tag plain = p.batch > 1 ? memory.format_tag.abc : memory.format_tag.ab;
            boolean weightGrad = i == 2;
            memory.desc ad = new memory.desc(aDims, dt, plain);
            memory.desc wd = new memory.desc(wDims, dt, plain);
            memory.desc dd = new memory.desc(dDims, weightGrad ? memory.data_type.f32 : dt, plain);
            matmul.primitive_desc pd = Descs.matmul(ENGINE, ad, wd, dd);
            memory pa = mem(pd.src_desc());
            memory pw = mem(pd.weights_desc());
            memory pdst = mem(pd.dst_desc());
            memory ua = user(aDims, plain);
            memory uw = user(wDims, plain);
            memory ud = user(dDims, plain);
            IntMemoryMap args = new IntMemoryMap();
            args.put(dnnl.DNNL_ARG_SRC, pa);
            args.put(dnnl.DNNL_ARG_WEIGHTS, pw);
            args.put(dnnl.DNNL_ARG_DST, pdst);
            // kept: the weights' conversion, once per step (the input gradient's pass reuses it); attention has none
            List<Reorder> kept = i == 0 && p.batch == 1 ? List.of(new Reorder(uw, pw)) : List.of();
            List<Reorder> seam = List.of(new Reorder(ua, pa), new Reorder(uw, pw), new Reorder(pdst, ud));
            rows.add(new Case(names[i], pd, new matmul(pd), args, kept, seam));
        }
        return rows;
    }

    /** A reorder between two memories; a no-op where both have the same layout and type. */
    record Reorder(memory from, memory to) {
        void run() {
            if (!from.get_desc().equals(to.get_desc())) {
                new reorder(from, to).execute(STREAM, from, to);
            }
        }
    }

    private static memory.desc any(long[] dims, memory.data_type dt) {
        return new memory.desc(dims, dt, memory.format_tag.any);
    }

    /** Float32 memory in a plain layout, filled with a small non-zero constant (no denormals). */
    private static memory user(long[] dims, memory.format_tag tag) {
        memory m = new memory(new memory.desc(dims, memory.data_type.f32, tag), ENGINE);
        Pointer.memset(m.get_data_handle(), 0x3c, m.get_desc().get_size());
        return m;
    }

    private static memory mem(memory.desc d) {
        memory m = new memory(d, ENGINE);
        Pointer.memset(m.get_data_handle(), 0x3c, d.get_size());
        return m;
    }
}
