package dev.edgeopt.data;

import dev.edgeopt.EdgeoptException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * The IDX format of the MNIST family (optionally gzipped): a magic word giving the element type
 * and rank, the dimensions, then the data. Images (unsigned bytes) become floats in [0,1].
 */
public final class Idx {
    private Idx() {}

    /** Raw file contents, gunzipped when the file starts with the gzip magic. */
    static byte[] readBytes(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] raw = in.readAllBytes();
            if (raw.length >= 2 && (raw[0] & 0xFF) == 0x1F && (raw[1] & 0xFF) == 0x8B) {
                try (GZIPInputStream gz = new GZIPInputStream(new java.io.ByteArrayInputStream(raw))) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
                    gz.transferTo(out);
                    return out.toByteArray();
                } catch (java.io.EOFException e) {
                    throw new EdgeoptException(file + ": gzip stream is truncated");
                }
            }
            return raw;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new EdgeoptException(file + ": no such file");
        } catch (IOException e) {
            throw new EdgeoptException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** Header of an unsigned-byte IDX file: dims, and the offset where data starts. */
    record Header(int[] dims, int dataOffset) {
        long count() {
            long n = 1;
            for (int d : dims) n *= d;
            return n;
        }
    }

    static Header header(byte[] b, Path file) {
        if (b.length < 4 || b[0] != 0 || b[1] != 0) throw new EdgeoptException(file + ": not an IDX file (bad magic)");
        if ((b[2] & 0xFF) != 0x08) throw new EdgeoptException(file + ": IDX element type 0x" + Integer.toHexString(b[2] & 0xFF) + " is not unsigned byte");
        int rank = b[3] & 0xFF;
        if (rank < 1 || b.length < 4 + 4 * rank) throw new EdgeoptException(file + ": truncated IDX header");
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            int o = 4 + 4 * i;
            dims[i] = ((b[o] & 0xFF) << 24) | ((b[o + 1] & 0xFF) << 16) | ((b[o + 2] & 0xFF) << 8) | (b[o + 3] & 0xFF);
            if (dims[i] < 0) throw new EdgeoptException(file + ": negative IDX dimension");
        }
        Header h = new Header(dims, 4 + 4 * rank);
        if (b.length - h.dataOffset() < h.count()) {
            throw new EdgeoptException(file + ": truncated: header promises " + h.count() + " bytes of data, file has " + (b.length - h.dataOffset()));
        }
        return h;
    }

    /** An image file [N, H, W] and a label file [N] as a data set of [1, H, W] samples in [0,1]. */
    public static Dataset load(Path images, Path labelsFile, String name, int classes) {
        byte[] ib = readBytes(images), lb = readBytes(labelsFile);
        Header ih = header(ib, images), lh = header(lb, labelsFile);
        if (ih.dims().length != 3) throw new EdgeoptException(images + ": expected images [N, H, W], got rank " + ih.dims().length);
        if (lh.dims().length != 1) throw new EdgeoptException(labelsFile + ": expected labels [N], got rank " + lh.dims().length);
        int n = ih.dims()[0], h = ih.dims()[1], w = ih.dims()[2];
        if (lh.dims()[0] != n) throw new EdgeoptException(labelsFile + ": " + lh.dims()[0] + " labels for " + n + " images in " + images.getFileName());
        float[] x = new float[n * h * w];
        for (int i = 0; i < x.length; i++) x[i] = (ib[ih.dataOffset() + i] & 0xFF) / 255f;
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = lb[lh.dataOffset() + i] & 0xFF;
            if (y[i] >= classes) throw new EdgeoptException(labelsFile + ": label " + y[i] + " of sample " + i + " is outside 0.." + (classes - 1));
        }
        return new Dataset(name, x, new int[] {1, h, w}, y, classes, null);
    }
}
