package dev.latentserve.registry;

import dev.latentserve.api.BadRequestException;
import dev.latentserve.config.ApiRole;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.multipart.MultipartHttpServletRequest;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /v1/models}: the registry's names, versions and manifests. */
@RestController
@ApiRole
@RequestMapping("/v1/models")
@Tag(name = "Models", description = "Model names, versions and manifests")
@ApiResponse(responseCode = "400", description = "Unsafe model name, or a testImages that is not a whole number",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "404", description = "No such model or version",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
class ModelController {

    private static final String TEST_DATASET = "testDataset";
    private static final String TEST_IMAGES = "testImages";

    private final ModelRegistry registry;
    private final ModelArchives archives;

    ModelController(ModelRegistry registry, ModelArchives archives) {
        this.registry = registry;
        this.archives = archives;
    }

    /** The parts of an import, for the OpenAPI document: one archive, or the files of an export. */
    record ImportForm(@Schema(type = "string", format = "binary", description = "a zip: an exported version, or a PyTorch "
            + "export's files") String archive,
            @ArraySchema(schema = @Schema(type = "string", format = "binary", description = "one file of a PyTorch export, "
                    + "stored under its file name")) List<String> file,
            @Schema(description = "A stored dataset (id or name) to score the model on before publishing: the quantiles of "
                    + "its scores go into the manifest's metrics, and /score answers percentiles against them. Only for "
                    + "models that score images (a VAE whose descriptor declares a likelihood); also as a query parameter",
                    example = "fashion-mnist-test") String testDataset,
            @Schema(description = "How many of testDataset's first images to score (default all); scoring counts against "
                    + "latentserve.registry.import-probe-timeout", example = "1000") Integer testImages) {
    }

    /** A model with the manifests of all its versions. */
    record ModelDetails(String name, int latestVersion, String family, List<ModelManifest> versions) {
    }

    @Operation(summary = "List models with their versions")
    @ApiResponse(responseCode = "200", description = "Every model", content = @Content(mediaType = "application/json",
            array = @ArraySchema(schema = @Schema(implementation = ModelSummary.class))))
    @GetMapping
    List<ModelSummary> list() throws IOException {
        return registry.list();
    }

    @Operation(summary = "A model and the manifests of its versions")
    @ApiResponse(responseCode = "200", description = "The model", content = @Content(mediaType = "application/json",
            schema = @Schema(implementation = ModelDetails.class)))
    @GetMapping("/{name}")
    ModelDetails get(@PathVariable String name) throws IOException {
        ModelSummary summary = registry.summary(name);
        List<ModelManifest> manifests = new ArrayList<>();
        for (int version : summary.versions()) {
            manifests.add(registry.version(name, version));
        }
        return new ModelDetails(summary.name(), summary.latestVersion(), summary.family(), manifests);
    }

    @Operation(summary = "One version's manifest")
    @ApiResponse(responseCode = "200", description = "The manifest: architecture, input shape, latent space, training and "
            + "metrics", content = @Content(mediaType = "application/json", schema = @Schema(implementation = ModelManifest.class)))
    @GetMapping("/{name}/versions/{version}")
    ModelManifest version(@PathVariable String name, @PathVariable int version) throws IOException {
        return registry.version(name, version);
    }

    @Operation(summary = "Delete a version (its files and its loaded copy)")
    @ApiResponse(responseCode = "204", description = "Deleted")
    @DeleteMapping("/{name}/versions/{version}")
    ResponseEntity<Void> delete(@PathVariable String name, @PathVariable int version) throws IOException {
        registry.delete(name, version);
        return ResponseEntity.noContent().build();
    }

    @Operation(summary = "Import a version: an archive another installation exported, or a model trained in PyTorch",
            description = "Multipart, either one part 'archive' (a zip: what GET .../archive answers, or a PyTorch export "
                    + "folder zipped) or the export's files as parts named 'file', each stored under its file name "
                    + "(latentserve-model.json, encoder.pt, decoder.pt, codebook.npy). The files are validated completely "
                    + "(checksums, or for TorchScript: the descriptor, a probe batch at several batch sizes, every output's "
                    + "shape and finiteness) before the version is published; a failed import leaves nothing behind. With "
                    + "testDataset (a form field or query parameter) the model is also scored on that stored dataset, so "
                    + "that /score answers percentiles. Admin scope: TorchScript is code.")
    @ApiResponse(responseCode = "201", description = "The new version's manifest", content = @Content(mediaType = "application/json",
            schema = @Schema(implementation = ModelManifest.class)))
    @ApiResponse(responseCode = "413", description = "The archive unpacks to more than latentserve.registry.max-import-bytes",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "422", description = "Not a model archive, an unsafe or unknown entry, a checksum mismatch, or "
            + "modules whose outputs do not fit the descriptor; a testDataset that does not exist, holds images of another "
            + "shape, or is given for a model that cannot score images (invalid-test-dataset)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE,
            schema = @Schema(implementation = ImportForm.class)))
    @PostMapping(value = "/{name}/versions", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    ResponseEntity<ModelManifest> importVersion(@PathVariable String name, MultipartHttpServletRequest request) throws IOException {
        Set<String> unknown = new TreeSet<>(request.getMultiFileMap().keySet());
        unknown.removeAll(Set.of("archive", "file"));
        unknown.addAll(request.getParameterMap().keySet());
        unknown.removeAll(Set.of(TEST_DATASET, TEST_IMAGES));
        if (!unknown.isEmpty()) {
            throw new InvalidArchiveException("parts " + unknown + " are not files this endpoint takes: send one part 'archive' "
                    + "(-F archive=@model.zip) or the files as parts 'file' (-F file=@encoder.pt ...); a part sent as text "
                    + "(-F 'file=<encoder.pt') is not a file; besides them it takes " + TEST_DATASET + " and " + TEST_IMAGES);
        }
        ModelArchives.@Nullable TestSet testSet = testSet(request);
        List<MultipartFile> archive = request.getFiles("archive");
        List<MultipartFile> files = request.getFiles("file");
        ModelManifest imported;
        if (archive.size() == 1 && files.isEmpty()) {
            imported = archives.importArchive(name, archive.getFirst().getInputStream(), testSet);
        } else if (archive.isEmpty() && !files.isEmpty()) {
            Map<String, ModelArchives.InputStreamSource> byName = new LinkedHashMap<>();
            for (MultipartFile file : files) {
                String fileName = file.getOriginalFilename();
                if (fileName == null || fileName.isBlank() || byName.put(fileName, file::getInputStream) != null) {
                    throw new InvalidArchiveException("every 'file' part needs a file name of its own (curl -F file=@encoder.pt); "
                            + "got " + (fileName == null || fileName.isBlank() ? "one without a name" : fileName + " twice"));
                }
            }
            imported = archives.importFiles(name, byName, testSet);
        } else {
            throw new InvalidArchiveException("send either one part named 'archive' (a zip) or the files as parts named 'file', "
                    + "not both, not neither, and one archive at a time (got " + archive.size() + " archive and " + files.size()
                    + " file parts)");
        }
        return ResponseEntity.created(URI.create("/v1/models/" + imported.name() + "/versions/" + imported.version())).body(imported);
    }

    /** The held-out images the request names, if any; {@value #TEST_IMAGES} without {@value #TEST_DATASET} is refused. */
    private static ModelArchives.@Nullable TestSet testSet(MultipartHttpServletRequest request) {
        String dataset = request.getParameter(TEST_DATASET);
        String images = request.getParameter(TEST_IMAGES);
        if (dataset == null || dataset.isBlank()) {
            if (images != null) {
                throw new BadRequestException("bad-request", "Invalid parameter", TEST_IMAGES + " caps the images of "
                        + TEST_DATASET + ", which is missing: name a stored dataset (-F " + TEST_DATASET + "=<id or name>)");
            }
            return null;
        }
        if (images == null) {
            return new ModelArchives.TestSet(dataset, null);
        }
        try {
            return new ModelArchives.TestSet(dataset, Integer.valueOf(images.strip()));
        } catch (NumberFormatException e) {
            throw new BadRequestException("bad-request", "Invalid parameter", TEST_IMAGES + " must be a whole number of "
                    + "images, not '" + images + "'");
        }
    }

    @Operation(summary = "A version as one zip archive (its files and their SHA-256), to import into another installation",
            description = "Admin scope. POST /v1/models/{name}/versions with the archive as part 'archive' imports it: the same "
                    + "files, so the same outputs bit for bit on the same device, and the training record with importedFrom.")
    @ApiResponse(responseCode = "200", description = "The archive", content = @Content(mediaType = "application/zip"))
    @GetMapping(value = "/{name}/versions/{version}/archive", produces = "application/zip")
    ResponseEntity<StreamingResponseBody> archive(@PathVariable String name, @PathVariable int version) {
        ModelManifest manifest = registry.version(name, version);
        StreamingResponseBody body = out -> archives.export(manifest, out);
        return ResponseEntity.ok().contentType(MediaType.parseMediaType("application/zip"))
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment()
                        .filename(manifest.name() + "-" + manifest.version() + ".zip").build().toString())
                .body(body);
    }
}
