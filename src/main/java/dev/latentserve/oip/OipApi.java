package dev.latentserve.oip;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.latentserve.oip.Signature.TensorSpec;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The protocol's JSON documents other than inference requests and responses, with its field names. */
final class OipApi {

    private OipApi() {
    }

    /** {@code GET /v2}. */
    record ServerMetadata(String name, String version, List<String> extensions) {
    }

    /** {@code GET /v2/models/{model}}: the protocol model's tensors; a -1 in a shape is a dimension of any size. */
    record ModelMetadata(String name, List<String> versions, String platform, List<TensorMetadata> inputs,
            List<TensorMetadata> outputs) {
    }

    record TensorMetadata(String name, String datatype, int[] shape) {

        static TensorMetadata of(TensorSpec spec) {
            return new TensorMetadata(spec.name(), spec.datatype().name(), spec.shape());
        }
    }

    /** Health and model readiness: {@code {"live": true}}, {@code {"ready": true}}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Health(@Nullable Boolean live, @Nullable Boolean ready) {
    }

    /** Every error on {@code /v2}, as the protocol writes it. */
    record Error(String error) {
    }
}
