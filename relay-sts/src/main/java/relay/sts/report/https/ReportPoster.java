package relay.sts.report.https;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import relay.core.dns.Dns;
import relay.core.tls.CertificateVerifier;

/**
 * POSTs a gzipped report to an {@code https:} rua (RFC 8460 §5.4) with Netty, resolving the host
 * through the relay's own {@link Dns} and checking the certificate with the relay's
 * {@link CertificateVerifier} for the URI's host (SNI too). A failure to connect to one address
 * tries the next; anything after the connection is made ends the attempt.
 */
public final class ReportPoster {

    private final Dns dns;
    private final CertificateVerifier verifier;
    private final EventLoopGroup group;
    private final PostSettings settings;
    private final SslContext tls;

    public ReportPoster(Dns dns, CertificateVerifier verifier, EventLoopGroup group, PostSettings settings) {
        this.dns = dns;
        this.verifier = verifier;
        this.group = group;
        this.settings = settings;
        try {
            // any certificate completes the handshake; CertificateVerifier judges it afterwards
            this.tls = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.3", "TLSv1.2")
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS", e);
        }
    }

    /** POSTs {@code gzippedReport} to {@code uri} (an {@code https:} URI with a host). */
    public PostResult post(URI uri, byte[] gzippedReport) {
        if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            return new PostResult.Failed("not an https URI with a host: " + uri);
        }
        String host = uri.getHost();
        int port = uri.getPort() < 0 ? 443 : uri.getPort();
        long deadline = System.nanoTime() + settings.totalTimeout().toNanos();
        Dns.Addresses addresses = dns.addresses(host);
        if (addresses.list().isEmpty()) {
            return new PostResult.Failed(host + ": "
                    + addresses.lookupFailure().map(why -> "lookup failed: " + why).orElse("no address"));
        }
        PostResult last = null;
        for (InetAddress address : addresses.list()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            CompletableFuture<PostResult> result = new CompletableFuture<>();
            Channel channel = connect(new InetSocketAddress(address, port), uri, port, gzippedReport, result, left);
            if (channel == null) {
                last = result.getNow(new PostResult.Failed("cannot connect to " + host));
                continue;
            }
            channel.eventLoop().schedule(() -> {
                if (result.complete(new PostResult.Failed("posting to " + uri + " took longer than "
                        + settings.totalTimeout().toSeconds() + " s"))) {
                    channel.close();
                }
            }, Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            try {
                return result.get(settings.totalTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                channel.close();
                return new PostResult.Failed("interrupted");
            } catch (ExecutionException | TimeoutException e) {
                channel.close();
                return new PostResult.Failed("post failed: " + e);
            }
        }
        return last != null ? last : new PostResult.Failed("timed out connecting to " + host);
    }

    private Channel connect(InetSocketAddress address, URI uri, int port, byte[] body, CompletableFuture<PostResult> result,
            long leftNanos) {
        long connectMillis = Math.min(settings.connectTimeout().toMillis(), TimeUnit.NANOSECONDS.toMillis(leftNanos));
        CertificateVerifier check = settings.verifyCertificates() ? verifier : null;
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, connectMillis))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = tls.newHandler(ch.alloc(), uri.getHost(), port);
                        ssl.setHandshakeTimeoutMillis(settings.totalTimeout().toMillis());
                        ch.pipeline().addLast("tls", ssl)
                                .addLast("http", new HttpClientCodec())
                                .addLast("post", new PostHandler(uri, port, check, body, result));
                    }
                });
        ChannelFuture f = b.connect(address);
        if (!f.awaitUninterruptibly(connectMillis + 1000) || !f.isSuccess()) {
            f.cancel(true);
            result.complete(new PostResult.Failed("cannot connect to " + uri.getHost() + "["
                    + address.getAddress().getHostAddress() + "]:" + port
                    + (f.cause() == null ? ": timed out" : ": " + f.cause().getMessage())));
            return null;
        }
        return f.channel();
    }
}
