package dev.latentserve.registry;

import dev.latentserve.config.ApiRole;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
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
@ApiResponse(responseCode = "400", description = "Unsafe model name",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "404", description = "No such model or version",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
class ModelController {

    private final ModelRegistry registry;

    ModelController(ModelRegistry registry) {
        this.registry = registry;
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
}
