/**
 * Internal, not API: it may change in any release. oneDNN called directly, through JavaCPP's {@code dnnl} presets
 * (oneDNN 2.5): the kernels that {@link io.github.visionzoo.zoo.kernels.Kernels} hands to layers where the presets'
 * natives load on the ND4J CPU backend and {@code -Dvisionzoo.onednn.direct} is not {@code false}
 * ({@link io.github.visionzoo.zoo.OneDnn#DIRECT_PROPERTY}).
 * {@link io.github.visionzoo.zoo.kernels.onednn.OneDnnKernels} is the package's only entry; {@code OneDnnRuntime}
 * holds what the primitives share (engine, streams, memory, the per-thread temporaries).
 */
package io.github.visionzoo.zoo.kernels.onednn;
