package relay.core.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DataStreamTest {

    static Stream<Arguments> rows() {
        return Stream.of(
                // RFC 5321 §4.1.1.4: the data ends with a line holding only a period
                Arguments.of("hello\r\n.\r\n", "hello\r\n"),
                Arguments.of(".\r\n", ""),
                Arguments.of("a\r\n\r\n.\r\n", "a\r\n\r\n"),
                // RFC 5321 §4.5.2: a leading period is removed, on the first line too
                Arguments.of("..hidden\r\n.\r\n", ".hidden\r\n"),
                Arguments.of("a\r\n..b\r\n...\r\n.\r\n", "a\r\n.b\r\n..\r\n"),
                Arguments.of("..\r\n.\r\n", ".\r\n"),
                // a period inside a line is data
                Arguments.of("a.b\r\nc.\r\n.\r\n", "a.b\r\nc.\r\n"),
                // ".\r" not followed by LF does not end the data (the period was stuffing)
                Arguments.of(".\rx\r\n.\r\n", "\rx\r\n"),
                Arguments.of(".\r\r\n.\r\n", "\r\r\n"),
                // seen in the wild: bare LF is not a line end for the terminator
                Arguments.of("a\n.\nb\r\n.\r\n", "a\n.\nb\r\n"),
                Arguments.of("a\r\r\n.\r\n", "a\r\r\n"),
                // binary-ish bytes pass through
                Arguments.of("\u00ff\u0000\r\n.\r\n", "\u00ff\u0000\r\n"));
    }

    @ParameterizedTest
    @MethodSource("rows")
    void readsTheDataAndLeavesWhatFollowsForTheCommandReader(String data, String expected) throws IOException {
        String after = "MAIL FROM:<next@example.com>\r\n";
        for (int readSize : new int[] {1, 2, 3, 7, 64 * 1024}) {
            for (int bufferSize : new int[] {1, 4, 8192}) {
                BufferedInputStream raw = new BufferedInputStream(bytes(data + after), bufferSize);
                DataStream in = new DataStream(raw);
                assertThat(new String(readAll(in, readSize), StandardCharsets.ISO_8859_1))
                        .as("read size %d, buffer %d", readSize, bufferSize).isEqualTo(expected);
                assertThat(in.read()).isEqualTo(-1);
                assertThat(new String(raw.readAllBytes(), StandardCharsets.ISO_8859_1))
                        .as("bytes after the final dot stay unread").isEqualTo(after);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("truncated")
    void aClientThatHangsUpBeforeTheFinalDotIsAnError(String data) {
        DataStream in = new DataStream(new BufferedInputStream(bytes(data), 8));
        assertThatThrownBy(() -> readAll(in, 5)).isInstanceOf(EOFException.class);
    }

    static Stream<String> truncated() {
        return Stream.of("", "hello", "hello\r\n", "hello\r\n.", "hello\r\n.\r", "a\r\n..\r\n");
    }

    @org.junit.jupiter.api.Test
    void largeDataStreamsThrough() throws IOException {
        StringBuilder sb = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            String line = (i % 7 == 0 ? "." : "") + "line " + i + " " + "x".repeat(i % 50);
            sb.append(line.startsWith(".") ? "." + line : line).append("\r\n");
            expected.append(line).append("\r\n");
        }
        DataStream in = new DataStream(new BufferedInputStream(bytes(sb + ".\r\nQUIT\r\n")));
        assertThat(new String(readAll(in, 10_000), StandardCharsets.ISO_8859_1)).isEqualTo(expected.toString());
    }

    private static ByteArrayInputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static byte[] readAll(DataStream in, int readSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[readSize];
        while (true) {
            int n = readSize == 1 ? single(in, buf) : in.read(buf, 0, readSize);
            if (n < 0) {
                return out.toByteArray();
            }
            out.write(buf, 0, n);
        }
    }

    private static int single(DataStream in, byte[] buf) throws IOException {
        int b = in.read();
        if (b < 0) {
            return -1;
        }
        buf[0] = (byte) b;
        return 1;
    }
}
