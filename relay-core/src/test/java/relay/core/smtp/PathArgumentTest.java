package relay.core.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PathArgumentTest {

    /** argument text, keyword, expected path, expected parameters. */
    static Stream<Arguments> valid() {
        return Stream.of(
                // RFC 5321 §4.1.2: "FROM:" Reverse-path [SP Mail-parameters], "TO:" Forward-path
                arguments("FROM:<a@b.example>", "FROM:", "a@b.example", Map.of()),
                arguments("TO:<a@b.example>", "TO:", "a@b.example", Map.of()),
                arguments("from:<a@b.example>", "FROM:", "a@b.example", Map.of()),
                arguments("To:<a@b.example>", "TO:", "a@b.example", Map.of()),
                // RFC 5321 §4.5.5: the null reverse-path
                arguments("FROM:<>", "FROM:", "", Map.of()),
                arguments("FROM:<> SIZE=100", "FROM:", "", Map.of("SIZE", "100")),
                // seen in the wild: a space after the colon (Outlook, some libraries), trailing spaces
                arguments("FROM: <a@b.example>", "FROM:", "a@b.example", Map.of()),
                arguments("TO: <a@b.example>  ", "TO:", "a@b.example", Map.of()),
                // RFC 5321 §4.1.1.3 and Appendix C: source routes are accepted and ignored
                arguments("TO:<@relay.example:a@b.example>", "TO:", "a@b.example", Map.of()),
                arguments("TO:<@one.example,@two.example:a@b.example>", "TO:", "a@b.example", Map.of()),
                // RFC 5321 §4.1.2 Quoted-string: '>' and spaces inside quotes do not end the path
                arguments("FROM:<\"a>b\"@b.example>", "FROM:", "\"a>b\"@b.example", Map.of()),
                arguments("FROM:<\"a b\\\"> c\"@b.example> SIZE=1", "FROM:", "\"a b\\\"> c\"@b.example", Map.of("SIZE", "1")),
                // RFC 5321 §4.1.2 esmtp-param: keyword ["=" value], keywords case-insensitive
                arguments("FROM:<a@b.example> SIZE=12345", "FROM:", "a@b.example", Map.of("SIZE", "12345")),
                arguments("FROM:<a@b.example> size=1 body=8BITMIME", "FROM:", "a@b.example", Map.of("SIZE", "1", "BODY", "8BITMIME")),
                arguments("FROM:<a@b.example> SMTPUTF8", "FROM:", "a@b.example", Map.of("SMTPUTF8", "")),
                arguments("FROM:<a@b.example>   SIZE=1    SMTPUTF8", "FROM:", "a@b.example", Map.of("SIZE", "1", "SMTPUTF8", "")),
                arguments("TO:<a@b.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.example", "TO:", "a@b.example",
                        Map.of("NOTIFY", "SUCCESS,FAILURE", "ORCPT", "rfc822;a@b.example")),
                arguments("FROM:<a@b.example> X-VENDOR-1=on", "FROM:", "a@b.example", Map.of("X-VENDOR-1", "on")),
                // the path is split off, not judged: address syntax is MailAddress's job
                arguments("TO:<not an address>", "TO:", "not an address", Map.of()),
                arguments("TO:<@relay.example>", "TO:", "@relay.example", Map.of()));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource("valid")
    void splitsPathAndParameters(String args, String keyword, String path, Map<String, String> params) throws Exception {
        PathArgument parsed = PathArgument.parse(args, keyword);

        assertThat(parsed.path()).isEqualTo(path);
        assertThat(parsed.parameters()).containsExactlyInAnyOrderEntriesOf(params);
    }

    /** argument text, keyword, the exact reply. */
    static Stream<Arguments> malformed() {
        return Stream.of(
                // RFC 5321 §4.1.1.2-3: the keyword is required
                arguments("", "FROM:", "501 5.5.4 Syntax: MAIL FROM:<address>"),
                arguments("<a@b.example>", "FROM:", "501 5.5.4 Syntax: MAIL FROM:<address>"),
                arguments("TO:<a@b.example>", "FROM:", "501 5.5.4 Syntax: MAIL FROM:<address>"),
                arguments("FROM <a@b.example>", "FROM:", "501 5.5.4 Syntax: MAIL FROM:<address>"),
                arguments("FROM:<a@b.example>", "TO:", "501 5.5.4 Syntax: RCPT TO:<address>"),
                // RFC 5321 §4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">"
                arguments("FROM:a@b.example", "FROM:", "501 5.1.3 Address must be enclosed in angle brackets"),
                arguments("FROM:", "FROM:", "501 5.1.3 Address must be enclosed in angle brackets"),
                arguments("TO:John <a@b.example>", "TO:", "501 5.1.3 Address must be enclosed in angle brackets"),
                arguments("FROM:<a@b.example", "FROM:", "501 5.1.3 Missing '>' after the address"),
                arguments("FROM:<\"a>b@b.example>", "FROM:", "501 5.1.3 Missing '>' after the address"),
                arguments("FROM:<a@b.example>SIZE=1", "FROM:", "501 5.5.4 Expected a space between the address and its parameters"),
                arguments("FROM:<a@b.example>>", "FROM:", "501 5.5.4 Expected a space between the address and its parameters"),
                // RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"), esmtp-value = 1*(...)
                arguments("FROM:<a@b.example> =1", "FROM:", "501 5.5.4 Malformed parameter '=1'"),
                arguments("FROM:<a@b.example> SIZE=", "FROM:", "501 5.5.4 Malformed parameter 'SIZE='"),
                arguments("FROM:<a@b.example> -SIZE=1", "FROM:", "501 5.5.4 Malformed parameter '-SIZE=1'"),
                arguments("FROM:<a@b.example> SI_ZE=1", "FROM:", "501 5.5.4 Malformed parameter 'SI_ZE=1'"),
                arguments("FROM:<a@b.example> SIZE\u0000=1", "FROM:", "501 5.5.4 Malformed parameter 'SIZE?=1'"),
                // RFC 1869 §6 (via RFC 5321 §4.1.2): a parameter given twice is an error, in any case
                arguments("FROM:<a@b.example> SIZE=1 SIZE=1", "FROM:", "501 5.5.4 Parameter SIZE given twice"),
                arguments("FROM:<a@b.example> SIZE=1 size=2", "FROM:", "501 5.5.4 Parameter SIZE given twice"),
                arguments("FROM:<a@b.example> SMTPUTF8 SMTPUTF8", "FROM:", "501 5.5.4 Parameter SMTPUTF8 given twice"));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource("malformed")
    void refusesMalformedArguments(String args, String keyword, String reply) {
        assertThatThrownBy(() -> PathArgument.parse(args, keyword))
                .isInstanceOfSatisfying(SmtpSyntaxException.class, e -> assertThat(e.reply()).isEqualTo(reply));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource("printables")
    void printableReplacesControlsAndTruncates(String in, String out) {
        assertThat(PathArgument.printable(in)).isEqualTo(out);
    }

    static Stream<Arguments> printables() {
        return Stream.of(
                arguments("plain", "plain"),
                arguments("a\r\nb\u007f", "a??b?"),
                arguments("x".repeat(64), "x".repeat(64)),
                arguments("x".repeat(65), "x".repeat(64) + "..."));
    }
}
