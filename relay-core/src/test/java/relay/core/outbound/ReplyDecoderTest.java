package relay.core.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReplyDecoderTest {

    private static List<SmtpReply> decode(String... parts) {
        EmbeddedChannel ch = new EmbeddedChannel(new ReplyDecoder());
        for (String p : parts) {
            ch.writeInbound(Unpooled.copiedBuffer(p, StandardCharsets.UTF_8));
        }
        List<SmtpReply> out = new java.util.ArrayList<>();
        SmtpReply r;
        while ((r = ch.readInbound()) != null) {
            out.add(r);
        }
        return out;
    }

    @Test
    void singleAndMultiLineReplies() {
        List<SmtpReply> r = decode("220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n");
        assertThat(r).hasSize(2);
        assertThat(r.get(0).code()).isEqualTo(220);
        assertThat(r.get(1).lines()).containsExactly("mx.example", "PIPELINING", "SIZE 100");
    }

    @Test
    void repliesSplitAcrossReadsAndBareLf() {
        List<SmtpReply> r = decode("25", "0-a\r", "\n250 b\n354 go\r\n");
        assertThat(r).extracting(SmtpReply::code).containsExactly(250, 354);
        assertThat(r.get(0).lines()).containsExactly("a", "b");
    }

    @Test
    void codeOnlyLine() {
        assertThat(decode("250\r\n").get(0).lines()).containsExactly("");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello\r\n", "25\r\n", "250x\r\n", "250-a\r\n251 b\r\n"})
    void malformedRepliesAreProtocolErrors(String wire) {
        assertThatThrownBy(() -> decode(wire)).isInstanceOf(DecoderException.class);
    }

    @Test
    void endlessLineIsRefused() {
        assertThatThrownBy(() -> decode("250 " + "x".repeat(ReplyDecoder.MAX_LINE + 10)))
                .isInstanceOf(DecoderException.class);
    }

    @Test
    void enhancedStatusCodes() {
        assertThat(new SmtpReply(550, List.of("5.1.1 no such user")).enhancedStatus()).hasValue("5.1.1");
        assertThat(new SmtpReply(451, List.of("4.7.1 try later")).enhancedStatus()).hasValue("4.7.1");
        // RFC 3463: the class must agree with the reply code, no leading zeros
        assertThat(new SmtpReply(550, List.of("4.1.1 confused")).enhancedStatus()).isEmpty();
        assertThat(new SmtpReply(550, List.of("5.01.1 zeros")).enhancedStatus()).isEmpty();
        assertThat(new SmtpReply(550, List.of("no code")).enhancedStatus()).isEmpty();
        assertThat(new SmtpReply(250, List.of("2.0.0 Ok: queued as X")).toString()).isEqualTo("250 2.0.0 Ok: queued as X");
    }
}
