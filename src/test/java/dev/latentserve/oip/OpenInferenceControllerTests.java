package dev.latentserve.oip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.request;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.ModelUnloadedException;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.registry.ModelNotFoundException;
import dev.latentserve.serving.AsyncResponses;
import dev.latentserve.serving.ServiceOverloadedException;
import dev.latentserve.serving.ServiceOverloadedException.Reason;
import dev.latentserve.serving.ServingProperties;
import dev.latentserve.testing.ControllerSliceTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
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
 * The /v2 endpoints with the protocol service mocked: every error in the protocol's {@code {"error"}} form with its
 * status (the service's 409 and 422 as 400; 404 and 503 kept, with Retry-After), whether raised at once or by queued
 * work; binary answers with their header length; readiness.
 */
@ControllerSliceTest(OpenInferenceController.class)
class OpenInferenceControllerTests {

    @TestConfiguration
    @EnableConfigurationProperties(ServingProperties.class)
    @Import(AsyncResponses.class)
    static class Answers {
    }

    private static final String INFER = "/v2/models/m.encode/infer";
    private static final String BODY = "{\"inputs\": [{\"name\": \"images\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": [0.5]}]}";

    @Autowired
    MockMvc mvc;

    @MockitoBean
    OpenInferenceService models;

    @Test
    void queuedWorkThatFailsIsAnErrorWithTheProtocolsStatus() throws Exception {
        when(models.infer(eq("m.encode"), isNull(), any()))
                .thenReturn(failed(new ServiceOverloadedException(Reason.QUEUE_FULL, "model m@1 has a full queue; retry shortly", 1)))
                .thenReturn(failed(new InvalidInferenceInputException(Kind.IMAGE_SHAPE_MISMATCH, "pixels 0 has 1 values")))
                .thenReturn(failed(new NoPriorException("model m@1 has no prior")))
                .thenReturn(failed(new ModelUnloadedException("model m@1 was deleted while the request waited")))
                .thenReturn(failed(new IllegalStateException("a bug")));

        answered(json(INFER, BODY), error(503, "model m@1 has a full queue; retry shortly"), header().string("Retry-After", "1"));
        answered(json(INFER, BODY), error(400, "pixels 0 has 1 values"));
        answered(json(INFER, BODY), error(400, "model m@1 has no prior"));
        answered(json(INFER, BODY), error(404, "model m@1 was deleted while the request waited"));
        answered(json(INFER, BODY), error(500, "the server failed to handle this request; the log has the details"));
    }

    @Test
    void errorsRaisedAtOnceAreTheProtocolsToo() throws Exception {
        when(models.metadata("nope.encode", null)).thenThrow(new ModelNotFoundException("no model named 'nope'"));
        when(models.infer(eq("m.encode"), eq("2"), any())).thenThrow(new InvalidTensorException("input 'images' has shape [1]"));
        mvc.perform(get("/v2/models/nope.encode")).andExpectAll(error(404, "no model named 'nope'"));
        mvc.perform(json("/v2/models/m.encode/versions/2/infer", BODY)).andExpectAll(error(400, "input 'images' has shape [1]"));
    }

    @Test
    void aBodyThatDoesNotParseNeverReachesTheService() throws Exception {
        mvc.perform(json(INFER, "{\"inputs\": [")).andExpectAll(error(400, "the JSON ends too early (line 1, column 13)"));
        mvc.perform(post(INFER)).andExpectAll(error(400, "the request has no JSON"));
        mvc.perform(json(INFER, BODY).header(TensorCodec.HEADER_LENGTH, "999")).andExpectAll(
                error(400, "Inference-Header-Content-Length is 999 but the body has"));
        verifyNoInteractions(models);
    }

    @Test
    void binaryOutputsFollowTheJsonHeaderWhoseLengthTheResponseSays() throws Exception {
        InferResponse answer = new InferResponse("m.encode", "1", null, Map.of(),
                List.of(new Tensor.Floats("latents", new int[] {1, 2}, new float[] {0.25f, -2f})));
        when(models.infer(eq("m.encode"), isNull(), any())).thenReturn(CompletableFuture.completedFuture(answer));

        MvcResult json = answered(json(INFER, BODY), status().isOk(),
                content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON),
                jsonPath("$.outputs[0].data[1]").value(-2.0), header().doesNotExist(TensorCodec.HEADER_LENGTH));
        assertThat(json.getResponse().getContentAsString()).contains("\"model_version\":\"1\"");

        String binaryBody = BODY.replace("]}]}", "]}], \"parameters\": {\"binary_data_output\": true}}");
        MvcResult binary = answered(json(INFER, binaryBody), status().isOk(),
                content().contentTypeCompatibleWith(MediaType.APPLICATION_OCTET_STREAM));
        byte[] body = binary.getResponse().getContentAsByteArray();
        int headerLength = Integer.parseInt(binary.getResponse().getHeader(TensorCodec.HEADER_LENGTH));
        assertThat(body.length - headerLength).isEqualTo(8);
        assertThat(new String(body, 0, headerLength)).contains("\"binary_data_size\":8").doesNotContain("\"data\"");
        ByteBuffer tail = ByteBuffer.wrap(body, headerLength, 8).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(tail.getFloat()).isEqualTo(0.25f);
        assertThat(tail.getFloat()).isEqualTo(-2f);
    }

    @Test
    void readinessIs200OrTheProtocols400WithTheReason() throws Exception {
        when(models.notReadyReason()).thenReturn(null).thenReturn("the model registry cannot be read: connection refused");
        mvc.perform(get("/v2/health/ready")).andExpect(status().isOk()).andExpect(jsonPath("$.ready").value(true));
        mvc.perform(get("/v2/health/ready")).andExpectAll(error(400, "the model registry cannot be read: connection refused"));
        mvc.perform(get("/v2/health/live")).andExpect(status().isOk()).andExpect(jsonPath("$.live").value(true));
        mvc.perform(get("/v2")).andExpect(status().isOk()).andExpect(jsonPath("$.extensions[0]").value("binary_tensor_data"));
    }

    @Test
    void otherPathsAndMethodsUnderV2AreTheProtocolsErrorsToo() throws Exception {
        mvc.perform(get("/v2/models/m.encode/infer")).andExpectAll(error(405, "/v2/models/m.encode/infer takes POST, not GET"))
                .andExpect(header().string("Allow", "POST"));
        mvc.perform(post("/v2/models/m.encode/versions/1/ready")).andExpectAll(error(405,
                "/v2/models/m.encode/versions/1/ready takes GET, not POST"));
        mvc.perform(post("/v2/health/live")).andExpectAll(error(405, "/v2/health/live takes GET, not POST"));
        mvc.perform(get("/v2/repository/index")).andExpectAll(error(404, "no endpoint /v2/repository/index"));
        mvc.perform(get("/v2/models/m.encode/stats")).andExpectAll(error(404, "no endpoint /v2/models/m.encode/stats"));
        verifyNoInteractions(models);
    }

    /**
     * Only JSON and the binary extension's bytes are read (a form, as curl -d sends, is 415, not decoded); only they are
     * answered (an Accept allowing neither is 406), all before the model is asked.
     */
    @Test
    void infersTakeAndAnswerOnlyJsonOrBinary() throws Exception {
        for (String type : List.of("application/x-www-form-urlencoded", "text/plain", "multipart/form-data")) {
            mvc.perform(post(INFER).header("Content-Type", type).content(BODY)).andExpectAll(error(415,
                    "this endpoint does not take Content-Type " + type), jsonPath("$.error").value(org.hamcrest.Matchers.containsString(
                    "; it takes application/json, application/octet-stream")));
        }
        mvc.perform(post(INFER).header("Content-Type", "application/x-www-form-urlencoded").content(BODY)).andExpect(
                jsonPath("$.error").value(org.hamcrest.Matchers.endsWith("application/octet-stream (curl -d sends a form unless given -H 'Content-Type: "
                        + "application/json')")));
        mvc.perform(json(INFER, BODY).accept("image/png")).andExpectAll(error(406, "Accept: image/png allows none of the types "
                + "this endpoint answers with: application/json, application/octet-stream"));
        mvc.perform(json(INFER, BODY).header("Accept", "*/*;q=abc")).andExpectAll(error(400, "the Accept header '*/*;q=abc' is "
                + "not a list of media ranges (it has a q value that is not a number"));
        verifyNoInteractions(models);
    }

    private MvcResult answered(MockHttpServletRequestBuilder request, ResultMatcher... expected) throws Exception {
        MvcResult started = mvc.perform(request).andExpect(request().asyncStarted()).andReturn();
        return mvc.perform(asyncDispatch(started)).andExpectAll(expected).andReturn();
    }

    /** {@code {"error": "<message>..."}} with this status, as JSON and not an RFC 9457 problem. */
    private static ResultMatcher error(int status, String message) {
        List<ResultMatcher> all = List.of(status().is(status), content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON),
                jsonPath("$.error").value(org.hamcrest.Matchers.startsWith(message)), jsonPath("$.type").doesNotExist());
        return result -> {
            for (ResultMatcher matcher : all) {
                matcher.match(result);
            }
        };
    }

    private static <T> CompletableFuture<T> failed(RuntimeException error) {
        return CompletableFuture.failedFuture(error);
    }

    private static MockHttpServletRequestBuilder json(String path, String body) {
        return post(path).contentType(MediaType.APPLICATION_JSON).content(body);
    }
}
