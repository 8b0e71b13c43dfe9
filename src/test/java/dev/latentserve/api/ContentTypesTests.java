package dev.latentserve.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Content-Type syntax: what Spring's parsing skips is refused; quoted values and empty parameters are not. */
class ContentTypesTests {

    @Test
    void aParameterWithoutAValueIsMalformed() {
        assertThat(ContentTypes.problem("application/x-npy;garbage")).isEqualTo("parameter 'garbage' has no value: parameters "
                + "are name=value");
        assertThat(ContentTypes.problem("application/json; charset=utf-8; x")).isEqualTo("parameter 'x' has no value: "
                + "parameters are name=value");
        assertThat(ContentTypes.problem("multipart/form-data; boundary=\"a;b")).isNotNull();
        assertThat(ContentTypes.problem("json")).contains("json");
    }

    @Test
    void wellFormedTypesPass() {
        assertThat(ContentTypes.problem("application/x-npy")).isNull();
        assertThat(ContentTypes.problem("application/json;charset=UTF-8;")).isNull();
        assertThat(ContentTypes.problem("multipart/form-data; boundary=\"x;y=z\"")).isNull();
        assertThat(ContentTypes.problem("text/plain; name=\"a \\\" ; b\"")).isNull();
    }
}
