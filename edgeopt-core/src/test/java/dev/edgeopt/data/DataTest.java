package dev.edgeopt.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.io.Npy;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
    @TempDir Path tmp;

    static byte[] idx(int[] dims, byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0, 0, 8, (byte) dims.length});
        for (int d : dims) b.writeBytes(new byte[] {(byte) (d >>> 24), (byte) (d >>> 16), (byte) (d >>> 8), (byte) d});
        b.writeBytes(data);
        return b.toByteArray();
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(o)) { g.write(b); }
        return o.toByteArray();
    }

    private void writeIdx(Path dir, String pre, int n, boolean gz, int badLabel) throws IOException {
        byte[] px = new byte[n * 4 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 7);
        byte[] lb = new byte[n];
        for (int i = 0; i < n; i++) lb[i] = (byte) (i % 3);
        if (badLabel >= 0) lb[0] = (byte) badLabel;
        byte[] im = idx(new int[] {n, 4, 3}, px), la = idx(new int[] {n}, lb);
        Files.write(dir.resolve(pre + "-images-idx3-ubyte" + (gz ? ".gz" : "")), gz ? gzip(im) : im);
        Files.write(dir.resolve(pre + "-labels-idx1-ubyte" + (gz ? ".gz" : "")), gz ? gzip(la) : la);
    }

    @Test
    void idxPlainAndGzipped() throws IOException {
        writeIdx(tmp, "train", 5, true, -1);
        writeIdx(tmp, "t10k", 2, false, -1);
        Dataset d = Datasets.load(tmp.toString(), true);
        assertEquals(5, d.size());
        assertArrayEquals(new int[] {1, 4, 3}, d.sampleShape());
        assertEquals(((7 * 13) & 0xFF) / 255f, d.data()[13], 0f);
        assertEquals(2, d.label(5 - 3));
        assertEquals(2, Datasets.load(tmp.toString(), false).size());
    }

    @Test
    void idxTruncatedAndBadLabelsAreOneLineErrors() throws IOException {
        byte[] im = idx(new int[] {5, 4, 3}, new byte[10]);
        Files.write(tmp.resolve("train-images-idx3-ubyte"), im);
        Files.write(tmp.resolve("train-labels-idx1-ubyte"), idx(new int[] {5}, new byte[5]));
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> Datasets.load(tmp.toString(), true));
        assertTrue(e.getMessage().contains("truncated") && !e.getMessage().contains("\n"), e.getMessage());
        Path d2 = Files.createDirectory(tmp.resolve("b"));
        writeIdx(d2, "train", 4, false, 12);
        e = assertThrows(EdgeoptException.class, () -> Idx.load(d2.resolve("train-images-idx3-ubyte"), d2.resolve("train-labels-idx1-ubyte"), "x", 10));
        assertTrue(e.getMessage().contains("label 12"), e.getMessage());
        Path d3 = Files.createDirectory(tmp.resolve("c"));
        byte[] gz = gzip(idx(new int[] {5, 4, 3}, new byte[60]));
        Files.write(d3.resolve("train-images-idx3-ubyte.gz"), Arrays.copyOf(gz, gz.length / 2));
        Files.write(d3.resolve("train-labels-idx1-ubyte"), idx(new int[] {5}, new byte[5]));
        e = assertThrows(EdgeoptException.class, () -> Datasets.load(d3.toString(), true));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        e = assertThrows(EdgeoptException.class, () -> Datasets.load(tmp.resolve("nope").toString(), true));
        assertTrue(e.getMessage().contains("not a data set name"), e.getMessage());
    }

    @Test
    void npyPairs() {
        Npy.write(tmp.resolve("x.npy"), Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        Npy.write(tmp.resolve("y.npy"), Tensor.vector(0L, 2L, 1L));
        Dataset d = Datasets.load(tmp.toString(), true);
        assertEquals(3, d.classes());
        assertArrayEquals(new int[] {2}, d.sampleShape());
        Npy.write(tmp.resolve("y.npy"), Tensor.vector(0L, 2L));
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> Datasets.load(tmp.toString(), true));
        assertTrue(e.getMessage().contains("2 labels for 3 samples"), e.getMessage());
        Npy.write(tmp.resolve("y.npy"), Tensor.vector(0L, -2L, 1L));
        e = assertThrows(EdgeoptException.class, () -> Datasets.load(tmp.toString(), true));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
        Npy.write(tmp.resolve("y.npy"), Tensor.of(DType.UINT8, new byte[] {0, 1, 1}, 3));
        Npy.write(tmp.resolve("x.npy"), Tensor.of(DType.UINT8, new byte[] {0, (byte) 255, 51, 0, 0, 0}, 3, 2));
        assertEquals(1f, Datasets.load(tmp.toString(), true).data()[1], 0f);
    }

    @Test
    void csvTabularAndWindowed() throws IOException {
        Path f = tmp.resolve("train.csv");
        StringBuilder b = new StringBuilder("ax,ay,activity\n");
        for (int i = 0; i < 10; i++) b.append(i).append(',').append(i * 10).append(',').append(i < 6 ? "walk" : "run").append('\n');
        Files.writeString(f, b.toString());
        Dataset d = Csv.load(f, new Csv.Options());
        assertEquals(10, d.size());
        assertEquals(List.of("walk", "run"), d.classNames());
        Dataset w = Csv.load(f, new Csv.Options().window(3, 2));
        // windows at 0,2 (walk), 6 (run); 4 would span walk->run and is skipped
        assertEquals(3, w.size());
        assertArrayEquals(new int[] {3, 2}, w.sampleShape());
        assertEquals(60f, w.data()[2 * 6 + 1], 0f);
        assertEquals(1, w.label(2));
        Files.writeString(tmp.resolve("bad.csv"), "1,2,0\n3,x,1\n");
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> Csv.load(tmp.resolve("bad.csv"), new Csv.Options()));
        assertTrue(e.getMessage().contains("line 2 column 2"), e.getMessage());
    }

    @Test
    void imageFolders() throws IOException {
        for (String c : new String[] {"cat", "dog"}) {
            Path d = Files.createDirectories(tmp.resolve("train").resolve(c));
            for (int i = 0; i < 2; i++) {
                BufferedImage im = new BufferedImage(5, 4, BufferedImage.TYPE_BYTE_GRAY);
                im.getRaster().setSample(1, 2, 0, c.equals("cat") ? 255 : 51);
                ImageIO.write(im, "png", d.resolve(i + ".png").toFile());
            }
        }
        Dataset d = Datasets.load(tmp.toString(), true);
        assertEquals(4, d.size());
        assertArrayEquals(new int[] {1, 4, 5}, d.sampleShape());
        assertEquals(List.of("cat", "dog"), d.classNames());
        assertEquals(1f, d.data()[2 * 5 + 1], 0f);
        assertEquals(0.2f, d.data()[20 * 2 + 2 * 5 + 1], 1e-6f);
        Path odd = tmp.resolve("train").resolve("dog").resolve("big.png");
        ImageIO.write(new BufferedImage(6, 4, BufferedImage.TYPE_BYTE_GRAY), "png", odd.toFile());
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> Datasets.load(tmp.toString(), true));
        assertTrue(e.getMessage().contains("6x4"), e.getMessage());
        Files.delete(odd);
        Files.writeString(tmp.resolve("train").resolve("dog").resolve("broken.png"), "not a png");
        e = assertThrows(EdgeoptException.class, () -> Datasets.load(tmp.toString(), true));
        assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
    }

    private static Dataset toy(int n) {
        float[] x = new float[n * 4];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(x, i * 4, i * 4 + 4, i);
            y[i] = i % 3;
        }
        return new Dataset("toy", x, new int[] {1, 2, 2}, y, 3, null);
    }

    @Test
    void splitsAndFoldsAreSeededPartitions() {
        Dataset d = toy(20);
        Dataset.Split s = d.split(0.25, 4);
        assertEquals(5, s.validation().size());
        assertEquals(15, s.train().size());
        assertArrayEquals(s.validation().data(), d.split(0.25, 4).validation().data());
        assertNotEquals(Arrays.toString(s.validation().data()), Arrays.toString(d.split(0.25, 5).validation().data()));
        Set<Float> seen = new HashSet<>();
        List<Dataset.Split> folds = d.kFold(4, 1);
        for (Dataset.Split f : folds) {
            assertEquals(20, f.train().size() + f.validation().size());
            for (int i = 0; i < f.validation().size(); i++) assertTrue(seen.add(f.validation().data()[i * 4]));
        }
        assertEquals(20, seen.size());
        assertThrows(EdgeoptException.class, () -> new Dataset("bad", new float[8], new int[] {4}, new int[] {0, 3}, 3, null));
    }

    @Test
    void batchesAreDeterministicAndCoverEveryEpoch() {
        Dataset d = toy(10);
        Batcher a = new Batcher(d, 4, true, 9, Augment.NONE), b = new Batcher(d, 4, true, 9, Augment.NONE);
        assertEquals(3, a.batches());
        assertEquals(2, a.count(2));
        Set<Float> seen = new HashSet<>();
        for (int k = 0; k < 3; k++) {
            Tensor xa = Tensor.allocate(DType.FLOAT, a.count(k), 1, 2, 2), xb = Tensor.allocate(DType.FLOAT, a.count(k), 1, 2, 2);
            int[] ya = new int[4], yb = new int[4];
            a.fill(k, xa, ya);
            b.fill(k, xb, yb);
            assertArrayEquals(xa.floats(), xb.floats());
            for (int i = 0; i < a.count(k); i++) {
                seen.add(xa.floats()[i * 4]);
                assertEquals(((int) xa.floats()[i * 4]) % 3, ya[i]);
            }
        }
        assertEquals(10, seen.size());
        a.startEpoch(1);
        Tensor e0 = Tensor.allocate(DType.FLOAT, 4, 1, 2, 2), e1 = Tensor.allocate(DType.FLOAT, 4, 1, 2, 2);
        b.fill(0, e0, new int[4]);
        a.fill(0, e1, new int[4]);
        assertNotEquals(Arrays.toString(e0.floats()), Arrays.toString(e1.floats()));
    }

    @Test
    void augmentationShiftsAndFlipsWithASeed() {
        float[] img = new float[9];
        img[4] = 1; // centre pixel of 3x3
        Dataset d = new Dataset("one", img, new int[] {1, 3, 3}, new int[] {0}, 1, null);
        Batcher b = new Batcher(d, 1, false, 3, Augment.parse("shift=1,flip"));
        Tensor x = Tensor.allocate(DType.FLOAT, 1, 1, 3, 3);
        Set<String> outcomes = new HashSet<>();
        for (int e = 0; e < 40; e++) {
            b.startEpoch(e);
            b.fill(0, x, new int[1]);
            float s = 0;
            for (float v : x.floats()) s += v;
            assertEquals(1f, s, 0f); // a shift by at most 1 keeps the centre pixel inside
            outcomes.add(Arrays.toString(x.floats()));
        }
        assertEquals(9, outcomes.size());
        assertThrows(EdgeoptException.class, () -> Augment.parse("rotate=3"));
    }

    @Test
    void fashionMnistIsNchwInUnitRange() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Datasets.FASHION_MNIST.resolve("t10k-images-idx3-ubyte.gz")));
        Dataset t = Datasets.load("fashion-mnist", false);
        assertEquals(10000, t.size());
        assertArrayEquals(new int[] {1, 28, 28}, t.sampleShape());
        assertArrayEquals(new int[] {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, t.classCounts());
        float max = 0;
        for (float v : t.data()) max = Math.max(max, v);
        assertEquals(1f, max, 0f);
    }
}
