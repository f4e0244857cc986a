package io.github.visionzoo.zoo.train;

import io.github.visionzoo.zoo.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The run's PNG charts, drawn with XChart and written atomically: {@value #LOSS} (training loss per iteration window,
 * validation loss per epoch), {@value #ACCURACY} (training accuracy, validation top-1 and top-5) and
 * {@value #CONFUSION} (the latest validation confusion matrix as a heat map, rows the true class).
 */
final class Charts {
    static final String LOSS = "loss.png";
    static final String ACCURACY = "accuracy.png";
    static final String CONFUSION = "confusion.png";

    private Charts() {
    }

    static void write(Path dir, List<Metrics.Line> lines, EvalReport latest) throws IOException {
        List<Metrics.Iterations> windows = of(lines, Metrics.Iterations.class);
        List<Metrics.Epoch> epochs = of(lines, Metrics.Epoch.class);

        XYChart loss = lineChart("Loss", "cross-entropy");
        addSeries(loss, "train", windows, Metrics.Iterations::epochProgress, Metrics.Iterations::loss, false);
        addSeries(loss, "val", epochs, e -> (double) e.epoch(), Metrics.Epoch::valLoss, true);
        save(loss, dir.resolve(LOSS));

        XYChart accuracy = lineChart("Accuracy", "accuracy");
        addSeries(accuracy, "train", filter(windows, w -> w.accuracy() != null), Metrics.Iterations::epochProgress,
                Metrics.Iterations::accuracy, false);
        addSeries(accuracy, "val top-1", epochs, e -> (double) e.epoch(), Metrics.Epoch::valTop1, true);
        addSeries(accuracy, "val top-5", epochs, e -> (double) e.epoch(), Metrics.Epoch::valTop5, true);
        save(accuracy, dir.resolve(ACCURACY));

        save(confusion(latest), dir.resolve(CONFUSION));
    }

    private static XYChart lineChart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("epoch")
                .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setMarkerSize(6);
        return chart;
    }

    private static <T> void addSeries(XYChart chart, String name, List<T> points, Function<T, Double> x,
                                      Function<T, Double> y, boolean markers) {
        if (points.isEmpty()) {
            return; // XChart rejects empty series
        }
        XYSeries series = chart.addSeries(name, points.stream().map(x).toList(), points.stream().map(y).toList());
        series.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }

    private static HeatMapChart confusion(EvalReport report) {
        int[][] m = report.confusion();
        int classes = m.length;
        int size = Math.max(500, Math.min(1600, 120 + 40 * classes));
        HeatMapChart chart = new HeatMapChartBuilder().width(size + 100).height(size).title(String.format(
                java.util.Locale.ROOT, "Confusion matrix (val top-1 %.1f%%)", 100 * report.top1()))
                .xAxisTitle("predicted").yAxisTitle("true").build();
        chart.getStyler().setShowValue(classes <= 30);
        chart.getStyler().setXAxisLabelRotation(classes > 5 ? 45 : 0);
        List<Number[]> cells = new ArrayList<>();
        for (int actual = 0; actual < classes; actual++) {
            for (int predicted = 0; predicted < classes; predicted++) {
                cells.add(new Number[]{predicted, actual, m[actual][predicted]});
            }
        }
        chart.addSeries("count", report.classNames(), report.classNames(), cells);
        return chart;
    }

    private static void save(Chart<?, ?> chart, Path file) throws IOException {
        byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        AtomicFiles.write(file, out -> out.write(png));
    }

    private static <T> List<T> of(List<Metrics.Line> lines, Class<T> type) {
        return lines.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static <T> List<T> filter(List<T> list, Predicate<T> keep) {
        return list.stream().filter(keep).toList();
    }
}
