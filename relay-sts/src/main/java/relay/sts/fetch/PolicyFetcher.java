package relay.sts.fetch;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import relay.core.dns.Dns;
import relay.core.mail.Domain;
import relay.core.tls.CertificateVerifier;

/**
 * Fetches {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} (RFC 8461 §3.2-3.3) with
 * Netty, resolving the host through the relay's own {@link Dns}, so tests and operators can
 * point it anywhere. SNI and the certificate check use the policy host's name (§3.3, §7.1). A
 * failure to connect to one address tries the next; anything after that ends the fetch.
 */
public final class PolicyFetcher {

    private final Dns dns;
    private final CertificateVerifier verifier;
    private final EventLoopGroup group;
    private final FetchSettings settings;
    private final SslContext tls;

    public PolicyFetcher(Dns dns, CertificateVerifier verifier, EventLoopGroup group, FetchSettings settings) {
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

    /** The policy host of a policy domain: {@code mta-sts.<domain>} (§3.2), never a parent's. */
    public static String policyHost(Domain domain) {
        return "mta-sts." + domain.name();
    }

    public FetchResult fetch(Domain domain) {
        String host = policyHost(domain);
        long deadline = System.nanoTime() + settings.totalTimeout().toNanos();
        Dns.Addresses addresses = dns.addresses(host);
        if (addresses.list().isEmpty()) {
            return new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, host + ": "
                    + addresses.lookupFailure().map(why -> "lookup failed: " + why).orElse("no address"));
        }
        FetchResult last = null;
        for (InetAddress address : addresses.list()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            CompletableFuture<FetchResult> result = new CompletableFuture<>();
            Channel channel = connect(new InetSocketAddress(address, settings.port()), host, result, left);
            if (channel == null) {
                last = result.getNow(new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, "cannot connect to " + host));
                continue;
            }
            channel.eventLoop().schedule(() -> {
                if (result.complete(new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, "fetching the policy from "
                        + host + " took longer than " + settings.totalTimeout().toSeconds() + " s"))) {
                    channel.close();
                }
            }, Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            try {
                return result.get(settings.totalTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                channel.close();
                return new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, "interrupted");
            } catch (ExecutionException | TimeoutException e) {
                channel.close();
                return new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, "fetch failed: " + e);
            }
        }
        return last != null ? last : new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, "timed out connecting to " + host);
    }

    private Channel connect(InetSocketAddress address, String host, CompletableFuture<FetchResult> result, long leftNanos) {
        long connectMillis = Math.min(settings.connectTimeout().toMillis(), TimeUnit.NANOSECONDS.toMillis(leftNanos));
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, connectMillis))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = tls.newHandler(ch.alloc(), host, settings.port());
                        ssl.setHandshakeTimeoutMillis(settings.totalTimeout().toMillis());
                        ch.pipeline().addLast("tls", ssl)
                                .addLast("http", new HttpClientCodec())
                                .addLast("policy", new FetchHandler(host, settings.port(), verifier, settings.maxBytes(), result));
                    }
                });
        ChannelFuture f = b.connect(address);
        if (!f.awaitUninterruptibly(connectMillis + 1000) || !f.isSuccess()) {
            f.cancel(true);
            result.complete(new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, "cannot connect to " + host + "["
                    + address.getAddress().getHostAddress() + "]:" + address.getPort()
                    + (f.cause() == null ? ": timed out" : ": " + f.cause().getMessage())));
            return null;
        }
        return f.channel();
    }
}
