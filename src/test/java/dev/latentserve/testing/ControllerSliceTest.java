package dev.latentserve.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;
import org.springframework.core.annotation.AliasFor;

/**
 * A {@link WebMvcTest} of one controller with the application's problem handling ({@code ProblemHandler} is a
 * controller advice, so every slice has it); mock the service the controller calls with {@code @MockitoBean}. No
 * security: Spring Security's MockMvc support is not on the test class path and {@code SecurityConfiguration} is no
 * web component, so requests reach the controller as an authorised caller's would. The serving feature's
 * AdmissionFilter is left out: a servlet filter, so every web slice would pick it up, and it needs that feature's
 * queues and manifest cache, which only the serving feature's own tests can provide.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@WebMvcTest(excludeFilters = @ComponentScan.Filter(type = FilterType.REGEX, pattern = "dev\\.latentserve\\.serving\\.AdmissionFilter"))
public @interface ControllerSliceTest {

    /** The controller under test. */
    @AliasFor(annotation = WebMvcTest.class, attribute = "controllers")
    Class<?>[] value();
}
