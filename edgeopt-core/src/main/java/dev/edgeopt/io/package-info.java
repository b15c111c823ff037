/**
 * Small file formats that need no dependencies: NumPy {@code .npy} ({@link dev.edgeopt.io.Npy}) and
 * atomic writes ({@link dev.edgeopt.io.AtomicFile}) so an interrupted run never leaves half a file.
 */
package dev.edgeopt.io;
