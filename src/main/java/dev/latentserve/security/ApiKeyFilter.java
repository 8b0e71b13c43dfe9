package dev.latentserve.security;

import dev.latentserve.api.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates a request by its API key, sent as {@code X-API-Key: <key>} or {@code Authorization: Bearer <key>}
 * (a bearer token that looks like a JWT is left to the JWT filter). A key that matches no caller gets 401 at once, with
 * its own explanation when it is the retired generated admin key.
 */
final class ApiKeyFilter extends OncePerRequestFilter {

    static final String HEADER = "X-API-Key";
    static final String RETIRED = "the API key sent is the admin key this service generated at first start; it was retired "
            + "because a key with the admin scope is now configured (latentserve.security.admin-key or "
            + "latentserve.security.api-keys.<name>): send that key instead";

    private final ApiKeys keys;
    private final ProblemWriter problems;

    ApiKeyFilter(ApiKeys keys, ProblemWriter problems) {
        this.keys = keys;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String key = presentedKey(request);
        if (key != null) {
            Optional<ApiKeys.Caller> caller = keys.find(key);
            if (caller.isEmpty() && keys.isRetired(key)) {
                problems.write(request, response, HttpStatus.UNAUTHORIZED, "unauthorized", "Retired API key", RETIRED, null);
                return;
            }
            if (caller.isEmpty()) {
                problems.write(request, response, HttpStatus.UNAUTHORIZED, "unauthorized", "Unknown API key",
                        "the API key sent is not one of this service's keys", null);
                return;
            }
            SecurityContextHolder.getContext().setAuthentication(UsernamePasswordAuthenticationToken.authenticated(
                    new CallerPrincipal(caller.get()), null,
                    caller.get().scopes().stream().map(scope -> new SimpleGrantedAuthority(scope.authority())).toList()));
        }
        chain.doFilter(request, response);
    }

    private static String presentedKey(HttpServletRequest request) {
        String key = request.getHeader(HEADER);
        if (key != null) {
            return key.trim();
        }
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = authorization.substring(7).trim();
            return looksLikeJwt(token) ? null : token;
        }
        return null;
    }

    /** Three base64url parts separated by dots; API keys never contain a dot. */
    static boolean looksLikeJwt(String token) {
        return token.chars().filter(c -> c == '.').count() == 2;
    }

    /** The authenticated caller, with its own rate limit. */
    record CallerPrincipal(ApiKeys.Caller caller) {
        @Override
        public String toString() {
            return caller.name();
        }
    }
}
