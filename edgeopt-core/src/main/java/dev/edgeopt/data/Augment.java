package dev.edgeopt.data;

import dev.edgeopt.EdgeoptException;
import java.util.SplittableRandom;

/**
 * Seeded augmentation of image samples [C, H, W]: random shift (translation with zero fill, which
 * is also what a padded random crop of the original size amounts to), random crop of a smaller
 * window resized back by nearest neighbour, and horizontal flip. Labels are unchanged.
 */
public record Augment(int maxShift, int cropMargin, boolean flip) {
    public static final Augment NONE = new Augment(0, 0, false);

    public Augment {
        if (maxShift < 0 || cropMargin < 0) throw new EdgeoptException("augmentation shift and crop must be >= 0");
    }

    public boolean isNone() { return maxShift == 0 && cropMargin == 0 && !flip; }

    /** Parses "shift=2,crop=2,flip" (any subset; "none" or "" for none). */
    public static Augment parse(String spec) {
        if (spec == null || spec.isBlank() || spec.equals("none")) return NONE;
        int shift = 0, crop = 0;
        boolean flip = false;
        for (String part : spec.split(",")) {
            String p = part.trim();
            try {
                if (p.equals("flip")) flip = true;
                else if (p.startsWith("shift=")) shift = Integer.parseInt(p.substring(6));
                else if (p.startsWith("crop=")) crop = Integer.parseInt(p.substring(5));
                else throw new EdgeoptException("unknown augmentation '" + p + "' (use shift=N, crop=N, flip)");
            } catch (NumberFormatException e) {
                throw new EdgeoptException("augmentation '" + p + "' needs an integer");
            }
        }
        return new Augment(shift, crop, flip);
    }

    /** Writes an augmented copy of {@code src[so..]} (shape [c,h,w]) into {@code dst[d0..]}. */
    void apply(float[] src, int so, float[] dst, int d0, int c, int h, int w, SplittableRandom r) {
        int dy = maxShift == 0 ? 0 : r.nextInt(2 * maxShift + 1) - maxShift;
        int dx = maxShift == 0 ? 0 : r.nextInt(2 * maxShift + 1) - maxShift;
        int ch = h, cw = w, cy = 0, cx = 0;
        if (cropMargin > 0) {
            ch = h - r.nextInt(Math.min(cropMargin, h - 1) + 1);
            cw = w - r.nextInt(Math.min(cropMargin, w - 1) + 1);
            cy = r.nextInt(h - ch + 1);
            cx = r.nextInt(w - cw + 1);
        }
        boolean f = flip && r.nextBoolean();
        for (int k = 0; k < c; k++) {
            int sp = so + k * h * w, dp = d0 + k * h * w;
            for (int y = 0; y < h; y++) {
                int yy = y - dy;
                for (int x = 0; x < w; x++) {
                    int xx = (f ? w - 1 - x : x) - dx;
                    float v = 0f;
                    if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                        int sy = cy + yy * ch / h, sx = cx + xx * cw / w;
                        v = src[sp + sy * w + sx];
                    }
                    dst[dp + y * w + x] = v;
                }
            }
        }
    }
}
