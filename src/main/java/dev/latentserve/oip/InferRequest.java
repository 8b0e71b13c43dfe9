package dev.latentserve.oip;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An inference request as the protocol defines it, read by {@link TensorCodec}.
 *
 * @param id echoed in the response
 * @param parameters the request's {@code parameters}: Boolean, Long, Double or String values
 * @param inputs the input tensors, in the order sent, with distinct names
 * @param outputs the outputs asked for, null for all of them
 */
record InferRequest(@Nullable String id, Map<String, Object> parameters, List<Tensor> inputs,
        @Nullable List<RequestedOutput> outputs) {

    /** The request parameter that asks for every output as binary data unless an output says otherwise. */
    static final String BINARY_DATA_OUTPUT = "binary_data_output";

    InferRequest {
        parameters = Map.copyOf(parameters);
        inputs = List.copyOf(inputs);
        outputs = outputs == null ? null : List.copyOf(outputs);
    }

    Optional<Tensor> input(String name) {
        return inputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** Whether output {@code name} goes back as binary data: its own {@code binary_data}, else the request's default. */
    boolean binaryOutput(String name) {
        if (outputs != null) {
            for (RequestedOutput output : outputs) {
                if (output.name().equals(name) && output.binary() != null) {
                    return output.binary();
                }
            }
        }
        return Boolean.TRUE.equals(parameters.get(BINARY_DATA_OUTPUT));
    }

    /** The datatype output {@code name} was asked in ({@code parameters.datatype}), or null for its own. */
    @Nullable Datatype outputDatatype(String name) {
        return outputs == null ? null : outputs.stream().filter(o -> o.name().equals(name) && o.datatype() != null)
                .map(RequestedOutput::datatype).findFirst().orElse(null);
    }

    /**
     * One entry of the request's {@code outputs}.
     *
     * @param binary its {@code parameters.binary_data}, null when not said
     * @param datatype its {@code parameters.datatype}, null when not said
     */
    record RequestedOutput(String name, @Nullable Boolean binary, @Nullable Datatype datatype) {
    }
}
