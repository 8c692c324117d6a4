package relay.core.outbound;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import relay.core.delivery.MessageSource;

/**
 * One outbound SMTP connection, driven step by step by a delivery thread. Netty does the I/O;
 * every step waits for its reply with its RFC 5321 §4.5.3.2 timeout. Not thread-safe.
 *
 * <p>A command is handed to the event loop and the thread then waits for the reply only, not
 * for the write as well: a failed write queues its error where the reply would have come
 * ({@link ReplyQueue#fail}), and a write the server does not take ends in the reply's timeout.
 * Each wait is a hand-off between two threads (a park and a wake-up); on a new connection with
 * STARTTLS this halves them, from about 18 per message to 9.
 */
public final class SmtpSession implements AutoCloseable {

    private final Channel channel;
    private java.util.Optional<String> greetingName = java.util.Optional.empty();
    private final ReplyDecoder decoder;
    private final ReplyQueue replies;
    private final SmtpTimeouts timeouts;
    private final InetSocketAddress remote;
    private Capabilities capabilities = Capabilities.none();
    private SSLSession tls;
    private boolean broken;

    private SmtpSession(Channel channel, ReplyDecoder decoder, ReplyQueue replies, SmtpTimeouts timeouts,
            InetSocketAddress remote) {
        this.channel = channel;
        this.decoder = decoder;
        this.replies = replies;
        this.timeouts = timeouts;
        this.remote = remote;
    }

