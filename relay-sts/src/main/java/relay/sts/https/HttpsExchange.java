package relay.sts.https;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
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
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import relay.core.dns.Dns;

/**
 * One HTTP exchange over TLS with Netty, the way both the MTA-STS policy fetch (RFC 8461 §3.3)
 * and the TLSRPT report POST (RFC 8460 §5.4) need it: the host resolved through the relay's own
 * {@link Dns}, TLS 1.2 or newer with SNI = the host, a connect timeout per address and one total
 * deadline. A failure to connect to one address tries the next; anything after a connection is
 * made ends the exchange. The handshake accepts any certificate: the handler judges it with the
 * relay's certificate checks once the session is up, so the verdict is a value, not an exception.
 */
public final class HttpsExchange {

    private final Dns dns;
    private final EventLoopGroup group;
    private final SslContext tls;

    public HttpsExchange(Dns dns, EventLoopGroup group) {
        this.dns = dns;
        this.group = group;
        try {
            this.tls = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.3", "TLSv1.2")
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS", e);
        }
    }

    /**
     * Runs one exchange with {@code host:port}.
     *
     * @param what the exchange in words, for the timeout's reason ("fetching the policy from x")
     * @param handler the HTTP handler for one connection, completing the future with the result
     * @param failure makes a result out of a reason when no handler could decide
     */
    public <R> R exchange(String host, int port, Duration connectTimeout, Duration totalTimeout, String what,
            Function<CompletableFuture<R>, ChannelHandler> handler, Function<String, R> failure) {
        long deadline = System.nanoTime() + totalTimeout.toNanos();
        Dns.Addresses addresses = dns.addresses(host);
        if (addresses.list().isEmpty()) {
            return failure.apply(host + ": " + addresses.lookupFailure().map(why -> "lookup failed: " + why)
                    .orElse("no address"));
        }
        R last = null;
        for (InetAddress address : addresses.list()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            CompletableFuture<R> result = new CompletableFuture<>();
            InetSocketAddress to = new InetSocketAddress(address, port);
            ChannelFuture connected = connect(to, host, connectTimeout, totalTimeout, left, handler.apply(result));
            if (!connected.isSuccess()) {
                last = failure.apply("cannot connect to " + host + "[" + address.getHostAddress() + "]:" + port
                        + (connected.cause() == null ? ": timed out" : ": " + connected.cause().getMessage()));
                continue;
            }
            Channel channel = connected.channel();
            channel.eventLoop().schedule(() -> {
                if (result.complete(failure.apply(what + " took longer than " + totalTimeout.toSeconds() + " s"))) {
                    channel.close();
                }
            }, Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            try {
                return result.get(totalTimeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                channel.close();
                return failure.apply("interrupted");
            } catch (ExecutionException | TimeoutException e) {
                channel.close();
                return failure.apply(what + " failed: " + e);
            }
        }
        return last != null ? last : failure.apply("timed out connecting to " + host);
    }

    /** Connects with TLS and HTTP on the pipeline; the future failed when no connection was made in time. */
    private ChannelFuture connect(InetSocketAddress address, String host, Duration connectTimeout, Duration totalTimeout,
            long leftNanos, ChannelHandler handler) {
        long connectMillis = Math.min(connectTimeout.toMillis(), TimeUnit.NANOSECONDS.toMillis(leftNanos));
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, connectMillis))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = tls.newHandler(ch.alloc(), host, address.getPort());
                        ssl.setHandshakeTimeoutMillis(totalTimeout.toMillis());
                        ch.pipeline().addLast("tls", ssl).addLast("http", new HttpClientCodec()).addLast("exchange", handler);
                    }
                });
        ChannelFuture f = b.connect(address);
        if (!f.awaitUninterruptibly(connectMillis + 1000)) {
            f.cancel(true);
        }
        return f;
    }
}
