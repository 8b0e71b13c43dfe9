package dev.latentserve.serving;

import dev.latentserve.api.ProblemWriter;
import dev.latentserve.config.ApiRole;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.serving.ServiceOverloadedException.Reason;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.UriUtils;

/**
 * Turns an inference request ({@code /v1}, or the Open Inference Protocol's {@code /v2/.../infer}) away with 503 before its body is read or any of Spring MVC runs, when its model's
 * queue is full. Under overload most requests are refused; through the whole MVC path each refusal cost about as
 * much CPU as serving a request's HTTP part, which starved the engine (BENCHMARKS.md, overload). The queue still
 * decides at submission; this only answers early the requests it would refuse anyway.
 */
@Component
@ApiRole
// After Spring Security's filter chain (order -100): only authenticated callers learn that a queue is full.
@Order(-90)
class AdmissionFilter extends OncePerRequestFilter {

    private static final Pattern INFERENCE = Pattern.compile(
            "/v1/models/([^/]+)/(sample|encode|decode|reconstruct|complete|interpolate|score)");
    /** The Open Inference Protocol's inference: model {@code {name}.{operation}}, optionally a version. */
    private static final Pattern OPEN_INFERENCE = Pattern.compile(
            "/v2/models/([^/]+)\\.(sample|encode|decode|reconstruct)(?:/versions/([0-9]+))?/infer");

    private final ManifestCache manifests;
    private final ModelBatchers batchers;
    private final ProblemWriter problems;

    AdmissionFilter(ManifestCache manifests, ModelBatchers batchers, ProblemWriter problems) {
        this.manifests = manifests;
        this.batchers = batchers;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if ("POST".equals(request.getMethod())) {
            String path = request.getRequestURI().substring(request.getContextPath().length());
            Matcher inference = INFERENCE.matcher(path);
            Matcher open = OPEN_INFERENCE.matcher(path);
            String reference = inference.matches() ? inference.group(1)
                    : open.matches() ? open.group(1) + (open.group(3) == null ? "" : "@" + open.group(3)) : null;
            if (reference != null) {
                ModelManifest manifest = resolved(UriUtils.decode(reference, StandardCharsets.UTF_8));
                String operation = inference.matches() ? inference.group(2) : open.group(2);
                if (manifest != null && batchers.refuseIfFull(manifest, operation)) {
                    refuse(request, response, manifest);
                    return;
                }
            }
        }
        chain.doFilter(request, response);
    }

    /** Null when the reference does not resolve: the controller then answers with the right problem. */
    private ModelManifest resolved(String reference) {
        try {
            return manifests.resolve(reference);
        } catch (RuntimeException | IOException e) {
            return null;
        }
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response, ModelManifest manifest) throws IOException {
        problems.write(request, response, HttpStatus.SERVICE_UNAVAILABLE, Reason.QUEUE_FULL.type(), Reason.QUEUE_FULL.title(),
                "model " + manifest.reference() + " has a full queue; retry shortly", 1);
    }
}
