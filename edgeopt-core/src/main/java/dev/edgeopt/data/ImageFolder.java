package dev.edgeopt.data;

import dev.edgeopt.EdgeoptException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A folder with one subfolder per class (sorted by name) of PNG/JPEG images. All images must share
 * one size; grayscale images give 1 channel, otherwise 3 (RGB). Pixels become floats in [0,1].
 */
public final class ImageFolder {
    private ImageFolder() {}

    /** @param classNames the expected classes in label order (e.g. the training part's), or null to take the subfolders */
    public static Dataset load(Path dir, List<String> classNames) {
        List<Path> classDirs = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isDirectory).sorted().forEach(classDirs::add);
        } catch (IOException e) {
            throw new EdgeoptException(dir + ": cannot list (" + e.getMessage() + ")");
        }
        if (classDirs.isEmpty()) throw new EdgeoptException(dir + ": no class subfolders");
        List<String> names = new ArrayList<>();
        for (Path p : classDirs) names.add(p.getFileName().toString());
        if (classNames != null && !classNames.containsAll(names)) {
            throw new EdgeoptException(dir + ": class folders " + names + " do not match the classes " + classNames);
        }
        List<String> classes = classNames == null ? names : classNames;
        List<Integer> labels = new ArrayList<>();
        int h = -1, w = -1, channels = -1;
        List<BufferedImage> images = new ArrayList<>();
        for (int c = 0; c < classDirs.size(); c++) {
            try (Stream<Path> s = Files.list(classDirs.get(c))) {
                for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                    String n = f.getFileName().toString().toLowerCase();
                    if (!(n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"))) continue;
                    BufferedImage im;
                    try {
                        im = ImageIO.read(f.toFile());
                    } catch (IOException e) {
                        throw new EdgeoptException(f + ": unreadable image (" + e.getMessage() + ")");
                    }
                    if (im == null) throw new EdgeoptException(f + ": unreadable image");
                    if (h < 0) { h = im.getHeight(); w = im.getWidth(); }
                    if (im.getHeight() != h || im.getWidth() != w) {
                        throw new EdgeoptException(f + ": image is " + im.getWidth() + "x" + im.getHeight() + ", others are " + w + "x" + h);
                    }
                    boolean gray = im.getColorModel().getNumColorComponents() == 1;
                    channels = Math.max(channels, gray ? 1 : 3);
                    images.add(im);
                    labels.add(classes.indexOf(names.get(c)));
                }
            } catch (IOException e) {
                throw new EdgeoptException(classDirs.get(c) + ": cannot list (" + e.getMessage() + ")");
            }
        }
        if (images.isEmpty()) throw new EdgeoptException(dir + ": no PNG or JPEG images in the class folders");
        int ss = channels * h * w;
        float[] x = new float[images.size() * ss];
        for (int i = 0; i < images.size(); i++) {
            BufferedImage im = images.get(i);
            int b = i * ss;
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    if (channels == 1) {
                        x[b + y * w + xx] = im.getRaster().getSample(xx, y, 0) / 255f;
                    } else {
                        int rgb = im.getRGB(xx, y);
                        x[b + y * w + xx] = ((rgb >> 16) & 0xFF) / 255f;
                        x[b + h * w + y * w + xx] = ((rgb >> 8) & 0xFF) / 255f;
                        x[b + 2 * h * w + y * w + xx] = (rgb & 0xFF) / 255f;
                    }
                }
            }
        }
        int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
        return new Dataset(dir.getFileName().toString(), x, new int[] {channels, h, w}, y, classes.size(), classes);
    }
}
