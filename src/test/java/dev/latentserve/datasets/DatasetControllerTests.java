package dev.latentserve.datasets;

import static dev.latentserve.testing.Problems.problem;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import dev.latentserve.datasets.DatasetFormatException.Kind;
import dev.latentserve.testing.ControllerSliceTest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

/** {@code /v1/datasets}' problems, with the dataset service mocked. */
@ControllerSliceTest(DatasetController.class)
class DatasetControllerTests {

    @Autowired
    MockMvc mvc;

    @MockitoBean
    DatasetService datasets;

    @Test
    void anUnknownDatasetIsNotFound() throws Exception {
        when(datasets.get("gone")).thenThrow(new DatasetNotFoundException("gone"));
        doThrow(new DatasetNotFoundException("gone")).when(datasets).delete("gone");

        String detail = "no dataset with id 'gone'; GET /v1/datasets lists them";
        mvc.perform(get("/v1/datasets/gone"))
                .andExpect(problem(404, "dataset-not-found", "Dataset not found", detail, "/v1/datasets/gone"));
        mvc.perform(delete("/v1/datasets/gone"))
                .andExpect(problem(404, "dataset-not-found", "Dataset not found", detail, "/v1/datasets/gone"));
    }

    @Test
    void eachKindOfBrokenUploadHasItsOwnProblem() throws Exception {
        when(datasets.create(any(), any())).thenThrow(new DatasetFormatException(Kind.UNSUPPORTED_FORMAT, "not IDX, zip or npy"))
                .thenThrow(new DatasetFormatException(Kind.MALFORMED, "the IDX file ends after 3 of 4 images"))
                .thenThrow(new DatasetFormatException(Kind.TOO_LARGE, "more than 60000 images"));

        mvc.perform(raw()).andExpect(problem(415, "unsupported-dataset-format", "Unsupported dataset format",
                "not IDX, zip or npy", "/v1/datasets"));
        mvc.perform(raw()).andExpect(problem(422, "invalid-dataset", "Invalid dataset",
                "the IDX file ends after 3 of 4 images", "/v1/datasets"));
        mvc.perform(raw()).andExpect(problem(413, "dataset-too-large", "Dataset too large", "more than 60000 images",
                "/v1/datasets"));
    }

    @Test
    void aDatasetThatExistsAlreadyOrFashionMnistMissingOnTheServerIsAConflict() throws Exception {
        when(datasets.create(any(), any())).thenThrow(new DatasetConflictException("dataset 'blobs' exists already"));
        when(datasets.importFashionMnist()).thenThrow(new FashionMnistUnavailableException(Path.of("/usr/share/fashion-mnist")));

        mvc.perform(multipart("/v1/datasets").file(new MockMultipartFile("file", "blobs", "application/octet-stream",
                new byte[] {1}))).andExpect(problem(409, "conflict", "Conflicts with the current state",
                "dataset 'blobs' exists already", "/v1/datasets"));
        mvc.perform(post("/v1/datasets/fashion-mnist")).andExpect(problem(409, "fashion-mnist-unavailable",
                "Fashion-MNIST is not installed", "Fashion-MNIST is not installed at /usr/share/fashion-mnist (install "
                        + "Debian's dataset-fashion-mnist, or set latentserve.datasets.fashion-mnist-dir)",
                "/v1/datasets/fashion-mnist"));
    }

    @Test
    void anUnsafeNameIsRefusedBeforeAnythingIsStored() throws Exception {
        mvc.perform(raw().param("name", "../etc")).andExpect(problem(400, "invalid-name", "Invalid name",
                "dataset name '../etc' is not allowed: use 1-64 lower-case letters, digits, '.', '_' or '-', starting with "
                        + "a letter or digit", "/v1/datasets"));
        verifyNoInteractions(datasets);
    }

    private static MockHttpServletRequestBuilder raw() {
        return post("/v1/datasets").contentType(MediaType.APPLICATION_OCTET_STREAM).content(new byte[] {0, 0, 8, 1});
    }
}
