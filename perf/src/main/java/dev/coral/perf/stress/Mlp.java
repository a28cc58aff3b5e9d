package dev.coral.perf.stress;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small fully connected network (tanh hidden layers, linear output) trained by plain SGD or by
 * Adam on a generated, learnable task: targets from a fixed random two-layer "teacher" network. The loss
 * falls as it trains, so consecutive checkpoints differ the way real ones do (not random noise).
 * Weights are stored as {@code W[i * out + j]} for input i, output j.
 */
final class Mlp {
    private final int[] dims;
    private final float[][] w;
    private final float[][] b;
    private final float[] teacher1;
    private final float[] teacher2;
    private final int teacherHidden;
    /** Adam's moment estimates (allocated on the first Adam step) and step count. */
    private float[][] mw;
    private float[][] vw;
    private float[][] mb;
    private float[][] vb;
    private int adamSteps;

    Mlp(int[] dims, long seed) {
        this.dims = dims.clone();
        SplittableRandom r = new SplittableRandom(seed);
        int layers = dims.length - 1;
        w = new float[layers][];
        b = new float[layers][];
        for (int l = 0; l < layers; l++) {
            w[l] = gaussian(r, dims[l] * dims[l + 1], (float) Math.sqrt(1.0 / dims[l]));
            b[l] = new float[dims[l + 1]];
        }
        teacherHidden = 32;
        teacher1 = gaussian(r, dims[0] * teacherHidden, (float) Math.sqrt(2.0 / dims[0]));
        teacher2 = gaussian(r, teacherHidden * dims[layers], (float) Math.sqrt(1.0 / teacherHidden));
    }

