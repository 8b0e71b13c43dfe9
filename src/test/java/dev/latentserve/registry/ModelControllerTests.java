package dev.latentserve.registry;

import static dev.latentserve.testing.Problems.problem;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import dev.latentserve.storage.InvalidNameException;
import dev.latentserve.testing.ControllerSliceTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/** {@code /v1/models}' problems, with the registry mocked. */
@ControllerSliceTest(ModelController.class)
class ModelControllerTests {

    @Autowired
    MockMvc mvc;

    @MockitoBean
    ModelRegistry registry;

    @MockitoBean
    ModelArchives archives;

    @Test
    void anUnknownModelOrVersionIsNotFound() throws Exception {
        when(registry.summary("nope")).thenThrow(new ModelNotFoundException("no model named 'nope'; GET /v1/models lists them"));
        when(registry.version("m", 9)).thenThrow(new ModelNotFoundException("model m has no version 9"));
        doThrow(new ModelNotFoundException("model m has no version 7")).when(registry).delete("m", 7);

        mvc.perform(get("/v1/models/nope")).andExpect(problem(404, "model-not-found", "Model not found",
                "no model named 'nope'; GET /v1/models lists them", "/v1/models/nope"));
        mvc.perform(get("/v1/models/m/versions/9")).andExpect(problem(404, "model-not-found", "Model not found",
                "model m has no version 9", "/v1/models/m/versions/9"));
        mvc.perform(delete("/v1/models/m/versions/7")).andExpect(problem(404, "model-not-found", "Model not found",
                "model m has no version 7", "/v1/models/m/versions/7"));
    }

    @Test
    void anUnsafeNameOrAVersionThatIsNoNumberIsABadRequest() throws Exception {
        when(registry.summary("Bad..Name")).thenThrow(new InvalidNameException("model name 'Bad..Name' is not allowed"));

        mvc.perform(get("/v1/models/Bad..Name")).andExpect(problem(400, "invalid-name", "Invalid name",
                "model name 'Bad..Name' is not allowed", "/v1/models/Bad..Name"));
        mvc.perform(get("/v1/models/m/versions/latest")).andExpect(problem(400, "bad-request", "Invalid parameter",
                "parameter 'version' takes a whole number, not 'latest'", "/v1/models/m/versions/latest"));
    }
}
