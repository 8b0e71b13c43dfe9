package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The request bodies read what the responses write: a latent as a list of numbers or as /encode's posterior. */
class InferenceApiTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aLatentIsAVectorOrAPosteriorWhoseZIsDecoded() {
        InferenceApi.DecodeRequest request = JSON.readValue("{\"latents\": [[1, 2], {\"mean\": [0, 0], \"logVariance\": [0, 0], "
                + "\"z\": [3, 4]}, null, {\"mean\": [5, 6]}]}", InferenceApi.DecodeRequest.class);
        List<float[]> vectors = InferenceApi.LatentInput.vectors(request.latents());
        assertThat(vectors).hasSize(4);
        assertThat(vectors.get(0)).containsExactly(1f, 2f);
        assertThat(vectors.get(1)).containsExactly(3f, 4f);
        assertThat(vectors.get(2)).isNull();
        assertThat(vectors.get(3)).as("a posterior without z has nothing to decode").isNull();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> JSON.readValue("{\"latents\": [{\"z\": [0, \"x\"]}]}",
                InferenceApi.DecodeRequest.class)).hasMessageContaining("latents").hasMessageContaining("[1]");
        for (String wrong : new String[] {"[\"x\"]", "[{\"z\": \"x\"}]", "[{\"z\": 5}]", "[3]"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> JSON.readValue("{\"latents\": " + wrong + "}",
                    InferenceApi.DecodeRequest.class)).as(wrong).hasMessageContaining("Cannot deserialize value of type `float[]`");
        }
    }
}
