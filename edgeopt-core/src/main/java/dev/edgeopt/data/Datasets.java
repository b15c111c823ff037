package dev.edgeopt.data;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.io.Npy;
import dev.edgeopt.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds and loads a data set by name or directory. {@code fashion-mnist} is Debian's
 * dataset-fashion-mnist; a directory is recognised by its contents: IDX files, an x.npy/y.npy pair
 * (or train/ and test/ holding such pairs), CSV files (train.csv/test.csv), or image folders
 * (train/ and test/ with one subfolder per class, or class subfolders directly).
 */
public final class Datasets {
    private Datasets() {}

    public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    public static final List<String> FASHION_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** The train or test part of a named data set or directory. */
    public static Dataset load(String spec, boolean train) {
        if (spec == null || spec.equals("fashion-mnist")) return idx(FASHION_MNIST, train, "fashion-mnist", FASHION_CLASSES);
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) throw new EdgeoptException(spec + ": not a data set name (fashion-mnist) or a directory");
        String part = train ? "train" : "test";
        if (find(dir, part + "-images-idx3-ubyte") != null || find(dir, part.equals("test") ? "t10k-images-idx3-ubyte" : "train-images-idx3-ubyte") != null) {
            return idx(dir, train, dir.getFileName().toString(), null);
        }
        if (Files.exists(dir.resolve(part).resolve("x.npy"))) return npy(dir.resolve(part).resolve("x.npy"), dir.resolve(part).resolve("y.npy"), -1);
        if (Files.exists(dir.resolve("x.npy"))) {
            if (!train) throw new EdgeoptException(dir + ": has one x.npy/y.npy pair and no test/ part; hold out a validation split instead");
            return npy(dir.resolve("x.npy"), dir.resolve("y.npy"), -1);
        }
        if (Files.exists(dir.resolve(part + ".csv"))) return Csv.load(dir.resolve(part + ".csv"), new Csv.Options());
        if (Files.isDirectory(dir.resolve(part))) return ImageFolder.load(dir.resolve(part), null);
        if (train && hasSubdirs(dir)) return ImageFolder.load(dir, null);
        throw new EdgeoptException(dir + ": no data set found (expected IDX files, x.npy/y.npy, " + part + ".csv, or " + part + "/ with one folder per class)");
    }

    private static boolean hasSubdirs(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(Files::isDirectory);
        } catch (IOException e) {
            return false;
        }
    }

    private static Path find(Path dir, String base) {
        for (String suffix : new String[] {"", ".gz"}) {
            Path p = dir.resolve(base + suffix);
            if (Files.exists(p)) return p;
        }
        return null;
    }

    static Dataset idx(Path dir, boolean train, String name, List<String> classNames) {
        String pre = train ? "train" : "t10k";
        Path im = find(dir, pre + "-images-idx3-ubyte"), lb = find(dir, pre + "-labels-idx1-ubyte");
        if (im == null && !train) {
            im = find(dir, "test-images-idx3-ubyte");
            lb = find(dir, "test-labels-idx1-ubyte");
        }
        if (im == null || lb == null) throw new EdgeoptException(dir + ": missing " + pre + "-images-idx3-ubyte[.gz] or " + pre + "-labels-idx1-ubyte[.gz]");
        Dataset d = Idx.load(im, lb, name + (train ? "/train" : "/test"), classNames == null ? 10 : classNames.size());
        return classNames == null ? d : new Dataset(d.name(), d.data(), d.sampleShape(), d.labels(), d.classes(), classNames);
    }

    /**
     * x.npy holds samples [N, ...] (float, or uint8 images scaled by 1/255), y.npy integer labels [N].
     *
     * @param classes number of classes, or -1 for max(label) + 1
     */
    public static Dataset npy(Path xFile, Path yFile, int classes) {
        Tensor x = Npy.read(xFile), y = Npy.read(yFile);
        if (x.rank() < 1) throw new EdgeoptException(xFile + ": samples must be [N, ...], got a scalar");
        if (y.rank() != 1 && !(y.rank() == 2 && y.dim(1) == 1)) throw new EdgeoptException(yFile + ": labels must be [N], got " + java.util.Arrays.toString(y.dims()));
        if (y.dtype().isFloating()) throw new EdgeoptException(yFile + ": labels must be integers, got " + y.dtype());
        // Integer pixels other than uint8 have no agreed scale (0..255? 0..65535?): converting
        // them silently would calibrate or train on values far outside [0, 1].
        var xt = x.dtype();
        if (xt != dev.edgeopt.ir.DType.FLOAT && xt != dev.edgeopt.ir.DType.DOUBLE && xt != dev.edgeopt.ir.DType.FLOAT16 && xt != dev.edgeopt.ir.DType.UINT8) {
            throw new EdgeoptException(xFile + ": samples are " + xt.toString().toLowerCase(java.util.Locale.ROOT) + "; expected float32 (float64, float16) or uint8 images");
        }
        int n = x.dim(0);
        if (y.dim(0) != n) throw new EdgeoptException(yFile + ": " + y.dim(0) + " labels for " + n + " samples in " + xFile.getFileName());
        float[] xs = x.toFloatArray();
        if (x.dtype() == dev.edgeopt.ir.DType.UINT8) for (int i = 0; i < xs.length; i++) xs[i] /= 255f;
        int[] labels = new int[n];
        int max = -1;
        for (int i = 0; i < n; i++) {
            long l = y.getLong(i);
            if (l < 0 || l > Integer.MAX_VALUE) throw new EdgeoptException(yFile + ": label " + l + " of sample " + i + " is negative or too large");
            labels[i] = (int) l;
            max = Math.max(max, labels[i]);
        }
        int k = classes < 0 ? max + 1 : classes;
        if (max >= k) throw new EdgeoptException(yFile + ": label " + max + " is outside 0.." + (k - 1));
        int[] shape = java.util.Arrays.copyOfRange(x.dims(), 1, x.rank());
        return new Dataset(xFile.getParent() == null ? "npy" : xFile.getParent().getFileName().toString(), xs, shape, labels, Math.max(1, k), null);
    }
}
