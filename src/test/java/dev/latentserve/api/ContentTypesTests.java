package dev.latentserve.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        assertThat(ContentTypes.problem("json")).isEqualTo("it has no '/' between type and subtype, as in application/json");
    }

    /** Spring's and Java's parser wording (asserts, "For input string") never reaches a client. */
    @Test
    void malformedTypesAreSaidInPlainWords() {
        assertThat(ContentTypes.problem("application/json; charset=nope")).isEqualTo("it names an unknown charset 'nope'");
        assertThat(ContentTypes.problem("*/*;q=abc")).isEqualTo("it has a q value that is not a number; q is a number from 0 "
                + "to 1");
        assertThat(ContentTypes.problem("*/*;q=2")).isEqualTo("its q value '2' is outside 0 to 1");
        assertThat(ContentTypes.problem("application/")).isEqualTo("it has no subtype after '/', as in application/json");
        assertThat(ContentTypes.problem("application/json; a=")).isEqualTo("a parameter has no value: parameters are name=value");
        assertThat(ContentTypes.problem("*/json")).isEqualTo("a wildcard type is only allowed as */*");
        assertThat(ContentTypes.problem("app lication/json")).startsWith("it holds the character ' '");
        assertThatThrownBy(() -> ResponseFormats.parse("*/*;q=abc")).hasMessage("the Accept header '*/*;q=abc' is not a list "
                + "of media ranges (it has a q value that is not a number; q is a number from 0 to 1); send for example "
                + "Accept: application/json or Accept: image/png");
    }

    @Test
    void wellFormedTypesPass() {
        assertThat(ContentTypes.problem("application/x-npy")).isNull();
        assertThat(ContentTypes.problem("application/json;charset=UTF-8;")).isNull();
        assertThat(ContentTypes.problem("multipart/form-data; boundary=\"x;y=z\"")).isNull();
        assertThat(ContentTypes.problem("text/plain; name=\"a \\\" ; b\"")).isNull();
    }
}
