package dev.latentserve.serving;

import static dev.latentserve.testing.Problems.problem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyDouble;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.request;

import dev.latentserve.family.Completing;
import dev.latentserve.family.Latents;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.ControllerSliceTest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

/** {@code /complete} with the completion service mocked: what the controller reads from each form, and how it answers. */
@ControllerSliceTest(CompletionController.class)
class CompletionControllerTests {

    private static final ImageShape SHAPE = new ImageShape(1, 4, 4);

    @TestConfiguration
    @EnableConfigurationProperties(ServingProperties.class)
    @Import(AsyncResponses.class)
    static class Answers {
    }

    @Autowired
    MockMvc mvc;

    @MockitoBean
    CompletionService completion;

    /** Two completions of a 4x4 image with 2x2 codes, the top row kept. */
    private static CompletableFuture<CompletionService.Completion> answer() {
        int[][] grid = {{1, 2}, {3, 0}};
        Completing.Completed completed = new Completing.Completed(new float[][] {new float[16], new float[16]},
                new Latents.CodeGrids(List.of(grid, grid)), new Latents.CodeGrids(List.<int[][]>of(new int[][] {{1, 1}, {0, 0}})));
        return CompletableFuture.completedFuture(new CompletionService.Completion("vq", 2, SHAPE, 7, new float[16], completed));
    }

    @Test
    void jsonTakesOneImageKnownRowsAndDefaultsAndAnswersKeptCodesAndImages() throws Exception {
        when(completion.complete(eq("vq"), any(), eq(2), isNull(), anyInt(), any(), anyDouble(), any(), any())).thenReturn(answer());
        MvcResult started = mvc.perform(json("{\"pixels\": [[0.5]], \"knownRows\": 2}")).andExpect(request().asyncStarted())
                .andReturn();
        mvc.perform(asyncDispatch(started)).andExpect(jsonPath("$.version").value(2)).andExpect(jsonPath("$.seed").value(7))
                .andExpect(jsonPath("$.kept[0][1]").value(1)).andExpect(jsonPath("$.kept[1][0]").value(0))
                .andExpect(jsonPath("$.images.length()").value(2)).andExpect(jsonPath("$.codes[1][1][0]").value(3));
        verify(completion).complete(eq("vq"), any(ImageInput.Pixels.class), eq(2), isNull(), eq(4), isNull(), eq(1.0), isNull(),
                eq(Map.of()));
    }

    @Test
    void aJsonMaskAndAMaskPartReachTheServiceAndPngIsAStripWithTheImageFirst() throws Exception {
        when(completion.complete(eq("vq"), any(), isNull(), any(), anyInt(), any(), anyDouble(), any(), any())).thenReturn(answer());
        MvcResult started = mvc.perform(json("{\"pixels\": [[0.5]], \"mask\": [[1, 0], [0, 1]], \"count\": 2, \"seed\": 3, "
                + "\"temperature\": 0.5, \"topK\": 5, \"temperatures\": {\"top\": 0.7}}").accept(MediaType.IMAGE_PNG))
                .andExpect(request().asyncStarted()).andReturn();
        byte[] strip = mvc.perform(asyncDispatch(started)).andExpect(content().contentType(MediaType.IMAGE_PNG)).andReturn()
                .getResponse().getContentAsByteArray();
        // The image and two completions side by side, 2-pixel gaps.
        assertThat(ImageCodec.decode(strip, 64).shape()).isEqualTo(new ImageShape(1, 4, 3 * 4 + 2 * 2));
        ArgumentCaptor<CompletionService.Mask> mask = ArgumentCaptor.forClass(CompletionService.Mask.class);
        verify(completion).complete(eq("vq"), any(), isNull(), mask.capture(), eq(2), eq(3L), eq(0.5), eq(5),
                eq(Map.of("top", 0.7)));
        assertThat(((CompletionService.Mask.Values) mask.getValue()).values()).isDeepEqualTo(new double[][] {{1, 0}, {0, 1}});

        byte[] maskPng = ImageCodec.png(SHAPE, new float[16]);
        MvcResult uploaded = mvc.perform(multipart("/v1/models/vq/complete")
                .file(new MockMultipartFile("image", "a.png", "image/png", ImageCodec.png(SHAPE, new float[16])))
                .file(new MockMultipartFile("mask", "mask.png", "image/png", maskPng)).param("count", "2").param("seed", "9"))
                .andExpect(request().asyncStarted()).andReturn();
        mvc.perform(asyncDispatch(uploaded)).andExpect(jsonPath("$.images.length()").value(2));
        ArgumentCaptor<CompletionService.Mask> part = ArgumentCaptor.forClass(CompletionService.Mask.class);
        verify(completion).complete(eq("vq"), any(ImageInput.Encoded.class), isNull(), part.capture(), eq(2), eq(9L), eq(1.0),
                isNull(), eq(Map.of()));
        assertThat(((CompletionService.Mask.Image) part.getValue()).bytes()).isEqualTo(maskPng);
    }

