package dev.coral.perf.stress;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts drawn with XChart, one look for the whole report. */
public final class Charts {
    private static final int WIDTH = 860;
    private static final int HEIGHT = 460;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /** One series: its name and its points. */
    public record Series(String name, double[] x, double[] y, boolean points) {
        public static Series line(String name, double[] x, double[] y) {
            return new Series(name, x, y, false);
        }

        public static Series points(String name, double[] x, double[] y) {
            return new Series(name, x, y, true);
        }
    }

    /** An XY chart (lines, or dots for series with many noisy points) saved as {@code out/file}. */
    public static void xy(Path out, String file, String title, String xTitle, String yTitle, boolean logY, List<Series> series)
            throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        AxesChartStyler s = chart.getStyler();
        style(s);
        chart.getStyler().setYAxisLogarithmic(logY);
        chart.getStyler().setXAxisTickMarkSpacingHint(90);
        chart.getStyler().setYAxisDecimalPattern(logY ? "0.###E0" : "#,##0.###");
        for (Series ser : series) {
            if (ser.x.length == 0) {
                continue;
            }
            XYSeries x = chart.addSeries(ser.name, ser.x, ser.y);
            if (ser.points) {
                x.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                x.setMarker(SeriesMarkers.CIRCLE);
            } else {
                x.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                x.setMarker(ser.x.length <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            }
        }
        chart.getStyler().setMarkerSize(series.stream().anyMatch(Series::points) ? 3 : 6);
        BitmapEncoder.saveBitmap(chart, out.resolve(file).toString(), BitmapFormat.PNG);
    }

    /** A grouped bar chart: categories along x, one bar per series. */
    public static void bars(Path out, String file, String title, String xTitle, String yTitle, List<String> categories,
                            Map<String, List<Double>> series) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(chart.getStyler());
        chart.getStyler().setYAxisDecimalPattern("#,##0.#");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        series.forEach((name, ys) -> chart.addSeries(name, categories, ys));
        BitmapEncoder.saveBitmap(chart, out.resolve(file).toString(), BitmapFormat.PNG);
    }

    private static void style(AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(225, 225, 225));
        s.setLegendPosition(Styler.LegendPosition.InsideNW);
        s.setLegendBorderColor(new Color(200, 200, 200));
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setSeriesColors(new Color[] {new Color(0, 114, 178), new Color(213, 94, 0), new Color(0, 158, 115),
                new Color(204, 121, 167), new Color(86, 180, 233), new Color(230, 159, 0), new Color(80, 80, 80)});
        s.setAntiAlias(true);
    }

    /** Least-squares slope of y over x. */
    public static double slope(double[] x, double[] y) {
        int n = x.length;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i] / n;
            my += y[i] / n;
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            num += (x[i] - mx) * (y[i] - my);
            den += (x[i] - mx) * (x[i] - mx);
        }
        return den == 0 ? Double.NaN : num / den;
    }
}