    static float[] gaussian(SplittableRandom r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (gaussian(r) * scale);
        }
        return a;
    }

    private static double gaussian(SplittableRandom r) {
        double u = r.nextDouble(1e-12, 1.0);
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** One SGD step (momentum-free) on a fresh batch; returns the batch's mean squared error. */
    double sgdStep(SplittableRandom r, int batch, float lr) {
        return step(r, batch, lr, false);
    }

    /**
     * One Adam step (beta1 0.9, beta2 0.999, eps 1e-8, as in PyTorch) on a fresh batch; returns
     * the batch's mean squared error. Adam moves every weight by about {@code lr} each step, so
     * consecutive checkpoints differ more evenly than under SGD.
     */
    double adamStep(SplittableRandom r, int batch, float lr) {
        return step(r, batch, lr, true);
    }

    private double step(SplittableRandom r, int batch, float lr, boolean adam) {
        int layers = dims.length - 1;
        float[][] gw = new float[layers][];
        float[][] gb = new float[layers][];
        for (int l = 0; l < layers; l++) {
            gw[l] = new float[w[l].length];
            gb[l] = new float[b[l].length];
        }
        float[][] act = new float[layers + 1][];
        double loss = 0;
        for (int s = 0; s < batch; s++) {
            act[0] = gaussian(r, dims[0], 1f);
            for (int l = 0; l < layers; l++) {
                act[l + 1] = dense(act[l], w[l], b[l], dims[l], dims[l + 1], l + 1 < layers);
            }
            float[] target = teacher(act[0]);
            float[] delta = new float[dims[layers]];
            for (int k = 0; k < delta.length; k++) {
                delta[k] = act[layers][k] - target[k];
                loss += delta[k] * delta[k];
            }
            for (int l = layers - 1; l >= 0; l--) {
                int in = dims[l];
                int out = dims[l + 1];
                float[] x = act[l];
                float[] dx = new float[in];
                float[] wl = w[l];
                float[] g = gw[l];
                for (int j = 0; j < out; j++) {
                    gb[l][j] += delta[j];
                }
                for (int i = 0; i < in; i++) {
                    float xi = x[i];
                    float acc = 0;
                    int row = i * out;
                    for (int j = 0; j < out; j++) {
                        g[row + j] += xi * delta[j];
                        acc += wl[row + j] * delta[j];
                    }
                    dx[i] = acc;
                }
                if (l > 0) {
                    for (int i = 0; i < in; i++) {
                        dx[i] *= 1 - x[i] * x[i];
                    }
                }
                delta = dx;
            }
        }
        if (adam) {
            if (mw == null) {
                mw = new float[layers][];
                vw = new float[layers][];
                mb = new float[layers][];
                vb = new float[layers][];
                for (int l = 0; l < layers; l++) {
                    mw[l] = new float[w[l].length];
                    vw[l] = new float[w[l].length];
                    mb[l] = new float[b[l].length];
                    vb[l] = new float[b[l].length];
                }
            }
            adamSteps++;
            double c1 = 1 - Math.pow(0.9, adamSteps);
            double c2 = 1 - Math.pow(0.999, adamSteps);
            for (int l = 0; l < layers; l++) {
                adam(w[l], gw[l], mw[l], vw[l], lr, batch, c1, c2);
                adam(b[l], gb[l], mb[l], vb[l], lr, batch, c1, c2);
            }
        } else {
            float step = lr / batch;
            for (int l = 0; l < layers; l++) {
                update(w[l], gw[l], step);
                update(b[l], gb[l], step);
            }
        }
        return loss / batch / dims[layers];
    }

    private static void adam(float[] p, float[] gSum, float[] m, float[] v, float lr, int batch, double c1, double c2) {
        for (int i = 0; i < p.length; i++) {
            float g = gSum[i] / batch;
            m[i] = 0.9f * m[i] + 0.1f * g;
            v[i] = 0.999f * v[i] + 0.001f * g * g;
            double mHat = m[i] / c1;
            double vHat = v[i] / c2;
            p[i] -= (float) (lr * mHat / (Math.sqrt(vHat) + 1e-8));
        }
    }

    private float[] teacher(float[] x) {
        float[] h = dense(x, teacher1, new float[teacherHidden], dims[0], teacherHidden, true);
        return dense(h, teacher2, new float[dims[dims.length - 1]], teacherHidden, dims[dims.length - 1], false);
    }

    private static float[] dense(float[] x, float[] w, float[] bias, int in, int out, boolean tanh) {
        float[] y = bias.clone();
        for (int i = 0; i < in; i++) {
            float xi = x[i];
            int row = i * out;
            for (int j = 0; j < out; j++) {
                y[j] += w[row + j] * xi;
            }
        }
        if (tanh) {
            for (int j = 0; j < out; j++) {
                y[j] = (float) Math.tanh(y[j]);
            }
        }
        return y;
    }

    private static void update(float[] p, float[] g, float step) {
        for (int i = 0; i < p.length; i++) {
            p[i] -= step * g[i];
        }
    }

    /** The parameters by name, in layer order, with their shapes as {rows, cols} (cols 0: a vector). */
    Map<String, float[]> parameters() {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (int l = 0; l < w.length; l++) {
            m.put("fc" + (l + 1) + ".weight", w[l]);
            m.put("fc" + (l + 1) + ".bias", b[l]);
        }
        return m;
    }

    long[] shapeOf(String name) {
        int l = Integer.parseInt(name.substring(2, name.indexOf('.'))) - 1;
        return name.endsWith(".weight") ? new long[] {dims[l], dims[l + 1]} : new long[] {dims[l + 1]};
    }

    long parameterCount() {
        long n = 0;
        for (int l = 0; l < w.length; l++) {
            n += w[l].length + b[l].length;
        }
        return n;
    }

    static byte[] fp32(float[] v) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return bb.array();
    }

    /** BF16 as the top 2 bytes of each fp32 (truncation), little-endian. */
    static byte[] bf16(float[] v) {
        byte[] out = new byte[v.length * 2];
        for (int i = 0; i < v.length; i++) {
            int x = Float.floatToRawIntBits(v[i]);
            out[2 * i] = (byte) (x >>> 16);
            out[2 * i + 1] = (byte) (x >>> 24);
        }
        return out;
    }
}
