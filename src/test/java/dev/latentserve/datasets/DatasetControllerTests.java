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
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

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

    @Test
    void imagesComeAsPngWithTheDatasetsCountAndTheGridsDefaults() throws Exception {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        when(datasets.image("blobs", 3)).thenReturn(new DatasetService.Png(png, 10));
        when(datasets.grid("blobs", 0, 64, null)).thenReturn(new DatasetService.Png(png, 10));
        when(datasets.grid("blobs", 8, 256, 1)).thenReturn(new DatasetService.Png(png, 10));

        for (String path : new String[] {"/v1/datasets/blobs/images/3", "/v1/datasets/blobs/images",
                "/v1/datasets/blobs/images?from=8&count=256&columns=1"}) {
            mvc.perform(get(path)).andExpect(status().isOk()).andExpect(content().contentType(MediaType.IMAGE_PNG))
                    .andExpect(header().string("X-Total-Count", "10")).andExpect(content().bytes(png));
        }
    }

    @Test
    void gridParametersOutOfRangeAreRefusedNamingTheParameterAndItsRange() throws Exception {
        String path = "/v1/datasets/blobs/images";
        String[][] refused = {
            {"count=0", "count must be between 1 and 256, not 0"},
            {"count=-3", "count must be between 1 and 256, not -3"},
            {"count=257", "count must be between 1 and 256, not 257"},
            {"columns=0", "columns must be between 1 and 256, not 0"},
            {"columns=257", "columns must be between 1 and 256, not 257"},
            {"from=-1", "from must be greater than or equal to 0, not -1"},
            {"count=many", "parameter 'count' takes a whole number, not 'many'"},
            {"from=1.5", "parameter 'from' takes a whole number, not '1.5'"},
        };
        for (String[] query : refused) {
            mvc.perform(get(path + "?" + query[0])).andExpect(problem(400, "bad-request", "Invalid parameter", query[1], path));
        }
        mvc.perform(get("/v1/datasets/blobs/images/first")).andExpect(problem(400, "bad-request", "Invalid parameter",
                "parameter 'index' takes a whole number, not 'first'", "/v1/datasets/blobs/images/first"));
        verifyNoInteractions(datasets);
    }

    @Test
    void anImageOutsideTheDatasetOrAnUnknownDatasetIsNotFound() throws Exception {
        when(datasets.image("blobs", 10)).thenThrow(new DatasetImageNotFoundException("blobs", 10, "index", 10));
        when(datasets.grid("blobs", 10, 64, null)).thenThrow(new DatasetImageNotFoundException("blobs", 10, "from", 10));
        when(datasets.image("gone", 0)).thenThrow(new DatasetNotFoundException("gone"));

        mvc.perform(get("/v1/datasets/blobs/images/10")).andExpect(problem(404, "dataset-image-not-found",
                "Dataset image not found", "dataset 'blobs' holds 10 images (indices 0..9); there is none at index=10",
                "/v1/datasets/blobs/images/10"));
        mvc.perform(get("/v1/datasets/blobs/images").param("from", "10")).andExpect(problem(404, "dataset-image-not-found",
                "Dataset image not found", "dataset 'blobs' holds 10 images (indices 0..9); there is none at from=10",
                "/v1/datasets/blobs/images"));
        mvc.perform(get("/v1/datasets/gone/images/0").accept(MediaType.IMAGE_PNG)).andExpect(problem(404, "dataset-not-found",
                "Dataset not found", "no dataset with id 'gone'; GET /v1/datasets lists them", "/v1/datasets/gone/images/0"));
    }

    private static MockHttpServletRequestBuilder raw() {
        return post("/v1/datasets").contentType(MediaType.APPLICATION_OCTET_STREAM).content(new byte[] {0, 0, 8, 1});
    }
}
