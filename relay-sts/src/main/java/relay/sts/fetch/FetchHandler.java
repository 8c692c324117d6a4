package relay.sts.fetch;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.security.cert.Certificate;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLPeerUnverifiedException;
import relay.core.tls.CertificateVerdict;
import relay.core.tls.CertificateVerifier;

/**
 * One policy GET on one connection: after the handshake, the certificate is judged for the policy
 * host (RFC 8461 §3.3); then the request goes out, and the response is held to §3.3: only a 200
 * counts, redirects are not followed, the media type must be {@code text/plain} (§3.2), and the
 * body may not pass the cap, which is checked as it arrives rather than after.
 */
final class FetchHandler extends ChannelInboundHandlerAdapter {

    static final String PATH = "/.well-known/mta-sts.txt";

    private final String host;
    private final int port;
    private final CertificateVerifier verifier;
    private final int maxBytes;
    private final CompletableFuture<FetchResult> result;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private boolean accepted;

    FetchHandler(String host, int port, CertificateVerifier verifier, int maxBytes, CompletableFuture<FetchResult> result) {
        this.host = host;
        this.port = port;
        this.verifier = verifier;
        this.maxBytes = maxBytes;
        this.result = result;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                fail(ctx, FetchResult.Failure.FETCH_ERROR, "TLS handshake with " + host + " failed: " + message(done.cause()));
                return;
            }
            CertificateVerdict verdict = verifier.verify(peerCertificates(ctx), host);
            if (!verdict.ok()) {
                fail(ctx, FetchResult.Failure.WEBPKI_INVALID, verdict.describe() + " for " + host);
                return;
            }
            ctx.writeAndFlush(request());
        }
        super.userEventTriggered(ctx, evt);
    }

    /** RFC 8461 §3.3: a plain GET; no conditional or cache headers (no HTTP caching, STS-19). */
    private FullHttpRequest request() {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, PATH);
        req.headers().set(HttpHeaderNames.HOST, port == 443 ? host : host + ":" + port);
        req.headers().set(HttpHeaderNames.USER_AGENT, "relay (MTA-STS)");
        req.headers().set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
        req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return req;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (result.isDone()) {
                return;
            }
            if (msg instanceof HttpResponse r) {
                int status = r.status().code();
                if (status >= 100 && status < 200 && status != 101) {
                    // RFC 9110 §15.2: interim responses (a 103 Early Hints from a CDN) come before
                    // the final one and are skipped; their empty content is ignored below
                    return;
                }
                if (status >= 300 && status < 400) {
                    fail(ctx, FetchResult.Failure.FETCH_ERROR, "HTTP " + status + " from " + host
                            + ": redirects are not followed (RFC 8461 §3.3)");
                    return;
                }
                if (status != 200) {
                    fail(ctx, FetchResult.Failure.FETCH_ERROR, "HTTP " + status + " from " + host);
                    return;
                }
                String type = r.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
                String media = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
                if (!media.equals("text/plain")) {
                    fail(ctx, FetchResult.Failure.INVALID, "media type '" + type + "' from " + host
                            + " is not text/plain (RFC 8461 §3.2)");
                    return;
                }
                if (HttpUtil.getContentLength(r, -1L) > maxBytes) {
                    fail(ctx, FetchResult.Failure.INVALID, "policy from " + host + " is larger than " + maxBytes + " octets");
                    return;
                }
                accepted = true;
            }
            if (msg instanceof HttpContent c && accepted) {
                ByteBuf buf = c.content();
                if (body.size() + buf.readableBytes() > maxBytes) {
                    fail(ctx, FetchResult.Failure.INVALID, "policy from " + host + " is larger than " + maxBytes + " octets");
                    return;
                }
                buf.readBytes(body, buf.readableBytes());
                if (msg instanceof LastHttpContent) {
                    result.complete(new FetchResult.Fetched(body.toByteArray()));
                    ctx.close();
                }
            }
        } catch (java.io.IOException e) {
            fail(ctx, FetchResult.Failure.FETCH_ERROR, "reading the policy from " + host + ": " + e.getMessage());
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, FetchResult.Failure.FETCH_ERROR, "fetching the policy from " + host + " failed: " + message(cause));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(ctx, FetchResult.Failure.FETCH_ERROR, host + " closed the connection before the policy was complete");
        super.channelInactive(ctx);
    }

    private Certificate[] peerCertificates(ChannelHandlerContext ctx) {
        try {
            return ctx.pipeline().get(SslHandler.class).engine().getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return new Certificate[0];
        }
    }

    private void fail(ChannelHandlerContext ctx, FetchResult.Failure kind, String reason) {
        if (result.complete(new FetchResult.Failed(kind, reason))) {
            ctx.close();
        }
    }

    private static String message(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
