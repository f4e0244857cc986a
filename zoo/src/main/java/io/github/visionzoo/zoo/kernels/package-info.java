/**
 * Internal, not API: it may change in any release. How visionzoo's layers ({@code io.github.visionzoo.zoo.layers})
 * compute what DL4J's ops do slowly or not at all.
 *
 * <p>{@link io.github.visionzoo.zoo.kernels.Kernels} is the one seam: when a layer is instantiated it asks there for
 * its kernel ({@link io.github.visionzoo.zoo.kernels.ConvolutionKernel},
 * {@link io.github.visionzoo.zoo.kernels.BatchNormKernel}, {@link io.github.visionzoo.zoo.kernels.AddReluKernel},
 * {@link io.github.visionzoo.zoo.kernels.MaxPoolKernel}, {@link io.github.visionzoo.zoo.kernels.MatrixSums}) and
 * keeps it: oneDNN's ({@code kernels.onednn}) where visionzoo calls oneDNN in this process, else the portable one.
 * As with DL4J's layer helpers, a kernel's pass returns {@code null} for an input it does not take and the layer
 * then runs its own code (DL4J's, libnd4j's ops, or the Java loops here); the portable kernels take none, so the
 * layers need no other check. The Java loops ({@link io.github.visionzoo.zoo.kernels.FloatLoops},
 * {@link io.github.visionzoo.zoo.kernels.GaussianCdf}) and the channels-last layout
 * ({@link io.github.visionzoo.zoo.kernels.ChannelsLast}) serve every build.
 */
package io.github.visionzoo.zoo.kernels;
