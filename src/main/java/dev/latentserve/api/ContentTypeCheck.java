package dev.latentserve.api;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Refuses a request body whose Content-Type is malformed in a way Spring's parsing lets through (a parameter without a
 * value, see {@link ContentTypes}), as the 415 that a Content-Type Spring cannot parse gets, listing what the endpoint
 * takes. Runs once the endpoint is known, so that the problem (or on {@code /v2}, the protocol's error) is its own.
 */
@Component
class ContentTypeCheck implements WebMvcConfigurer, HandlerInterceptor {

    private final Endpoints endpoints;

    ContentTypeCheck(ObjectProvider<RequestMappingHandlerMapping> mappings) {
        this.endpoints = new Endpoints(mappings);
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this);
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler)
            throws HttpMediaTypeNotSupportedException {
        String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
        // Only the request itself: an error or async dispatch of one already refused would fail again.
        boolean hasBody = request.getContentLengthLong() > 0 || request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
        if (request.getDispatcherType() != DispatcherType.REQUEST || contentType == null || !hasBody) {
            return true;
        }
        String problem = ContentTypes.problem(contentType);
        if (problem != null) {
            Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
            throw new HttpMediaTypeNotSupportedException("the Content-Type '" + contentType + "' is malformed: " + problem,
                    endpoints.consumed(pattern instanceof String p ? p : null, request.getMethod()));
        }
        return true;
    }
}
