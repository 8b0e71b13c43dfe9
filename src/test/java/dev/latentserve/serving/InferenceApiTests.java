package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.family.Latents;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The request bodies read what the responses write: a latent as a list of numbers, as nested maps, or as /encode's
 * posterior.
 */
class InferenceApiTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aLatentIsAVectorOrAPosteriorWhoseZIsDecoded() {
        InferenceApi.DecodeRequest request = JSON.readValue("{\"latents\": [[1, 2], {\"mean\": [0, 0], \"logVariance\": [0, 0], "
                + "\"z\": [3, 4]}, null]}", InferenceApi.DecodeRequest.class);
        List<Latents.Sent> vectors = InferenceApi.LatentInput.sent(request.latents());
        assertThat(vectors).hasSize(3);
        assertThat(vectors.get(0).values()).containsExactly(1f, 2f);
        assertThat(vectors.get(0).nesting()).containsExactly(2);
        assertThat(vectors.get(1).values()).containsExactly(3f, 4f);
        assertThat(vectors.get(2)).isNull();
        InferenceApi.DecodeRequest noZ = JSON.readValue("{\"latents\": [[1], {\"mean\": [5, 6]}]}", InferenceApi.DecodeRequest.class);
        assertThatThrownBy(() -> InferenceApi.LatentInput.sent(noZ.latents())).as("a posterior without z has nothing to decode")
                .isInstanceOf(dev.latentserve.family.InvalidInferenceInputException.class)
                .hasMessageContaining("latent 1 is an object without its z");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> JSON.readValue("{\"latents\": [{\"z\": [0, \"x\"]}]}",
                InferenceApi.DecodeRequest.class)).hasMessageContaining("latents").hasMessageContaining("[1]");
        for (String wrong : new String[] {"[\"x\"]", "[{\"z\": \"x\"}]", "[{\"z\": 5}]", "[3]"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> JSON.readValue("{\"latents\": " + wrong + "}",
                    InferenceApi.DecodeRequest.class)).as(wrong).hasMessageContaining("Cannot deserialize value of type `float[]`");
        }
    }

    @Test
    void aSpatialLatentComesNestedAsItsMapsAndIsReadChannelMajor() {
        InferenceApi.DecodeRequest request = JSON.readValue("{\"latents\": [[[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]], "
                + "{\"mean\": [[[0]]], \"logVariance\": [[[0]]], \"z\": [[[5]], [[6]]]}]}", InferenceApi.DecodeRequest.class);
        List<Latents.Sent> latents = InferenceApi.LatentInput.sent(request.latents());
        assertThat(latents.get(0).values()).containsExactly(1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f);
        assertThat(latents.get(0).nesting()).containsExactly(2, 2, 3);
        assertThat(latents.get(1).values()).containsExactly(5f, 6f);
        assertThat(latents.get(1).nesting()).containsExactly(2, 1, 1);
        assertThatThrownBy(() -> JSON.readValue("{\"latents\": [[[1, 2], [3]]]}", InferenceApi.DecodeRequest.class))
                .hasMessageContaining("nest alike: element 1 is nested 1, element 0 2");
        assertThatThrownBy(() -> JSON.readValue("{\"latents\": [[[[[1]]]]]}", InferenceApi.DecodeRequest.class))
                .hasMessageContaining("at most 3 deep");
        // A bad number deep inside is named by its whole path.
        assertThatThrownBy(() -> JSON.readValue("{\"latents\": [[[0, 0]], [[1, 2], [3, \"x\"]]]}", InferenceApi.DecodeRequest.class))
                .isInstanceOfSatisfying(tools.jackson.core.JacksonException.class, e -> assertThat(e.getPath())
                        .extracting(reference -> reference.getPropertyName() != null ? reference.getPropertyName()
                                : String.valueOf(reference.getIndex())).containsExactly("latents", "1", "1", "1"));
    }
}
