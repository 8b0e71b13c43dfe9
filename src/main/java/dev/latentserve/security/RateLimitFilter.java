package dev.latentserve.security;

import dev.latentserve.api.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/** Answers 429 with Retry-After when an authenticated caller exceeds its rate on the API ({@code /v1/**}). */
final class RateLimitFilter extends OncePerRequestFilter {

    private final RateLimiter limiter;
    private final SecurityProperties.RateLimit defaults;
    private final ProblemWriter problems;

    RateLimitFilter(RateLimiter limiter, SecurityProperties.RateLimit defaults, ProblemWriter problems) {
        this.limiter = limiter;
        this.defaults = defaults;
        this.problems = problems;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith(request.getContextPath() + "/v1/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (authentication != null && authentication.isAuthenticated() && !(authentication instanceof AnonymousAuthenticationToken)) {
            long waitNanos = authentication.getPrincipal() instanceof ApiKeyFilter.CallerPrincipal principal
                    ? limiter.tryAcquire("key:" + principal.caller().name(), principal.caller().requestsPerSecond(),
                            principal.caller().burst())
                    : limiter.tryAcquire("jwt:" + authentication.getName(), defaults.requestsPerSecond(), defaults.burst());
            if (waitNanos > 0) {
                int seconds = (int) Math.max(1, Math.ceil(waitNanos / 1e9));
                problems.write(request, response, HttpStatus.TOO_MANY_REQUESTS, "rate-limited", "Too many requests",
                        "caller " + authentication.getName() + " exceeded its rate limit; retry in " + seconds + " s", seconds);
                return;
            }
        }
        chain.doFilter(request, response);
    }
}
