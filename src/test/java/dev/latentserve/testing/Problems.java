package dev.latentserve.testing;

import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.latentserve.api.ProblemHandler;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.ResultMatcher;

/** What a controller slice test expects of a problem response: every member, exactly. */
public final class Problems {

    private Problems() {
    }

    /** An RFC 9457 problem with this status, type (the slug after the type base), title, detail and instance. */
    public static ResultMatcher problem(int status, String type, String title, String detail, String instance) {
        List<ResultMatcher> members = List.of(status().is(status), content().contentType(MediaType.APPLICATION_PROBLEM_JSON),
                jsonPath("$.status").value(status), jsonPath("$.type").value(ProblemHandler.TYPE_BASE + type),
                jsonPath("$.title").value(title), jsonPath("$.detail").value(detail), jsonPath("$.instance").value(instance));
        return result -> {
            for (ResultMatcher member : members) {
                member.match(result);
            }
        };
    }
}
