/**
 * Kernels of the NN op family registered by {@link dev.edgeopt.engine.kernels.NnKernels}: pools,
 * normalizations, MaxUnpool and Resize. Each class prepares its index tables and per-axis weights at
 * creation and runs plain loops split over the plan's thread pool by (batch, channel) planes.
 */
package dev.edgeopt.engine.kernels.nn;
