package dev.latentserve.jobs;

import dev.latentserve.api.ResponseFormats;
import dev.latentserve.config.ApiRole;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** {@code /v1/jobs}: submit, follow and cancel training jobs. */
@RestController
@ApiRole
@RequestMapping("/v1/jobs")
@Validated
@Tag(name = "Jobs", description = "Asynchronous training jobs")
class JobController {

    private final JobService jobs;
    private final JobEvents events;

    JobController(JobService jobs, JobEvents events) {
        this.jobs = jobs;
        this.events = events;
    }

    @Operation(summary = "Submit a training job; it runs in the background")
    @ApiResponse(responseCode = "202", description = "Queued; Location points at the job",
            content = @Content(schema = @Schema(implementation = Job.class)))
    @ApiResponse(responseCode = "400", description = "Malformed request or value out of range",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "422", description = "Unknown dataset or family, batch larger than the dataset, architecture "
            + "that does not fit the images",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "429", description = "Too many jobs queued; see Retry-After",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @PostMapping
    ResponseEntity<Job> submit(@Valid @RequestBody JobRequest request) throws IOException {
        Job job = jobs.submit(request);
        return ResponseEntity.accepted().location(URI.create("/v1/jobs/" + job.id())).body(job);
    }

    @Operation(summary = "List jobs, newest first")
    @ApiResponse(responseCode = "200", description = "Up to limit jobs",
            content = @Content(mediaType = "application/json", array = @ArraySchema(schema = @Schema(implementation = Job.class))))
    @ApiResponse(responseCode = "400", description = "limit outside 1 to 1000",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping
    List<Job> list(@RequestParam(name = "limit", defaultValue = "100") @Min(1) @Max(1000) int limit) {
        return jobs.list(limit);
    }

    @Operation(summary = "One job: state, progress, result")
    @ApiResponse(responseCode = "200", description = "The job", content = @Content(mediaType = "application/json",
            schema = @Schema(implementation = Job.class)))
    @ApiResponse(responseCode = "404", description = "No such job",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping("/{id}")
    Job get(@PathVariable String id) {
        return jobs.get(id);
    }

    @Operation(summary = "Follow a job as Server-Sent Events",
            description = "Events: 'state' (on every change), 'progress' (epoch, step, last loss, images per second, ETA), "
                    + "'epoch' (metrics of each finished epoch). The stream ends when the job ends.")
    @ApiResponse(responseCode = "200", description = "An event stream", content = @Content(mediaType = "text/event-stream"))
    @ApiResponse(responseCode = "404", description = "No such job",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping(path = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter events(@PathVariable String id) {
        return events.stream(id);
    }

    @Operation(summary = "Download a sample job's result",
            description = "Accept: image/png for the samples as one PNG grid; application/json (default) for the model version, "
                    + "seed, samples per second and the codes of every sample in the form /sample answers and /decode takes "
                    + "(VQ-VAE: a list of grids; VQ-VAE-2: {\"top\": [grids], \"bottom\": [grids]}).")
    @ApiResponse(responseCode = "200", description = "The samples", content = {
            @Content(mediaType = "application/json"), @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary"))})
    @ApiResponse(responseCode = "404", description = "No such job",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "409", description = "Not a sample job, or not SUCCEEDED yet",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping(path = "/{id}/result", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE})
    ResponseEntity<byte[]> result(@PathVariable String id,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        boolean png = ResponseFormats.prefersPng(accept);
        return ResponseEntity.ok().contentType(png ? MediaType.IMAGE_PNG : MediaType.APPLICATION_JSON).body(jobs.result(id, png));
    }

    @Operation(summary = "Cancel a queued or running job")
    @ApiResponse(responseCode = "202", description = "Cancellation accepted; a running job stops within a step")
    @ApiResponse(responseCode = "409", description = "The job has finished already",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @DeleteMapping("/{id}")
    ResponseEntity<Job> cancel(@PathVariable String id) {
        return ResponseEntity.accepted().body(jobs.cancel(id));
    }
}
