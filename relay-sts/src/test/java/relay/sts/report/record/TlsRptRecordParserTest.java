package relay.sts.report.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TlsRptRecordParserTest {

    /** TXT RRset, the usable rua URIs found (in order). */
    static Stream<Arguments> found() {
        return Stream.of(
                // RFC 8460 §3.2 examples, verbatim
                arguments(txt("v=TLSRPTv1; rua=mailto:reports@example.com"), List.of("mailto:reports@example.com")),
                arguments(txt("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt"),
                        List.of("https://reporting.example.com/v1/tlsrpt")),
                // RPT-05: comma-separated, *WSP "," *WSP
                arguments(txt("v=TLSRPTv1; rua=mailto:a@x.example,https://r.example/v1"),
                        List.of("mailto:a@x.example", "https://r.example/v1")),
                arguments(txt("v=TLSRPTv1; rua=mailto:a@x.example , mailto:b@y.example"),
                        List.of("mailto:a@x.example", "mailto:b@y.example")),
                arguments(txt("v=TLSRPTv1;rua=mailto:a@x.example\t,\tmailto:b@y.example;"),
                        List.of("mailto:a@x.example", "mailto:b@y.example")),
                // RPT-05: ",", "!" and ";" inside a URI are percent-encoded and stay in it
                arguments(txt("v=TLSRPTv1; rua=https://r.example/a%2Cb%3Bc%21d,mailto:a@x.example"),
                        List.of("https://r.example/a%2Cb%3Bc%21d", "mailto:a@x.example")),
                // field-delim = *WSP ";" *WSP, the last one optional
                arguments(txt("v=TLSRPTv1 ; rua=mailto:a@x.example ;  "), List.of("mailto:a@x.example")),
                // RPT-06: other schemes and unparsable URIs are ignored
                arguments(txt("v=TLSRPTv1; rua=ftp://x.example/r,mailto:a@x.example"), List.of("mailto:a@x.example")),
                arguments(txt("v=TLSRPTv1; rua=http://x.example/r,https://y.example/r"), List.of("https://y.example/r")),
                arguments(txt("v=TLSRPTv1; rua=mailto:not-an-address,https://y.example/r"), List.of("https://y.example/r")),
                // RPT-07: unknown fields are ignored, before or after rua
                arguments(txt("v=TLSRPTv1; rua=mailto:r@x.example; ext=1"), List.of("mailto:r@x.example")),
                arguments(txt("v=TLSRPTv1; ext=1; rua=mailto:r@x.example"), List.of("mailto:r@x.example")),
                // decided: the first rua field counts
                arguments(txt("v=TLSRPTv1; rua=mailto:first@x.example; rua=mailto:second@x.example"),
                        List.of("mailto:first@x.example")),
                // RPT-04: the strings of one record join with no separator
                arguments(List.of(List.of("v=TLSRPTv1; rua=mailto:r@ex", "ample.com")), List.of("mailto:r@example.com")),
                arguments(List.of(List.of("v=TLSRPT", "v1; rua=mailto:r@x.example")), List.of("mailto:r@x.example")),
                // RPT-03: records that do not begin with v=TLSRPTv1 are discarded
                arguments(txt("v=spf1 -all", "v=TLSRPTv1; rua=mailto:r@x.example"), List.of("mailto:r@x.example")),
                arguments(txt("v=STSv1; id=1", "v=TLSRPTv1; rua=mailto:r@x.example"), List.of("mailto:r@x.example")),
                arguments(txt("v=TLSRPTv2; rua=mailto:b@x.example", "v=TLSRPTv1; rua=mailto:r@x.example"),
                        List.of("mailto:r@x.example")),
                arguments(txt("V=TLSRPTv1; rua=mailto:b@x.example", "v=TLSRPTv1; rua=mailto:r@x.example"),
                        List.of("mailto:r@x.example")),
                arguments(txt("v=TLSRPTv10; rua=mailto:b@x.example", "v=TLSRPTv1; rua=mailto:r@x.example"),
                        List.of("mailto:r@x.example")));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource
    void found(List<List<String>> txt, List<String> rua) {
        RptDiscovery d = TlsRptRecordParser.parse(txt);
        assertThat(d).as(d.describe()).isInstanceOf(RptDiscovery.Found.class);
        assertThat(d.found().orElseThrow().rua()).extracting(r -> r.uri().toString()).containsExactlyElementsOf(rua);
    }

    /** TXT RRset, the kind of "no reporting" it is. */
    static Stream<Arguments> notFound() {
        return Stream.of(
                // RPT-03: no record, or not exactly one
                arguments(txt(), RptDiscovery.NoRecord.class),
                arguments(txt("v=spf1 -all"), RptDiscovery.NoRecord.class),
                // RPT-02: v= must come first and is case-sensitive
                arguments(txt("rua=mailto:r@x.example; v=TLSRPTv1"), RptDiscovery.NoRecord.class),
                arguments(txt("v=TLSRPTv2; rua=mailto:r@x.example"), RptDiscovery.NoRecord.class),
                arguments(txt("v=tlsrptv1; rua=mailto:r@x.example"), RptDiscovery.NoRecord.class),
                arguments(txt(" v=TLSRPTv1; rua=mailto:r@x.example"), RptDiscovery.NoRecord.class),
                // RPT-03: two TLSRPT records, even when one is broken
                arguments(txt("v=TLSRPTv1; rua=mailto:a@x.example", "v=TLSRPTv1; rua=mailto:b@x.example"),
                        RptDiscovery.Multiple.class),
                arguments(txt("v=TLSRPTv1; rua=mailto:a@x.example", "v=TLSRPTv1"), RptDiscovery.Multiple.class),
                // RPT-05: rua= is required
                arguments(txt("v=TLSRPTv1"), RptDiscovery.Invalid.class),
                arguments(txt("v=TLSRPTv1;"), RptDiscovery.Invalid.class),
                arguments(txt("v=TLSRPTv1; ext=1"), RptDiscovery.Invalid.class),
                arguments(txt("v=TLSRPTv1; RUA=mailto:r@x.example"), RptDiscovery.Invalid.class),
                // ABNF: ";" after the version, fields are name=value, no empty field
                arguments(txt("v=TLSRPTv1 rua=mailto:r@x.example"), RptDiscovery.Invalid.class),
                arguments(txt("v=TLSRPTv1; rua=mailto:r@x.example; junk"), RptDiscovery.Invalid.class),
                arguments(txt("v=TLSRPTv1;; rua=mailto:r@x.example"), RptDiscovery.Invalid.class),
                // RPT-06: nothing usable left
                arguments(txt("v=TLSRPTv1; rua=ftp://x.example/r"), RptDiscovery.Invalid.class),
                arguments(txt("v=TLSRPTv1; rua=http://x.example/r"), RptDiscovery.Invalid.class),
                arguments(txt("v=TLSRPTv1; rua="), RptDiscovery.Invalid.class));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource
    void notFound(List<List<String>> txt, Class<? extends RptDiscovery> kind) {
        RptDiscovery d = TlsRptRecordParser.parse(txt);
        assertThat(d).as(d.describe()).isInstanceOf(kind);
        assertThat(d.found()).isEmpty();
    }

    @Test
    void mailtoAddressDropsTheQueryAndDecodesPercentEscapes() {
        Rua.Mailto m = (Rua.Mailto) TlsRptRecordParser.uri("mailto:tls%2Drpt@x.example?subject=hi");
        assertThat(m.address().localPart()).isEqualTo("tls-rpt");
        assertThat(m.address().domain().name()).isEqualTo("x.example");
    }

    @Test
    void ignoredUrisAreKeptForTheLogs() {
        TlsRptRecord r = TlsRptRecordParser.parse(txt("v=TLSRPTv1; rua=ftp://x.example/r,https://y.example/r"))
                .found().orElseThrow();
        assertThat(r.ignored()).containsExactly("ftp://x.example/r");
    }

    @Test
    void wireBytesAreReadOneCharacterEach() {
        byte[] a = "v=TLSRPTv1; rua=mailto:r@".getBytes(StandardCharsets.US_ASCII);
        byte[] b = "x.example".getBytes(StandardCharsets.US_ASCII);
        RptDiscovery d = TlsRptRecordParser.parseWire(List.of(List.of(a, b)));
        assertThat(d.found().orElseThrow().text()).isEqualTo("v=TLSRPTv1; rua=mailto:r@x.example");
    }

    private static List<List<String>> txt(String... records) {
        return Arrays.stream(records).map(List::of).toList();
    }
}
