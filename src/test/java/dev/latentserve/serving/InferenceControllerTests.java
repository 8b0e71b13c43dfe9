package dev.latentserve.serving;

import static dev.latentserve.testing.Problems.problem;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyDouble;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.request;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.ModelUnloadedException;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.jobs.JobCapacityException;
import dev.latentserve.registry.ModelNotFoundException;
import dev.latentserve.serving.ServiceOverloadedException.Reason;
import dev.latentserve.storage.InvalidNameException;
import dev.latentserve.testing.ControllerSliceTest;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.ResultMatcher;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

/**
 * The inference endpoints' problems, with the inference service mocked: those it raises at once, those of requests
 * the controller cannot read, and failures of queued work, which reach the client through the async dispatch.
 */
@ControllerSliceTest(InferenceController.class)
class InferenceControllerTests {

    /** The controller answers queued work through AsyncResponses, which the slice does not scan. */
    @TestConfiguration
    @EnableConfigurationProperties(ServingProperties.class)
    @Import({AsyncResponses.class, SampleEvents.class})
    static class Answers {
    }

    @Autowired
    MockMvc mvc;

    @MockitoBean
    InferenceService inference;

    @Test
    void anUnknownModelIsNotFoundAndAnUnsafeNameIsABadRequest() throws Exception {
        when(inference.sample(eq("nope"), anyInt(), any(), anyDouble(), any(), any(), anyInt(), any()))
                .thenThrow(new ModelNotFoundException("no model named 'nope'; GET /v1/models lists them"));
        when(inference.sample(eq("Bad..Name"), anyInt(), any(), anyDouble(), any(), any(), anyInt(), any()))
                .thenThrow(new InvalidNameException("model name 'Bad..Name' is not allowed"));

        mvc.perform(json("/v1/models/nope/sample", "{}")).andExpect(problem(404, "model-not-found", "Model not found",
                "no model named 'nope'; GET /v1/models lists them", "/v1/models/nope/sample"));
        mvc.perform(json("/v1/models/Bad..Name/sample", "{}")).andExpect(problem(400, "invalid-name", "Invalid name",
                "model name 'Bad..Name' is not allowed", "/v1/models/Bad..Name/sample"));
    }

    @Test
    void inputOutOfRangeOrThatDoesNotFitTheModelHasAProblemTypeOfItsKind() throws Exception {
        when(inference.sample(eq("m"), anyInt(), any(), anyDouble(), any(), any(), anyInt(), any()))
                .thenThrow(new InvalidInferenceInputException(Kind.OUT_OF_RANGE, "count must be 1 to 256, not 0"));
        when(inference.encode(eq("m"), any(), anyBoolean(), anyBoolean(), any()))
                .thenThrow(new InvalidInferenceInputException(Kind.IMAGE_SHAPE_MISMATCH, "images[0] is 1x28x28; the model takes 1x16x16"))
                .thenThrow(new InvalidInferenceInputException(Kind.INVALID_IMAGE, "images[0] is not a PNG or JPEG image"));
        when(inference.decode(eq("m"), any(), any(), any()))
                .thenThrow(new InvalidInferenceInputException(Kind.INVALID_LATENT, "latents[0] has 3 values; the model takes 4"))
                .thenThrow(new InvalidInferenceInputException(Kind.MALFORMED_CODES, "codes[0] is not a grid"));

        String path = "/v1/models/m/";
        mvc.perform(json(path + "sample", "{\"count\": 0}")).andExpect(problem(400, "out-of-range", "Value out of range",
                "count must be 1 to 256, not 0", path + "sample"));
        mvc.perform(json(path + "encode", "{\"pixels\": [[0.5]]}")).andExpect(problem(422, "image-shape-mismatch",
                "Image does not fit the model", "images[0] is 1x28x28; the model takes 1x16x16", path + "encode"));
        mvc.perform(json(path + "encode", "{\"pixels\": [[0.5]]}")).andExpect(problem(422, "invalid-image", "Invalid image",
                "images[0] is not a PNG or JPEG image", path + "encode"));
        mvc.perform(json(path + "decode", "{\"latents\": [[0, 0, 0]]}")).andExpect(problem(422, "invalid-latent",
                "Invalid latent vector", "latents[0] has 3 values; the model takes 4", path + "decode"));
        mvc.perform(json(path + "decode", "{\"latents\": [[0, 0, 0]]}")).andExpect(problem(400, "invalid-codes",
                "Malformed codes", "codes[0] is not a grid", path + "decode"));
    }

    @Test
    void aModelWithoutAPriorCannotSampleAndASampleJobWaitsForCapacity() throws Exception {
        when(inference.sample(eq("codes"), anyInt(), any(), anyDouble(), any(), any(), anyInt(), any()))
                .thenThrow(new NoPriorException("model codes@1 has no prior; fit one with a fit-prior job"))
                .thenThrow(new JobCapacityException("there are already 4 jobs queued or running", 30));

        mvc.perform(json("/v1/models/codes/sample", "{}")).andExpect(problem(409, "no-prior", "The model has no prior",
                "model codes@1 has no prior; fit one with a fit-prior job", "/v1/models/codes/sample"));
        mvc.perform(json("/v1/models/codes/sample", "{\"count\": 1000}"))
                .andExpect(problem(429, "too-many-jobs", "Too many jobs", "there are already 4 jobs queued or running",
                        "/v1/models/codes/sample"))
                .andExpect(header().string("Retry-After", "30"));
    }

