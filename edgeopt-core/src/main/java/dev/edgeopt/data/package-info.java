/**
 * Labelled data sets for training, calibration and evaluation: an in-memory
 * {@link dev.edgeopt.data.Dataset} with seeded shuffling, splits and k-fold, a
 * {@link dev.edgeopt.data.Batcher} with seeded augmentation, and loaders for IDX (MNIST family),
 * NPY pairs, CSV (with windowing) and folders of images.
 *
 * <p>Image samples reach a model as float32 NCHW scaled to [0,1] (pixel/255); any further
 * normalization belongs to the model's graph, so exported models take raw scaled pixels.
 */
package dev.edgeopt.data;
