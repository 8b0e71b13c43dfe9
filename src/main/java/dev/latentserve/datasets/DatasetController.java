package dev.latentserve.datasets;

import dev.latentserve.config.ApiRole;
import dev.latentserve.storage.Names;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.constraints.Min;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import org.hibernate.validator.constraints.Range;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/** {@code /v1/datasets}: upload, list, inspect, look at the images, delete, and import Fashion-MNIST. */
@RestController
@ApiRole
@RequestMapping("/v1/datasets")
@Validated
@Tag(name = "Datasets", description = "Image datasets for training: IDX (optionally gzipped), zip of PNG/JPEG, or .npy")
@ApiResponse(responseCode = "413", description = "Upload or decoded images too large",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "415", description = "Not IDX, zip or npy",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "422", description = "Truncated file, bad magic number, mixed image sizes, unsafe zip entry",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
class DatasetController {

    private final DatasetService datasets;

    DatasetController(DatasetService datasets) {
        this.datasets = datasets;
    }

    @Operation(summary = "Upload a dataset as a multipart part named 'file'")
    @ApiResponse(responseCode = "201", description = "Stored", content = @Content(schema = @Schema(implementation = Dataset.class)))
    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    ResponseEntity<Dataset> upload(@RequestPart("file") MultipartFile file, @RequestParam(name = "name", required = false) @Nullable String name)
            throws IOException {
        try (InputStream in = file.getInputStream()) {
            return created(name == null ? datasets.create(in, file.getOriginalFilename())
                    : datasets.createNamed(in, Names.check("dataset name", name)));
        }
    }

    @Operation(summary = "Upload a dataset as the raw request body (application/octet-stream)")
    @ApiResponse(responseCode = "201", description = "Stored", content = @Content(schema = @Schema(implementation = Dataset.class)))
    @PostMapping(consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    ResponseEntity<Dataset> uploadRaw(HttpServletRequest request, @RequestParam(name = "name", required = false) @Nullable String name)
            throws IOException {
        try (InputStream in = request.getInputStream()) {
            return created(name == null ? datasets.create(in, null) : datasets.createNamed(in, Names.check("dataset name", name)));
        }
    }

    @Operation(summary = "Import Fashion-MNIST from Debian's dataset-fashion-mnist as fashion-mnist-train and fashion-mnist-test")
    @ApiResponse(responseCode = "201", description = "Imported")
    @ApiResponse(responseCode = "200", description = "Both were there already: nothing imported")
    @ApiResponse(responseCode = "409", description = "Fashion-MNIST is not installed on the server",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @PostMapping("/fashion-mnist")
    ResponseEntity<List<Dataset>> importFashionMnist() throws IOException {
        DatasetService.Imported imported = datasets.importFashionMnist();
        return ResponseEntity.status(imported.created() ? 201 : 200).body(imported.datasets());
    }

    @Operation(summary = "List datasets")
    @ApiResponse(responseCode = "200", description = "Every dataset, uploads and imports",
            content = @Content(mediaType = "application/json", array = @ArraySchema(schema = @Schema(implementation = Dataset.class))))
    @GetMapping
    List<Dataset> list() throws IOException {
        return datasets.list();
    }

    @Operation(summary = "Get one dataset's metadata")
    @ApiResponse(responseCode = "200", description = "The dataset: size, image shape, format",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = Dataset.class)))
    @ApiResponse(responseCode = "404", description = "No such dataset",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping("/{id}")
    Dataset get(@PathVariable String id) throws IOException {
        return datasets.get(id);
    }

    @Operation(summary = "One image of a dataset as a PNG, grey or RGB as stored (pixels in [0, 1] scaled to 8 bits)",
            description = "{id} is the dataset's id or name; {index} counts from 0. X-Total-Count says how many images "
                    + "the dataset holds.")
    @ApiResponse(responseCode = "200", description = "The image",
            content = @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "400", description = "index is not a whole number",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "404", description = "No such dataset (dataset-not-found), or no image at this index "
            + "(dataset-image-not-found, saying how many images the dataset holds)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping("/{id}/images/{index}")
    ResponseEntity<byte[]> image(@PathVariable String id, @PathVariable int index) throws IOException {
        return png(datasets.image(id, index));
    }

    @Operation(summary = "Images from .. from+count-1 of a dataset as one PNG grid",
            description = "{id} is the dataset's id or name. Rows of 'columns' images with a 2-pixel black gap; where the "
                    + "range passes the end of the dataset, the grid holds the images that exist. X-Total-Count says how "
                    + "many images the dataset holds.")
    @ApiResponse(responseCode = "200", description = "The grid",
            content = @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "400", description = "from, count or columns out of range or not a whole number, or the "
            + "images together larger than a grid holds (" + DatasetService.MAX_GRID_PIXELS + " pixels)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "404", description = "No such dataset (dataset-not-found), or from at or past its end "
            + "(dataset-image-not-found, saying how many images the dataset holds)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping("/{id}/images")
    ResponseEntity<byte[]> grid(@PathVariable String id,
            @Parameter(description = "the first image, 0-based") @RequestParam(name = "from", defaultValue = "0") @Min(0) int from,
            @Parameter(description = "how many images, 1 to " + DatasetService.MAX_GRID_IMAGES)
            @RequestParam(name = "count", defaultValue = "64") @Range(min = 1, max = DatasetService.MAX_GRID_IMAGES) int count,
            @Parameter(description = "images per row, 1 to " + DatasetService.MAX_GRID_IMAGES
                    + "; by default ceil(sqrt(n)) for the n images in the grid")
            @RequestParam(name = "columns", required = false) @Range(min = 1, max = DatasetService.MAX_GRID_IMAGES)
            @Nullable Integer columns) throws IOException {
        return png(datasets.grid(id, from, count, columns));
    }

    @Operation(summary = "Delete a dataset")
    @ApiResponse(responseCode = "204", description = "Deleted")
    @ApiResponse(responseCode = "404", description = "No such dataset",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(@PathVariable String id) throws IOException {
        datasets.delete(id);
        return ResponseEntity.noContent().build();
    }

    private static ResponseEntity<byte[]> png(DatasetService.Png png) {
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).header("X-Total-Count", Integer.toString(png.total()))
                .body(png.bytes());
    }

    private static ResponseEntity<Dataset> created(Dataset dataset) {
        return ResponseEntity.created(URI.create("/v1/datasets/" + dataset.id())).body(dataset);
    }
}