    @Test
    void aStreamedSampleRefusedBeforeItsStreamStartsIsAPlainProblem() throws Exception {
        when(inference.sample(eq("nope"), anyInt(), any(), anyDouble(), any(), any(), anyInt(), any()))
                .thenThrow(new ModelNotFoundException("no model named 'nope'; GET /v1/models lists them"));
        when(inference.sample(eq("codes"), anyInt(), any(), anyDouble(), any(), any(), anyInt(), any()))
                .thenThrow(new NoPriorException("model codes@1 has no prior; fit one with a fit-prior job"));

        mvc.perform(json("/v1/models/nope/sample", "{}").accept(MediaType.TEXT_EVENT_STREAM))
                .andExpect(problem(404, "model-not-found", "Model not found", "no model named 'nope'; GET /v1/models lists them",
                        "/v1/models/nope/sample"));
        mvc.perform(json("/v1/models/codes/sample", "{}").accept(MediaType.TEXT_EVENT_STREAM))
                .andExpect(problem(409, "no-prior", "The model has no prior",
                        "model codes@1 has no prior; fit one with a fit-prior job", "/v1/models/codes/sample"));
        for (String accept : new String[] {"text/event-stream", "application/json"}) {
            mvc.perform(json("/v1/models/m/sample", "{\"previewEvery\": -1}").accept(accept))
                    .andExpect(problem(400, "out-of-range", "Value out of range",
                            "previewEvery must be between 0 (no previews) and 1024 rows, not -1", "/v1/models/m/sample"));
        }
    }

    @Test
    void aRequestTheControllerCannotReadIsRefusedBeforeTheServiceSeesIt() throws Exception {
        String path = "/v1/models/m/";
        mvc.perform(json(path + "encode", "{}")).andExpect(problem(400, "missing-field", "Send images or pixels",
                "send exactly one of {\"images\": [\"<base64 png>\", ...]} or {\"pixels\": [[...C*H*W floats...]]}",
                path + "encode"));
        mvc.perform(json(path + "encode", "{\"images\": [\"%%%not-base64\"]}")).andExpect(problem(400, "invalid-base64",
                "Invalid base64", "images[0] is not valid base64: Last unit does not have enough valid bits", path + "encode"));
        mvc.perform(json(path + "decode", "{}")).andExpect(problem(400, "missing-field", "Send latents, codes or vectors",
                "send exactly one of {\"latents\": [[...]]} (VAE), {\"codes\": [[[...]]]} or {\"vectors\": [[...]]} (VQ-VAE), "
                        + "or {\"codes\": {\"top\": [[[...]]], \"bottom\": [[[...]]]}} (VQ-VAE-2)", path + "decode"));
        // Codes are read in the form the model's latent kind takes, so after the model is known: LatentsTests and the
        // integration tests pin their problems.
        // Spring lists the types of /sample's two mappings in the order it found the methods, which Java leaves open.
        mvc.perform(json(path + "sample", "{}").accept(MediaType.TEXT_PLAIN))
                .andExpect(status().isNotAcceptable())
                .andExpect(jsonPath("$.type").value("https://latentserve.dev/problems/not-acceptable"))
                .andExpect(jsonPath("$.detail").value(allOf(
                        startsWith("Accept: text/plain allows none of the types this endpoint answers with: "),
                        containsString("application/json"), containsString("image/png"), containsString("text/event-stream"))));
        verifyNoInteractions(inference);
    }

    @Test
    void queuedWorkThatFailsIsAnsweredAsAProblemToo() throws Exception {
        when(inference.encode(eq("m"), any(), anyBoolean(), anyBoolean(), any()))
                .thenReturn(failed(new ServiceOverloadedException(Reason.QUEUE_FULL, "model m@1 has a full queue; retry shortly", 1)))
                .thenReturn(failed(new ServiceOverloadedException(Reason.TIMEOUT, "no answer within 30 s", 2)))
                .thenReturn(failed(new ModelUnloadedException("model m@1 was deleted while the request waited")))
                .thenReturn(failed(new InvalidInferenceInputException(Kind.NON_FINITE_OUTPUT, "the model's output is NaN")));

        String path = "/v1/models/m/encode";
        String pixels = "{\"pixels\": [[0.5]]}";
        answered(json(path, pixels), problem(503, "overloaded", "Model is busy", "model m@1 has a full queue; retry shortly", path),
                header().string("Retry-After", "1"));
        answered(json(path, pixels), problem(503, "inference-timeout", "Request timed out", "no answer within 30 s", path),
                header().string("Retry-After", "2"));
        answered(json(path, pixels), problem(404, "model-not-found", "Model not found",
                "model m@1 was deleted while the request waited", path));
        answered(json(path, pixels), problem(422, "non-finite-output", "The model's output for this input is not finite",
                "the model's output is NaN", path));
    }

    /** The answer of a request that went async, once its work has completed. */
    private void answered(MockHttpServletRequestBuilder request, ResultMatcher... expected) throws Exception {
        MvcResult started = mvc.perform(request).andExpect(request().asyncStarted()).andReturn();
        mvc.perform(asyncDispatch(started)).andExpectAll(expected);
    }

    private static <T> CompletableFuture<T> failed(RuntimeException error) {
        return CompletableFuture.failedFuture(error);
    }

    private static MockHttpServletRequestBuilder json(String path, String body) {
        return post(path).contentType(MediaType.APPLICATION_JSON).content(body);
    }
}
