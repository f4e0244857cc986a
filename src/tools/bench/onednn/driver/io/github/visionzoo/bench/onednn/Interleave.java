package io.github.visionzoo.bench.onednn;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Times {@code OneDnnShapesBench}'s shapes on several oneDNN versions and types in one JVM, interleaved: each version
 * in a class loader of its own (the presets of all versions share their Java package names; their natives have
 * different names), and for every shape and pass one run of each version and type in turn, {@code --reps} times after
 * one warm-up, so that all meet the same load on a shared machine. Every ratio is taken within one repetition and the
 * median over the repetitions reported, with its range.
 *
 * <p>Arguments: {@code VERSION=CLASSPATH} per version, the first the baseline, then options {@code --types f32,bf16},
 * {@code --models resnet34,vit_b_16,vgg16}, {@code --reps 5}, {@code --batch 16}. Output, tab-separated: per shape,
 * pass, version and type the implementation, the median milliseconds (prim, kept, seam: see
 * {@code OneDnnShapesBench}), its time against the baseline version in the same type and against f32 in the same
 * version; then the same ratios per model and phase over the model's passes (each shape's time times its count).
 */
public final class Interleave {
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>(Map.of("--types", "f32,bf16", "--models",
                "resnet34,vit_b_16,vgg16", "--reps", "5", "--batch", "16"));
        Map<String, Class<?>> benches = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                opts.put(args[i], args[++i]);
                continue;
            }
            String[] vc = args[i].split("=", 2);
            List<URL> urls = new ArrayList<>();
            for (String p : vc[1].split(File.pathSeparator)) {
                urls.add(new File(p).toURI().toURL());
            }
            ClassLoader loader = new URLClassLoader(vc[0], urls.toArray(new URL[0]),
                    ClassLoader.getPlatformClassLoader());
            benches.put(vc[0], Class.forName("io.github.visionzoo.bench.onednn.OneDnnShapesBench", true, loader));
        }
        String[] types = opts.get("--types").split(",");
        int reps = Integer.parseInt(opts.get("--reps"));
        long batch = Long.parseLong(opts.get("--batch"));
        List<String> versions = new ArrayList<>(benches.keySet());
        String base = versions.get(0);
        for (String v : versions) {
            System.out.println("# " + v + ": oneDNN " + benches.get(v).getMethod("version").invoke(null));
        }
        System.out.println("# batch " + batch + ", " + reps + " interleaved repetitions after one warm-up; ratios: "
                + "the baseline's (or f32's) time / this one's, median (min-max) over the repetitions");
        System.out.println("model\tcount\tshape\tpass\tversion\ttype\timpl\tprim_ms\tkept_ms\tseam_ms"
                + "\tvs_base_prim\tvs_base_seam\tvs_f32_prim\tvs_f32_kept\tvs_f32_seam");
        Method shapes = benches.get(base).getMethod("shapes", String.class, long.class);
        // per model, phase, version and type: the summed times of each repetition
        Map<String, double[][]> totals = new LinkedHashMap<>();
        @SuppressWarnings("unchecked")
        List<String[]> list = (List<String[]>) shapes.invoke(null, opts.get("--models"), batch);
        for (String[] shape : list) {
            List<String> keys = new ArrayList<>();
            List<List<Object[]>> cases = new ArrayList<>();
            List<AutoCloseable> closers = new ArrayList<>();
            for (String v : versions) {
                Method prepare = benches.get(v).getMethod("prepare", String.class, String.class, String.class,
                        long.class);
                for (String t : types) {
                    @SuppressWarnings("unchecked")
                    Map.Entry<List<Object[]>, AutoCloseable> e = (Map.Entry<List<Object[]>, AutoCloseable>)
                            prepare.invoke(null, shape[0], shape[2], t, batch);
                    keys.add(v + "\t" + t);
                    cases.add(e.getKey());
                    closers.add(e.getValue());
                }
            }
            int passes = cases.get(0).size();
            for (int p = 0; p < passes; p++) {
                double[][][] times = new double[keys.size()][reps][]; // case, repetition, {prim, kept, seam}
                for (int r = -1; r < reps; r++) {
                    for (int c = 0; c < keys.size(); c++) {
                        @SuppressWarnings("unchecked")
                        double[] t = ((Supplier<double[]>) cases.get(c).get(p)[2]).get();
                        if (r >= 0) {
                            times[c][r] = t;
                        }
                    }
                }
                String pass = (String) cases.get(0).get(p)[0];
                for (int c = 0; c < keys.size(); c++) {
                    String[] vt = keys.get(c).split("\t");
                    int b = keys.indexOf(base + "\t" + vt[1]);
                    int f = keys.indexOf(vt[0] + "\tf32");
                    System.out.printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%n", shape[0], shape[1],
                            shape[2], pass, keys.get(c), cases.get(c).get(p)[1], ms(times[c], 0), ms(times[c], 1),
                            ms(times[c], 2), ratio(times[b], times[c], 0), ratio(times[b], times[c], 2),
                            ratio(times[f], times[c], 0), ratio(times[f], times[c], 1), ratio(times[f], times[c], 2));
                    for (String phase : pass.equals("fwd") ? new String[] {"train", "infer"}
                            : new String[] {"train"}) {
                        double[][] sum = totals.computeIfAbsent(shape[0] + "\t" + phase + "\t" + keys.get(c),
                                k -> new double[reps][3]);
                        for (int r = 0; r < reps; r++) {
                            for (int i = 0; i < 3; i++) {
                                sum[r][i] += Integer.parseInt(shape[1]) * times[c][r][i];
                            }
                        }
                    }
                }
                System.out.flush();
            }
            for (int c = closers.size() - 1; c >= 0; c--) {
                closers.get(c).close();
            }
        }
        System.out.println("TOTAL\tmodel\tphase\tversion\ttype\tprim_ms\tkept_ms\tseam_ms\tvs_base_prim\tvs_base_seam"
                + "\tvs_f32_prim\tvs_f32_kept\tvs_f32_seam");
        for (Map.Entry<String, double[][]> e : totals.entrySet()) {
            String[] k = e.getKey().split("\t"); // model, phase, version, type
            double[][] b = totals.get(k[0] + "\t" + k[1] + "\t" + base + "\t" + k[3]);
            double[][] f = totals.get(k[0] + "\t" + k[1] + "\t" + k[2] + "\tf32");
            double[][] t = e.getValue();
            System.out.printf("TOTAL\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%n", e.getKey(), ms(t, 0), ms(t, 1),
                    ms(t, 2), ratio(b, t, 0), ratio(b, t, 2), ratio(f, t, 0), ratio(f, t, 1), ratio(f, t, 2));
        }
    }

    private static String ms(double[][] t, int i) {
        return String.format("%.1f", median(Arrays.stream(t).mapToDouble(x -> x[i]).toArray()));
    }

    /** The median over repetitions of {@code a / b}, with its range. */
    private static String ratio(double[][] a, double[][] b, int i) {
        if (a == null) {
            return "-";
        }
        double[] r = new double[b.length];
        for (int k = 0; k < r.length; k++) {
            r[k] = a[k][i] / b[k][i];
        }
        double[] s = r.clone();
        Arrays.sort(s);
        return String.format("%.2f (%.2f-%.2f)", median(r), s[0], s[s.length - 1]);
    }

    private static double median(double[] a) {
        double[] c = a.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }
}