    @Test
    void oneImageIsTaken() throws Exception {
        mvc.perform(json("{\"pixels\": [[0.5], [0.5]], \"knownRows\": 1}")).andExpect(problem(400, "bad-request",
                "Send one image", "completion takes one image per request, not 2; ask for several completions of it with count",
                "/v1/models/vq/complete"));
        mvc.perform(json("{\"knownRows\": 1}")).andExpect(problem(400, "missing-field", "Send images or pixels",
                "send exactly one of {\"images\": [\"<base64 png>\", ...]} or {\"pixels\": [[...C*H*W floats...]]}",
                "/v1/models/vq/complete"));
        verifyNoInteractions(completion);
    }

    @Test
    void theFormTakesPerLevelTemperaturesAndReadsAnEmptyValueAsTheDefault() throws Exception {
        when(completion.complete(eq("vq"), any(), eq(2), isNull(), anyInt(), any(), anyDouble(), any(), any())).thenReturn(answer());
        MvcResult started = mvc.perform(form().param("knownRows", "2").param("seed", "").param("count", " 3 ")
                .param("temperatures.top", "0.7").param("temperatures.bottom", "1")).andExpect(request().asyncStarted()).andReturn();
        mvc.perform(asyncDispatch(started)).andExpect(jsonPath("$.images.length()").value(2));
        verify(completion).complete(eq("vq"), any(ImageInput.Encoded.class), eq(2), isNull(), eq(3), isNull(), eq(1.0), isNull(),
                eq(Map.of("top", 0.7, "bottom", 1.0)));
    }

    @Test
    void theFormIsAsStrictAsTheJsonBody() throws Exception {
        String path = "/v1/models/vq/complete";
        mvc.perform(form().param("knownRows", "2").param("count", "2", "64")).andExpect(problem(400, "bad-request",
                "Invalid form field", "form field 'count' is given 2 times; send each field once", path));
        mvc.perform(form().param("knownRows", "2").param("cuont", "2")).andExpect(problem(400, "bad-request",
                "Invalid form field", "form field 'cuont' is not one this form takes; it takes count, image (file), knownRows, "
                        + "mask (file), seed, temperature, temperatures.<key>, topK", path));
        mvc.perform(form().param("knownRows", "2").param("count", "1.0")).andExpect(problem(400, "bad-request",
                "Invalid form field", "field 'count': the value 1.0 is not a whole number from -2147483648 to 2147483647", path));
        mvc.perform(form().param("knownRows", "0x10")).andExpect(problem(400, "bad-request", "Invalid form field",
                "field 'knownRows': the value \"0x10\" is not a whole number from -2147483648 to 2147483647", path));
        mvc.perform(form().param("knownRows", "2").param("seed", "1e3")).andExpect(problem(400, "bad-request",
                "Invalid form field", "field 'seed': the value 1000.0 is not a whole number from -9223372036854775808 to "
                        + "9223372036854775807", path));
        mvc.perform(form().param("knownRows", "2").param("temperature", "[1]")).andExpect(problem(400, "bad-request",
                "Invalid form field", "field 'temperature' takes a finite number, not an array", path));
        mvc.perform(form().file(new MockMultipartFile("count", "c.txt", "text/plain", new byte[] {'2'})).param("knownRows", "2"))
                .andExpect(problem(400, "bad-request", "Invalid form field",
                        "form field 'count' takes a value, not a file (send it as -F count=<value>, without the @)", path));
        mvc.perform(form().param("knownRows", "2").param("mask", "1")).andExpect(problem(400, "bad-request",
                "Invalid form field", "form field 'mask' takes a file, not a value (send it as -F mask=@file.png)", path));
        verifyNoInteractions(completion);
    }

    /** A multipart request with one 4x4 image. */
    private static org.springframework.test.web.servlet.request.MockMultipartHttpServletRequestBuilder form() {
        return multipart("/v1/models/vq/complete")
                .file(new MockMultipartFile("image", "a.png", "image/png", ImageCodec.png(SHAPE, new float[16])));
    }

    private static MockHttpServletRequestBuilder json(String body) {
        return post("/v1/models/vq/complete").contentType(MediaType.APPLICATION_JSON).content(body);
    }
}
