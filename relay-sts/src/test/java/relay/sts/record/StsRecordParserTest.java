package relay.sts.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StsRecordParserTest {

    private static final String ID32 = "a".repeat(16) + "Z".repeat(8) + "0123456789".substring(0, 8);

    /** TXT RRset (each record one character-string), the id found. */
    static Stream<Arguments> found() {
        return Stream.of(
                // RFC 8461 §3.1: the example record, verbatim
                arguments(txt("v=STSv1; id=20160831085700Z;"), "20160831085700Z"),
                // RFC 8461 §3.1 ABNF: sts-field-delim = *WSP ";" *WSP, the last one optional
                arguments(txt("v=STSv1;id=abc"), "abc"),
                arguments(txt("v=STSv1;id=abc;"), "abc"),
                arguments(txt("v=STSv1;\tid=abc;\t"), "abc"),
                arguments(txt("v=STSv1;   id=abc   ;   "), "abc"),
                // RFC 8461 §3.1 erratum 6285 (STS-10, decided): WSP before the ";" after v=STSv1
                arguments(txt("v=STSv1 ; id=abc"), "abc"),
                arguments(txt("v=STSv1\t;id=abc"), "abc"),
                // RFC 8461 §3.1 sts-id: 1*32(ALPHA / DIGIT), kept as written
                arguments(txt("v=STSv1; id=1"), "1"),
                arguments(txt("v=STSv1; id=" + ID32), ID32),
                arguments(txt("v=STSv1; id=AbC123xYz"), "AbC123xYz"),
                // RFC 8461 §3.1: the order of fields after v= is not significant; extensions ignored (STS-04)
                arguments(txt("v=STSv1; id=abc; ext=1"), "abc"),
                arguments(txt("v=STSv1; ext=1; id=abc"), "abc"),
                arguments(txt("v=STSv1; id=abc; " + "n".repeat(32) + "=v"), "abc"),
                arguments(txt("v=STSv1; id=abc; a.b-c_9=!\"#$%&'()*+,-./0123456789:<>?@[\\]^_`{|}~"), "abc"),
                arguments(txt("v=STSv1; id=abc; ID=other"), "abc"),
                // RFC 8461 §3.2 first-wins rule, applied to the TXT record too (decided)
                arguments(txt("v=STSv1; id=first; id=second"), "first"),
                // RFC 8461 §3.1 (STS-08): the strings of one record join with no separator
                arguments(List.of(List.of("v=STSv1; id=ab", "cd")), "abcd"),
                arguments(List.of(List.of("v=STSv1", "; id=x")), "x"),
                arguments(List.of(List.of("v=STS", "v1; id=", "y")), "y"),
                arguments(List.of(List.of("v=STSv1; id=abc;", "")), "abc"),
                // RFC 8461 §3.1 (STS-05): records that do not begin with v=STSv1 are discarded
                arguments(txt("v=spf1 -all", "v=STSv1; id=1"), "1"),
                arguments(txt("google-site-verification=abc", "v=STSv1; id=2", "v=TLSRPTv1; rua=mailto:a@b"), "2"),
                arguments(txt("V=STSv1; id=9", "v=STSv1; id=3"), "3"),
                arguments(txt("v=STSv10; id=9", "v=STSv1; id=4"), "4"),
                arguments(txt(" v=STSv1; id=9", "v=STSv1; id=5"), "5"),
                arguments(txt("", "v=STSv1; id=6"), "6"),
                // seen in the wild: trailing blanks without a final ";" (tolerated, decided)
                arguments(txt("v=STSv1; id=abc "), "abc"),
                arguments(txt("v=STSv1; id=abc\t"), "abc"));
    }

    @ParameterizedTest(name = "{0} -> id={1}")
    @MethodSource("found")
    void findsTheId(List<List<String>> records, String id) {
        Discovery discovery = StsRecordParser.parse(records);

        assertThat(discovery).isInstanceOf(Discovery.Found.class);
        assertThat(discovery.found()).hasValueSatisfying(record -> assertThat(record.id()).isEqualTo(id));
        assertThat(discovery.describe()).isEqualTo("id=" + id);
    }

    /** TXT RRset, a fragment of the reason. */
    static Stream<Arguments> noRecord() {
        return Stream.of(
                // RFC 8461 §3.1: no record, no policy
                arguments(List.of(), "no TXT records"),
                arguments(txt("v=spf1 -all"), "none of the 1 TXT records begins with v=STSv1"),
                arguments(txt("v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@b"), "none of the 2 TXT records"),
                arguments(txt(""), "none of the 1 TXT records"),
                // RFC 8461 §3.1 (STS-02): sts-version is case-sensitive (%s) and comes first
                arguments(txt("V=STSv1; id=1"), "discarded 'V=STSv1; id=1'"),
                arguments(txt("v=stsv1; id=1"), "case-sensitive"),
                arguments(txt("id=1; v=STSv1"), "must begin with exactly v=STSv1"),
                arguments(txt(" v=STSv1; id=1"), "must begin with exactly v=STSv1"),
                // another version is not this one
                arguments(txt("v=STSv10; id=1"), "discarded 'v=STSv10; id=1'"),
                arguments(txt("v=STSv2; id=1"), "none of the 1 TXT records begins with v=STSv1"),
                // erratum 6285 reading (STS-10): v=STSv1 then anything but ";" or a blank is another record
                arguments(txt("v=STSv1, id=1"), "discarded 'v=STSv1, id=1'"),
                arguments(txt("v=STSv1x; id=1"), "then ';'"));
    }

    @ParameterizedTest(name = "{0} -> no record: {1}")
    @MethodSource("noRecord")
    void findsNoRecord(List<List<String>> records, String reason) {
        Discovery discovery = StsRecordParser.parse(records);

        assertThat(discovery).isInstanceOfSatisfying(Discovery.NoRecord.class,
                none -> assertThat(none.reason()).contains(reason));
        assertThat(discovery.found()).isEmpty();
    }

    /** The one STS record (one character-string unless split), a fragment of the reason. */
    static Stream<Arguments> invalid() {
        return Stream.of(
                // RFC 8461 §3.1 (STS-06): sts-text-record needs 1*(delim field) and an id
                arguments(txt("v=STSv1"), "no fields after v=STSv1 (id= is required)"),
                arguments(txt("v=STSv1;"), "no fields after v=STSv1; (id= is required)"),
                arguments(txt("v=STSv1 ;  "), "no fields after v=STSv1; (id= is required)"),
                arguments(txt("v=STSv1; ext=1"), "no id field"),
                arguments(txt("v=STSv1; ID=1"), "'ID=' is not 'id=': field names are case-sensitive"),
                arguments(txt("v=STSv1; Id=1;"), "'Id=' is not 'id='"),
                // RFC 8461 §3.1 (STS-03): sts-id = %s"id=" 1*32(ALPHA / DIGIT)
                arguments(txt("v=STSv1; id="), "id is empty"),
                arguments(txt("v=STSv1; id=;"), "id is empty"),
                arguments(txt("v=STSv1; id=" + ID32 + "x"), "id is 33 characters long, at most 32"),
                arguments(txt("v=STSv1; id=2026-10-04"), "id '2026-10-04' has '-'"),
                arguments(txt("v=STSv1; id=abc_def"), "id 'abc_def' has '_'"),
                arguments(txt("v=STSv1; id=1.2"), "id '1.2' has '.'"),
                arguments(txt("v=STSv1; id=1 2"), "id '1 2' has ' '"),
                arguments(txt("v=STSv1; id=été"), "has 'é'"),
                arguments(txt("v=STSv1; id=1,ext=2"), "has ','"),
                arguments(txt("v=STSv1; id=ok; id=not-ok"), "id 'not-ok' has '-'"),
                // RFC 8461 §3.1: fields are separated by ";", "=" joins name and value without blanks
                arguments(txt("v=STSv1 id=1"), "v=STSv1 must be followed by ';'"),
                arguments(txt("v=STSv1;; id=1"), "empty field between two ';'"),
                arguments(txt("v=STSv1; id=1;;"), "empty field between two ';'"),
                arguments(txt("v=STSv1; id = 1"), "whitespace around '=' in field 'id = 1'"),
                arguments(txt("v=STSv1; id= 1"), "whitespace around '='"),
                // RFC 8461 §3.1 (STS-04): extensions must match sts-extension, or the record is junk
                arguments(txt("v=STSv1; id=abc; junk"), "field 'junk' is not name=value"),
                arguments(txt("v=STSv1; id=abc; =x"), "field name '' is not"),
                arguments(txt("v=STSv1; id=abc; _x=1"), "field name '_x' is not"),
                arguments(txt("v=STSv1; id=abc; " + "n".repeat(33) + "=1"), "is not 1 to 32 letters"),
                arguments(txt("v=STSv1; id=abc; ext="), "field 'ext' has an empty value"),
                arguments(txt("v=STSv1; id=abc; ext=a=b"), "value 'a=b' of field 'ext'"),
                arguments(txt("v=STSv1; id=abc; ext=ü"), "value 'ü' of field 'ext'"),
                arguments(txt("v=STSv1; id=abc; ext=a b"), "value 'a b' of field 'ext'"),
                // RFC 8461 §3.1 (STS-08): joined without adding spaces, so the blank stays inside the id
                arguments(List.of(List.of("v=STSv1; id=ab", " cd")), "id 'ab cd' has ' '"));
    }

    @ParameterizedTest(name = "{0} -> invalid: {1}")
    @MethodSource("invalid")
    void rejectsTheRecord(List<List<String>> records, String reason) {
        Discovery discovery = StsRecordParser.parse(records);

        assertThat(discovery).isInstanceOfSatisfying(Discovery.Invalid.class,
                invalid -> assertThat(invalid.reason()).contains(reason).contains(String.join("", records.get(0))));
        assertThat(discovery.found()).isEmpty();
    }

    /** TXT RRset, how many STS records it holds. */
    static Stream<Arguments> multiple() {
        return Stream.of(
                // RFC 8461 §3.1 (STS-06): more than one STS record is no policy, never the first
                arguments(txt("v=STSv1; id=1", "v=STSv1; id=2"), 2),
                arguments(txt("v=STSv1; id=1", "v=STSv1; id=1"), 2),
                arguments(txt("v=STSv1; id=1", "v=STSv1"), 2),
                arguments(txt("v=STSv1; id=1", "v=spf1 -all", "v=STSv1; id=2", "v=STSv1; id=3"), 3),
                // erratum 6285 (STS-10): "v=STSv1 ;" is an STS record, so it counts
                arguments(txt("v=STSv1; id=1", "v=STSv1 ; id=2"), 2),
                // seen in the wild: the TXT split differently, once per provider migration
                arguments(List.of(List.of("v=STSv1; id=1"), List.of("v=STSv1; ", "id=2")), 2));
    }

    @ParameterizedTest(name = "{0} -> {1} records")
    @MethodSource("multiple")
    void refusesToChoose(List<List<String>> records, int count) {
        Discovery discovery = StsRecordParser.parse(records);

        assertThat(discovery).isInstanceOfSatisfying(Discovery.Multiple.class, multiple -> {
            assertThat(multiple.count()).isEqualTo(count);
            assertThat(multiple.reason()).contains(count + " TXT records begin with v=STSv1").contains("exactly one");
        });
        assertThat(discovery.found()).isEmpty();
    }

    /** One TXT record as wire bytes (ISO-8859-1 text: one char per byte), the id found or why none. */
    static Stream<Arguments> wire() {
        return Stream.of(
                // RFC 8461 §3.1: US-ASCII, read byte for byte
                arguments("v=STSv1; id=20160831085700Z;", "20160831085700Z", null),
                arguments("v=STSv1; id=abc; ext=a\"b\\c", "abc", null),
                // RFC 8461 §3.1 sts-ext-value: no control characters (dnsjava's getStrings() would hide them as \001)
                arguments("v=STSv1; id=abc; ext=a\u0001b", null,
                        "value 'a\u0001b' of field 'ext' has a character other than"),
                // RFC 8461 §3.1: MUST be US-ASCII; UTF-8 bytes are two non-ASCII characters here
                arguments("v=STSv1; id=caf\u00c3\u00a9", null, "has '\u00c3': only letters and digits"));
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @MethodSource("wire")
    void readsWireBytes(String latin1, String id, String reason) {
        byte[] bytes = latin1.getBytes(StandardCharsets.ISO_8859_1);
        Discovery discovery = StsRecordParser.parseWire(List.of(List.of(bytes)));

        if (id == null) {
            assertThat(discovery).isInstanceOfSatisfying(Discovery.Invalid.class,
                    invalid -> assertThat(invalid.reason()).contains(reason).contains(latin1));
        } else {
            assertThat(discovery.found()).hasValueSatisfying(record -> assertThat(record.id()).isEqualTo(id));
        }
    }

    /** Each argument is one TXT record of one character-string. */
    private static List<List<String>> txt(String... records) {
        return Arrays.stream(records).map(List::of).toList();
    }
}
