package io.github.visionzoo.bench.onednn;

import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;

/** oneDNN 3.x: primitive descriptors made directly (3.0 removed the operation descriptors). */
final class Descs {
    private Descs() {
    }

    static convolution_forward.primitive_desc forward(engine e, memory.desc src, memory.desc wei, memory.desc bias,
                                                      memory.desc dst, long[] strides, long[] padL, long[] padR) {
        return new convolution_forward.primitive_desc(e, dnnl.prop_kind.forward_training,
                dnnl.algorithm.convolution_auto, src, wei, bias, dst, strides, padL, padR);
    }

    static convolution_backward_data.primitive_desc backwardData(engine e, memory.desc diffSrc, memory.desc wei,
            memory.desc diffDst, long[] strides, long[] padL, long[] padR, convolution_forward.primitive_desc hint) {
        return new convolution_backward_data.primitive_desc(e, dnnl.algorithm.convolution_auto, diffSrc, wei, diffDst,
                strides, padL, padR, hint);
    }

    static convolution_backward_weights.primitive_desc backwardWeights(engine e, memory.desc src, memory.desc diffWei,
            memory.desc diffBias, memory.desc diffDst, long[] strides, long[] padL, long[] padR,
            convolution_forward.primitive_desc hint) {
        return new convolution_backward_weights.primitive_desc(e, dnnl.algorithm.convolution_auto, src, diffWei,
                diffBias, diffDst, strides, padL, padR, hint);
    }

    static matmul.primitive_desc matmul(engine e, memory.desc src, memory.desc wei, memory.desc dst) {
        return new matmul.primitive_desc(e, src, wei, dst);
    }
}
