package dev.latentserve.api;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.http.server.PathContainer;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * The endpoints Spring MVC maps, for problems that say what a path offers instead: the media types an endpoint
 * takes, the paths beside one that does not exist. Read from the handler mappings when a problem asks, so that it
 * lists the controllers as they are.
 */
final class Endpoints {

    private final ObjectProvider<RequestMappingHandlerMapping> mappings;

    Endpoints(ObjectProvider<RequestMappingHandlerMapping> mappings) {
        this.mappings = mappings;
    }

    /** The media types the endpoints of {@code pattern} and {@code method} take, in a stable order; empty when any. */
    List<MediaType> consumed(@Nullable String pattern, String method) {
        return infos().filter(info -> info.getPatternValues().contains(pattern) && allows(info, method))
                .flatMap(info -> info.getConsumesCondition().getConsumableMediaTypes().stream())
                .map(MediaType::toString).collect(Collectors.toCollection(TreeSet::new)).stream()
                .map(MediaType::parseMediaType).toList();
    }

    /**
     * Why nothing answers {@code method} {@code path}, naming the endpoints beside it: {@code no endpoint at POST
     * /v1/models/m/frobnicate; the endpoints beside it are POST complete, decode, ...}.
     */
    String noEndpoint(String method, String path) {
        Map<String, TreeSet<String>> beside = beside(path);
        return "no endpoint at " + method + " " + path + (beside.isEmpty() ? "" : "; the endpoints beside it are "
                + beside.entrySet().stream().map(e -> e.getKey() + " " + String.join(", ", e.getValue()))
                        .collect(Collectors.joining("; ")))
                + "; every path is listed at /swagger-ui.html";
    }

    /**
     * The endpoints whose path is {@code path} with another last segment, by method, each with the last segments it
     * takes: for {@code /v1/models/m/frobnicate}, {@code POST -> [complete, decode, ...]}. Empty when none.
     */
    private Map<String, TreeSet<String>> beside(String path) {
        int slash = path.lastIndexOf('/');
        Map<String, TreeSet<String>> beside = new TreeMap<>();
        if (slash <= 0) {
            return beside;
        }
        PathContainer parent = PathContainer.parsePath(path.substring(0, slash));
        infos().forEach(info -> info.getPatternValues().forEach(pattern -> {
            int last = pattern.lastIndexOf('/');
            String segment = pattern.substring(last + 1);
            boolean literal = !segment.isEmpty() && !segment.contains("{") && !segment.contains("*");
            if (last > 0 && literal && PathPatternParser.defaultInstance.parse(pattern.substring(0, last)).matches(parent)) {
                methods(info).forEach(method -> beside.computeIfAbsent(method, m -> new TreeSet<>()).add(segment));
            }
        }));
        return beside;
    }

    private Stream<RequestMappingInfo> infos() {
        return mappings.orderedStream().flatMap(mapping -> mapping.getHandlerMethods().keySet().stream());
    }

    private static boolean allows(RequestMappingInfo info, String method) {
        return info.getMethodsCondition().getMethods().isEmpty()
                || info.getMethodsCondition().getMethods().stream().anyMatch(m -> m.name().equals(method));
    }

    /** The methods an endpoint takes; every one when it names none (listed as such, {@code ANY}). */
    private static List<String> methods(RequestMappingInfo info) {
        return info.getMethodsCondition().getMethods().isEmpty() ? List.of("ANY")
                : info.getMethodsCondition().getMethods().stream().map(RequestMethod::name).toList();
    }
}
