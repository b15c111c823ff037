package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.tensor.Tensor;

/**
 * QLinearConcat (y_scale, y_zero_point, then x, x_scale, x_zero_point per input). An input with the
 * output's parameters is copied; any other goes through a 256-entry table of
 * {@code z_y + requantize(x - z_x, s_x / s_y)} ({@link Requantize}), built at creation.
 */
final class QLinearConcat implements Kernel {
    private final int inputs, outer;
    private final int[] chunk;
    /** Per input: null to copy, else the table indexed by {@code x & 0xFF}. */
    private final byte[][] tables;

    QLinearConcat(KernelContext kc) {
        if (kc.inputCount() < 5 || (kc.inputCount() - 2) % 3 != 0) throw kc.fail("needs y_scale, y_zero_point and (x, x_scale, x_zero_point) triples");
        QParams.Scalar py = QParams.scalar(kc, 0, 1, kc.outDtype(0));
        inputs = (kc.inputCount() - 2) / 3;
        int[] ys = kc.outShape(0);
        int axis = kc.axis(kc.attrInt("axis", 0), ys.length);
        int o = 1, inner = 1;
        for (int d = 0; d < axis; d++) o *= ys[d];
        for (int d = axis + 1; d < ys.length; d++) inner *= ys[d];
        outer = o;
        chunk = new int[inputs];
        tables = new byte[inputs][];
        for (int k = 0; k < inputs; k++) {
            int xi = 2 + 3 * k;
            QParams.Scalar px = QParams.scalar(kc, xi + 1, xi + 2, kc.inDtype(xi));
            if (px.unsigned() != py.unsigned()) throw kc.fail("input " + xi + " and the output must both be int8 or both uint8");
            chunk[k] = kc.inShape(xi)[axis] * inner;
            if (px.scale() == py.scale() && px.zeroPoint() == py.zeroPoint()) continue;
            Requantize.Multiplier m = Requantize.quantizeMultiplier((double) px.scale() / py.scale());
            byte[] t = new byte[256];
            for (int b = 0; b < 256; b++) {
                int x = (QuantMath.at8(new byte[] {(byte) b}, 0, px.unsigned()) - px.zeroPoint());
                t[b] = (byte) Requantize.requantize(x, m.multiplier(), m.shift(), py.zeroPoint(), py.qmin(), py.qmax());
            }
            tables[k] = t;
        }
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        byte[] y = out[0].bytes();
        int yo = out[0].offset();
        for (int o = 0; o < outer; o++) {
            for (int k = 0; k < inputs; k++) {
                Tensor x = in[2 + 3 * k];
                int c = chunk[k], xo = x.offset() + o * c;
                byte[] xa = x.bytes();
                byte[] t = tables[k];
                if (t == null) {
                    System.arraycopy(xa, xo, y, yo, c);
                } else {
                    for (int i = 0; i < c; i++) y[yo + i] = t[xa[xo + i] & 0xFF];
                }
                yo += c;
            }
        }
    }
}
