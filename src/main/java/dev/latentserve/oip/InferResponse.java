package dev.latentserve.oip;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An inference response before {@link TensorCodec} writes it.
 *
 * @param modelVersion the version that answered, as a string as the protocol has it
 * @param parameters e.g. {@code seed} of a sample
 */
record InferResponse(String modelName, String modelVersion, @Nullable String id, Map<String, Object> parameters,
        List<Tensor> outputs) {
}
