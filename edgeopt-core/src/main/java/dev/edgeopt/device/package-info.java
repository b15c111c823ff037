/**
 * Hardware-aware analysis: the device catalog ({@link dev.edgeopt.device.DeviceCatalog}, a cited
 * JSON file users extend), the per-op roofline cost model ({@link dev.edgeopt.device.CostModel}),
 * NPU partitioning ({@link dev.edgeopt.device.Partitioner}) and the whole-model answer to "does it
 * fit, how fast, how much energy, what runs on the NPU" ({@link dev.edgeopt.device.DeviceAnalysis}).
 */
package dev.edgeopt.device;