    /**
     * Connects (TCP_NODELAY: without it a TLS 1.2 handshake stalls on delayed ACKs) and returns
     * once the connection is up; read the greeting next with {@link #greeting()}.
     */
    public static SmtpSession connect(EventLoopGroup group, InetSocketAddress address, SmtpTimeouts timeouts)
            throws IOException {
        ReplyDecoder decoder = new ReplyDecoder();
        ReplyQueue replies = new ReplyQueue();
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(timeouts.connect().toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("replies-in", decoder).addLast("replies", replies);
                    }
                });
        ChannelFuture f = b.connect(address);
        if (!f.awaitUninterruptibly(timeouts.connect().toMillis() + 1000)) {
            f.cancel(true);
            throw new SocketTimeoutException("connect to " + address + " timed out");
        }
        if (!f.isSuccess()) {
            Throwable c = f.cause();
            if (c instanceof IOException io) {
                throw io;
            }
            throw new ConnectException("connect to " + address + " failed: " + c);
        }
        return new SmtpSession(f.channel(), decoder, replies, timeouts, address);
    }

    public InetSocketAddress remote() {
        return remote;
    }

    /** Our end of the connection (RFC 8460 {@code sending-mta-ip}). */
    public java.util.Optional<InetSocketAddress> local() {
        return channel.localAddress() instanceof InetSocketAddress a ? java.util.Optional.of(a) : java.util.Optional.empty();
    }

    public SmtpReply greeting() throws IOException {
        SmtpReply g = read(timeouts.greeting(), "the greeting");
        if (!g.lines().isEmpty()) {
            String first = g.lines().get(0).strip();
            int sp = first.indexOf(' ');
            greetingName = java.util.Optional.of(sp < 0 ? first : first.substring(0, sp)).filter(n -> !n.isEmpty());
        }
        return g;
    }

    /** The host name the server announced in its 220 greeting (RFC 8460 {@code receiving-mx-helo}). */
    public java.util.Optional<String> greetingName() {
        return greetingName;
    }

    /** EHLO, and HELO when the server refuses EHLO (RFC 5321 §4.1.1.1, §3.2). */
    public SmtpReply hello(String heloName) throws IOException {
        SmtpReply r = command("EHLO " + heloName, timeouts.command());
        if (r.positive()) {
            capabilities = Capabilities.fromEhlo(r);
            return r;
        }
        if (r.permanentFailure()) {
            SmtpReply helo = command("HELO " + heloName, timeouts.command());
            capabilities = Capabilities.none();
            return helo;
        }
        return r;
    }

    public boolean offers(String extension) {
        return capabilities.has(extension);
    }

    Capabilities capabilities() {
        return capabilities;
    }

    /**
     * STARTTLS (RFC 3207): on a 220, checks that the server sent nothing after it (response
     * injection), starts TLS with SNI = {@code serverName}, and forgets the pre-TLS capabilities
     * (§4.2): the caller must say EHLO again. Returns the refusal reply if the server refused.
     *
     * @throws TlsFailure when the handshake fails or the server injected data
     * @throws IOException when the STARTTLS command itself fails
     */
    /** The TLS session after a 220 to STARTTLS could not be set up; the connection is unusable. */
    public static final class TlsFailure extends IOException {
        TlsFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Bytes after the 220 to STARTTLS: the event loop's verdict, carried by the handshake promise. */
    private static final class Injection extends Exception {
        Injection() {
            super("response injection", null, false, false);
        }
    }

    public SmtpReply startTls(SslContext context, String serverName) throws IOException {
        SmtpReply r = command("STARTTLS", timeouts.command());
        if (r.code() != 220) {
            return r;
        }
        SslHandler ssl = context.newHandler(channel.alloc(), serverName, remote.getPort());
        ssl.setHandshakeTimeoutMillis(timeouts.command().toMillis());
        try {
            // on the event loop, so no byte can slip in between the check and the handler; the
            // thread then waits once, for the check and the handshake together
            Promise<Channel> handshake = channel.eventLoop().newPromise();
            channel.eventLoop().execute(() -> {
                if (!channel.isActive()) {
                    // an SslHandler added now would wait for an activation that never comes
                    handshake.tryFailure(new IOException("the server closed the connection after its 220 to STARTTLS"));
                    return;
                }
                if (decoder.hasUnreadBytes() || !replies.isEmpty()) {
                    handshake.tryFailure(new Injection());
                    return;
                }
                channel.pipeline().addFirst("tls", ssl);
                ssl.handshakeFuture().addListener(f -> {
                    if (f.isSuccess()) {
                        handshake.trySuccess(channel);
                    } else {
                        handshake.tryFailure(f.cause());
                    }
                });
            });
            if (!handshake.await(timeouts.command().toMillis() + 1000)) {
                broken = true;
                throw new TlsFailure("TLS handshake timed out", null);
            }
            if (handshake.cause() instanceof Injection) {
                broken = true;
                throw new TlsFailure("server sent data after its 220 to STARTTLS (response injection): refused", null);
            }
            if (!handshake.isSuccess()) {
                broken = true;
                Throwable c = handshake.cause();
                throw new TlsFailure("TLS handshake failed: " + (c == null ? "unknown" : c.getMessage()), c);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during STARTTLS");
        } catch (java.util.concurrent.RejectedExecutionException e) {
            broken = true;
            throw new IOException("STARTTLS failed: " + e.getMessage(), e);
        }
        tls = ssl.engine().getSession();
        capabilities = Capabilities.none();
        return r;
    }

    public boolean encrypted() {
        return tls != null;
    }

    public String tlsProtocol() {
        return tls == null ? "none" : tls.getProtocol();
    }

    public String tlsCipher() {
        return tls == null ? "none" : tls.getCipherSuite();
    }

    public Certificate[] peerCertificates() {
        try {
            return tls == null ? new Certificate[0] : tls.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return new Certificate[0];
        }
    }

    /** One command and its reply. */
    public SmtpReply command(String line, Duration timeout) throws IOException {
        write(line + "\r\n");
        return read(timeout, line.split(" ", 2)[0]);
    }

    /**
     * Sends {@code lines} in one write and reads as many replies (RFC 2920 PIPELINING; without
     * the extension, the caller sends one at a time).
     */
    public List<SmtpReply> pipeline(List<String> lines, Duration timeout) throws IOException {
        write(String.join("\r\n", lines) + "\r\n");
        List<SmtpReply> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            out.add(read(timeout, line.split(" ", 2)[0]));
        }
        return out;
    }

    /**
     * Streams the message dot-stuffed, then the final dot, and returns the reply to it. Before a
     * block goes out the one before it must have been written within the RFC 5321 §4.5.3.2.5
     * data-block timeout, so at most two blocks of a big message are in flight; the last block
     * and the final dot go out in one write, and the wait for them is the wait for the reply
     * (§4.5.3.2.6, the data-termination timeout).
     */
    public SmtpReply data(MessageSource message) throws IOException {
        DotStuffer stuffer = new DotStuffer();
        byte[] buf = new byte[64 * 1024];
        byte[] held = null;
        ChannelFuture written = null;
        try (InputStream in = message.open()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                byte[] block = stuffer.encode(buf, n);
                if (held != null) {
                    if (written != null) {
                        awaitWrite(written, timeouts.dataBlock());
                    }
                    written = post(Unpooled.wrappedBuffer(held));
                }
                held = block;
            }
        }
        byte[] end = stuffer.finish();
        post(held == null ? Unpooled.wrappedBuffer(end) : Unpooled.wrappedBuffer(held, end));
        return read(timeouts.dataEnd(), "end of data");
    }

    /**
     * Polite goodbye, best effort: QUIT and its 221 (RFC 5321 §4.1.1.10), then the connection
     * closes without this thread waiting for it; after a failure, {@link #close()} waits.
     */
    public void quit() {
        if (channel.isActive() && !broken) {
            try {
                command("QUIT", Duration.ofSeconds(5));
                channel.close();
                return;
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        close();
    }

    /**
     * QUIT without holding the calling thread: the event loop waits for the reply (RFC 5321
     * §4.1.1.10: the sender SHOULD wait for it before closing) and closes the connection when it
     * comes, or after 5 s without one. For a connection that will carry nothing more; a relay that
     * is shutting down uses {@link #quit()}, whose wait its event loops outlive.
     */
    public void quitInBackground() {
        if (!channel.isActive() || broken) {
            channel.close();
            return;
        }
        replies.closeOnNextReply();
        write("QUIT\r\n");
        try {
            io.netty.util.concurrent.ScheduledFuture<?> deadline = channel.eventLoop().schedule(() -> {
                channel.close();
            }, 5, java.util.concurrent.TimeUnit.SECONDS);
            channel.closeFuture().addListener(f -> deadline.cancel(false));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            channel.close();  // the event loops are shutting down, and close every channel anyway
        }
    }

    /** Whether the connection can carry another transaction. */
    public boolean reusable() {
        // RFC 5321 §3.8 and §4.2: a reply that no command asked for (an idle "421" before the
        // server hangs up) puts the session out of step: the next command would take it for its answer
        return channel.isActive() && !broken && replies.isEmpty();
    }

    /** After an error mid-transaction the connection is not reused. */
    public void markBroken() {
        broken = true;
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2000);
    }

    /** A command line; its reply is what the caller waits for. */
    private void write(String text) {
        post(Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Hands bytes to the event loop without waiting; a failed write is queued as the next "reply". */
    private ChannelFuture post(ByteBuf bytes) {
        return channel.writeAndFlush(bytes).addListener(f -> {
            if (!f.isSuccess()) {
                Throwable c = f.cause();
                replies.fail(c instanceof IOException io ? io : new IOException("write to " + remote + " failed: " + c, c));
            }
        });
    }

    private void awaitWrite(ChannelFuture f, Duration timeout) throws IOException {
        if (!f.awaitUninterruptibly(timeout.toMillis())) {
            broken = true;
            throw new SocketTimeoutException("write to " + remote + " timed out");
        }
        if (!f.isSuccess()) {
            broken = true;
            Throwable c = f.cause();
            throw c instanceof IOException io ? io : new IOException("write failed: " + c, c);
        }
    }

    private SmtpReply read(Duration timeout, String what) throws IOException {
        try {
            return replies.take(timeout, what);
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }
}
