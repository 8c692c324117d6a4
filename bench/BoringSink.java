// bench/BoringSink.java -- a STARTTLS SMTP sink on Netty and BoringSSL, the copies inside the
// relay's own jar: the C-speed counterpart of smtp-sink for the benchmark's TLS cases.
//
// TlsSink.java (the JDK's TLS, a thread per connection) needs about 1 ms of CPU per message with
// a resumed TLS 1.3 handshake, most of it in the JDK's X25519 and record layer. On a 2-vCPU
// machine shared by the relay under test, Postfix, smtp-source and the sink, that is 60 % of a
// CPU at 600 msg/s, taken from whichever relay is faster. This sink keeps nothing either: it
// answers the SMTP dialogue, reads each message to its final dot, counts it and forgets it.
//
//   java -cp relay-app/target/relay.jar bench/BoringSink.java server HOST:PORT CERT.pem KEY.pem [NAME]
//       CERT.pem: certificate chain (leaf first); KEY.pem: unencrypted PKCS#8 key (RSA or EC).
//       EHLO offers PIPELINING, 8BITMIME, SIZE and (before TLS) STARTTLS; TLS 1.2 and 1.3, with
//       session resumption (BoringSSL's session cache and tickets). Two event-loop threads.
//       Prints "sess=N tls=N resumed=N mesg=N err=N\r" to stdout at most every 10 ms when a
//       counter changed (the format of smtp-sink -c and TlsSink, so one parser reads all three).
//       Exits 2 if BoringSSL cannot be loaded (it never falls back to the JDK's TLS).
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

public final class BoringSink {

    static final AtomicLong SESSIONS = new AtomicLong();
    static final AtomicLong TLS = new AtomicLong();
    static final AtomicLong RESUMED = new AtomicLong();
    static final AtomicLong MESSAGES = new AtomicLong();
    static final AtomicLong ERRORS = new AtomicLong();

