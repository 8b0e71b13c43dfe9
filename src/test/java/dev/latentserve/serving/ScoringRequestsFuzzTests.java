package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.latentserve.api.BadRequestException;
import dev.latentserve.api.FormFields;
import dev.latentserve.serving.CompletionApi.CompleteForm;
import dev.latentserve.serving.CompletionApi.CompleteRequest;
import dev.latentserve.serving.InterpolationController.InterpolateRequest;
import dev.latentserve.serving.ScoreApi.ScoreRequest;
import dev.latentserve.testing.RequestBodies;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.mock.web.MockMultipartHttpServletRequest;
import tools.jackson.databind.json.JsonMapper;

/**
 * Coverage-guided fuzz targets for the bodies of {@code /score}, {@code /interpolate} and {@code /complete} (see
 * {@link RequestBodies} for the JSON contract), and for {@code /complete}'s multipart form: any text fields are read
 * into the form or refused as a bad request (400), never with another exception (a 500).
 */
@Timeout(10)
class ScoringRequestsFuzzTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Builds the mapper and validator once, before the targets' per-input timeout applies (seconds on a busy machine). */
    @BeforeAll
    static void warmUp() {
        RequestBodies.readAndValidate("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), ScoreRequest.class);
    }

    @FuzzTest
    void scoreRequest(byte[] body) {
        RequestBodies.readAndValidate(body, ScoreRequest.class);
    }

    @FuzzTest
    void interpolateRequest(byte[] body) {
        RequestBodies.readAndValidate(body, InterpolateRequest.class);
    }

    @FuzzTest
    void completeRequest(byte[] body) {
        RequestBodies.readAndValidate(body, CompleteRequest.class);
    }

    /** Up to eight fields, each a name (often one the form takes) and a value; sometimes a file under a field's name. */
    @FuzzTest
    void completeForm(FuzzedDataProvider data) {
        String[] names = {"knownRows", "count", "seed", "temperature", "topK", "temperatures.top", "temperatures.bottom",
                "image", "mask"};
        MockMultipartHttpServletRequest request = new MockMultipartHttpServletRequest();
        int fields = data.consumeInt(0, 8);
        for (int i = 0; i < fields; i++) {
            String name = data.consumeBoolean() ? data.pickValue(names) : data.consumeString(20);
            // A part has a name (Tomcat drops one without); a text field may have an empty one.
            if (data.consumeBoolean() && !name.isEmpty()) {
                request.addFile(new MockMultipartFile(name, data.consumeBytes(8)));
            } else {
                request.addParameter(name, data.consumeString(40));
            }
        }
        try {
            CompleteForm form = FormFields.read(request, JSON, CompleteForm.class, CompleteForm.FILES);
            assertThat(form).isNotNull();
        } catch (BadRequestException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
    }
}
