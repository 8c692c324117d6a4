package relay.sts.report.https;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.security.cert.Certificate;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLPeerUnverifiedException;
import relay.core.tls.CertificateVerdict;
import relay.core.tls.CertificateVerifier;

/**
 * One report POST on one connection: after the handshake the certificate is judged for the
 * endpoint's host (unless checks are off, RPT-09), then the gzipped report goes out as
 * {@code application/tlsrpt+gzip} (RFC 8460 §5.4, RPT-46), and the status line decides: 2xx is
 * delivered, anything else (redirects included, never followed) is a failure (RPT-47).
 */
final class PostHandler extends ChannelInboundHandlerAdapter {

    private final URI uri;
    private final int port;
    private final CertificateVerifier verifier;
    private final byte[] body;
    private final CompletableFuture<PostResult> result;

    PostHandler(URI uri, int port, CertificateVerifier verifier, byte[] body, CompletableFuture<PostResult> result) {
        this.uri = uri;
        this.port = port;
        this.verifier = verifier;
        this.body = body;
        this.result = result;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                fail(ctx, "TLS handshake with " + uri.getHost() + " failed: " + message(done.cause()));
                return;
            }
            if (verifier != null) {
                CertificateVerdict verdict = verifier.verify(peerCertificates(ctx), uri.getHost());
                if (!verdict.ok()) {
                    fail(ctx, verdict.describe() + " for " + uri.getHost());
                    return;
                }
            }
            ctx.writeAndFlush(request());
        }
        super.userEventTriggered(ctx, evt);
    }

    private FullHttpRequest request() {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                Unpooled.wrappedBuffer(body));
        req.headers().set(HttpHeaderNames.HOST, port == 443 ? uri.getHost() : uri.getHost() + ":" + port);
        req.headers().set(HttpHeaderNames.USER_AGENT, "relay (TLSRPT)");
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/tlsrpt+gzip");
        req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return req;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpResponse r && !result.isDone()) {
                int status = r.status().code();
                if (status >= 100 && status < 200 && status != 101) {
                    // RFC 9110 §15.2: an interim response (100 Continue, 103 Early Hints) comes
                    // before the final one, which decides
                    return;
                }
                if (status >= 200 && status < 300) {
                    result.complete(new PostResult.Delivered(status));
                    ctx.close();
                } else {
                    fail(ctx, "HTTP " + status + " from " + uri + (status >= 300 && status < 400
                            ? " (redirects are not followed)" : ""));
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, "posting to " + uri + " failed: " + message(cause));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(ctx, uri.getHost() + " closed the connection before answering");
        super.channelInactive(ctx);
    }

    private Certificate[] peerCertificates(ChannelHandlerContext ctx) {
        try {
            return ctx.pipeline().get(SslHandler.class).engine().getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return new Certificate[0];
        }
    }

    private void fail(ChannelHandlerContext ctx, String reason) {
        if (result.complete(new PostResult.Failed(reason))) {
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
