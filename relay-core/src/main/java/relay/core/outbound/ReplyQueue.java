package relay.core.outbound;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Hands replies from the event loop to the thread running the session, in order. A failure of
 * the connection is queued too, so a waiting thread learns of it at once.
 */
final class ReplyQueue extends SimpleChannelInboundHandler<SmtpReply> {

    private record Failure(IOException error) {
    }

    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    /** Set before a QUIT nobody waits for: its reply ends the connection. */
    private volatile boolean closeOnNextReply;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, SmtpReply reply) {
        if (closeOnNextReply) {
            ctx.close();
            return;
        }
        queue.add(reply);
    }

    void closeOnNextReply() {
        closeOnNextReply = true;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        queue.add(new Failure(cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause)));
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        queue.add(new Failure(new IOException("connection closed by the server")));
    }

    /** A write that failed: the thread waiting for the reply to it learns of it at once. */
    void fail(IOException error) {
        queue.add(new Failure(error));
    }

    SmtpReply take(Duration timeout, String waitingFor) throws IOException {
        Object o;
        try {
            o = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (o == null) {
            throw new SocketTimeoutException("no reply to " + waitingFor + " within " + timeout.toSeconds() + " s");
        }
        if (o instanceof Failure f) {
            queue.add(f);  // every later wait fails the same way
            throw f.error();
        }
        return (SmtpReply) o;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }
}