    public static void main(String[] args) throws Exception {
        if (args.length < 4 || !args[0].equals("server")) {
            System.err.println("usage: java -cp relay.jar BoringSink.java server HOST:PORT CERT.pem KEY.pem [NAME]");
            System.exit(2);
        }
        if (!OpenSsl.isAvailable()) {
            System.err.println("BoringSink: BoringSSL (netty-tcnative) is not available: " + OpenSsl.unavailabilityCause());
            System.exit(2);
        }
        int colon = args[1].lastIndexOf(':');
        InetSocketAddress at = new InetSocketAddress(InetAddress.getByName(args[1].substring(0, colon)),
                Integer.parseInt(args[1].substring(colon + 1)));
        String name = args.length > 4 ? args[4] : "sink.example.test";
        SslContext tls = SslContextBuilder.forServer(new File(args[2]), new File(args[3]))
                .sslProvider(SslProvider.OPENSSL).protocols("TLSv1.3", "TLSv1.2").build();
        // Netty turns session tickets off unless keys are set; senders (Postfix, the relay, any
        // OpenSSL client) resume TLS 1.3 sessions with tickets, as they would with a real MX
        java.security.SecureRandom random = new java.security.SecureRandom();
        byte[][] key = new byte[3][16];
        for (byte[] k : key) {
            random.nextBytes(k);
        }
        ((OpenSslSessionContext) tls.sessionContext()).setTicketKeys(new OpenSslSessionTicketKey(key[0], key[1], key[2]));
        // one ticket per handshake, as the JDK's TLS (TlsSink) sends; BoringSSL's default is two,
        // and every ticket a client receives is one more session for it to store
        io.netty.internal.tcnative.SSLContext.setNumTickets(((ReferenceCountedOpenSslContext) tls).sslCtxPointer(), 1);
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(Integer.getInteger("sink.threads", 16), NioIoHandler.newFactory());
        new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SESSIONS.incrementAndGet();
                        ch.pipeline().addLast("smtp", new Smtp(tls, name));
                    }
                }).bind(at).sync();
        Thread status = new Thread(BoringSink::status, "status");
        status.setDaemon(true);
        status.start();
        Thread.currentThread().join();
    }

    static void status() {
        String last = "";
        while (true) {
            String now = "sess=" + SESSIONS.get() + " tls=" + TLS.get() + " resumed=" + RESUMED.get()
                    + " mesg=" + MESSAGES.get() + " err=" + ERRORS.get();
            if (!now.equals(last)) {
                System.out.print(now + "\r");
                System.out.flush();
                last = now;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * One SMTP session: command lines until DATA, then content up to CRLF.CRLF (RFC 5321 §4.1.1.4),
     * then commands again. Replies to pipelined commands (RFC 2920) are gathered and flushed once
     * per read.
     */
    static final class Smtp extends ByteToMessageDecoder {
        private final SslContext tls;
        private final String name;
        private boolean encrypted;
        private boolean inData;
        /** How much of CRLF "." CRLF has been seen; content starts at a line start, as if after a CRLF. */
        private int end;
        private ByteBuf replies;
        /** After STARTTLS: plaintext that came with it is dropped (RFC 3207 §4.2, no injection). */
        private boolean discard;

        Smtp(SslContext tls, String name) {
            this.tls = tls;
            this.name = name;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(ascii(ctx, "220 " + name + " ESMTP BoringSink\r\n"));
            ctx.fireChannelActive();
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            while (in.isReadable()) {
                if (inData) {
                    int stop = in.forEachByte(this::content);
                    if (stop < 0) {
                        in.skipBytes(in.readableBytes());
                        return;
                    }
                    in.readerIndex(stop + 1);
                    inData = false;
                    MESSAGES.incrementAndGet();
                    reply(ctx, "250 2.0.0 Ok: queued\r\n");
                    continue;
                }
                int eol = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
                if (eol < 0) {
                    if (in.readableBytes() > 4096) {
                        reply(ctx, "500 5.5.2 line too long\r\n");
                        ctx.close();
                    }
                    return;
                }
                String line = in.toString(in.readerIndex(), eol - in.readerIndex(), StandardCharsets.US_ASCII).strip();
                in.readerIndex(eol + 1);
                if (!command(ctx, line)) {
                    if (discard) {
                        in.skipBytes(in.readableBytes());
                        discard = false;
                    }
                    return;
                }
            }
        }

        /** The CRLF.CRLF automaton; returns false (stop) on its last byte. */
        private boolean content(byte b) {
            switch (end) {
                case 2 -> end = b == '.' ? 3 : b == '\r' ? 1 : 0;
                case 3, 0 -> end = b == '\r' ? (end == 3 ? 4 : 1) : 0;
                case 1 -> end = b == '\n' ? 2 : b == '\r' ? 1 : 0;
                case 4 -> end = b == '\n' ? 5 : b == '\r' ? 1 : 0;
                default -> end = 0;
            }
            return end != 5;
        }

        /** Handles one command line; false when the session ended or the bytes after it belong to TLS. */
        private boolean command(ChannelHandlerContext ctx, String line) {
            String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(Locale.ROOT) : line.toUpperCase(Locale.ROOT);
            switch (verb) {
                case "EHLO" -> reply(ctx, "250-" + name + "\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 104857600\r\n"
                        + (encrypted ? "" : "250-STARTTLS\r\n") + "250 ENHANCEDSTATUSCODES\r\n");
                case "HELO" -> reply(ctx, "250 " + name + "\r\n");
                case "MAIL", "RCPT", "RSET", "NOOP" -> reply(ctx, "250 2.0.0 Ok\r\n");
                case "DATA" -> {
                    reply(ctx, "354 End data with <CR><LF>.<CR><LF>\r\n");
                    inData = true;
                    end = 2;
                }
                case "QUIT" -> {
                    reply(ctx, "221 2.0.0 Bye\r\n");
                    flush(ctx);
                    ctx.close();
                    return false;
                }
                case "STAR" -> {
                    if (encrypted || !line.equalsIgnoreCase("STARTTLS")) {
                        reply(ctx, "503 5.5.1 TLS already active\r\n");
                        break;
                    }
                    flush(ctx);
                    // startTls = true: the 220 below still goes out in plaintext, then the handshake
                    SslHandler ssl = new SslHandler(tls.newEngine(ctx.alloc()), true);
                    ctx.pipeline().addFirst("tls", ssl);
                    ssl.handshakeFuture().addListener(f -> {
                        if (f.isSuccess()) {
                            TLS.incrementAndGet();
                            if (ssl.engine() instanceof ReferenceCountedOpenSslEngine e && SSL.isSessionReused(e.sslPointer())) {
                                RESUMED.incrementAndGet();
                            }
                        } else {
                            ERRORS.incrementAndGet();
                            ctx.close();
                        }
                    });
                    encrypted = true;
                    discard = true;
                    ctx.writeAndFlush(ascii(ctx, "220 2.0.0 Ready to start TLS\r\n"));
                    return false;
                }
                default -> reply(ctx, "502 5.5.2 Command not recognized\r\n");
            }
            return true;
        }

        private void reply(ChannelHandlerContext ctx, String text) {
            if (replies == null) {
                replies = ctx.alloc().buffer(256);
            }
            replies.writeCharSequence(text, StandardCharsets.US_ASCII);
        }

        private void flush(ChannelHandlerContext ctx) {
            if (replies != null) {
                ByteBuf r = replies;
                replies = null;
                ctx.writeAndFlush(r);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            flush(ctx);
            super.channelReadComplete(ctx);
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) {
            if (replies != null) {
                replies.release();
                replies = null;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ERRORS.incrementAndGet();
            ctx.close();
        }

        private static ByteBuf ascii(ChannelHandlerContext ctx, String text) {
            return ByteBufUtil.writeAscii(ctx.alloc(), text);
        }
    }
}
