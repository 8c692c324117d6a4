package relay.core.dns;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.TSIG;

/** Passes queries on and counts them, so benchmarks can show how many reach the network. */
final class CountingResolver implements Resolver {

    private final Resolver delegate;
    private final AtomicLong count;

    CountingResolver(Resolver delegate, AtomicLong count) {
        this.delegate = delegate;
        this.count = count;
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        count.incrementAndGet();
        return delegate.sendAsync(query, executor);
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query) {
        count.incrementAndGet();
        return delegate.sendAsync(query);
    }

    @Override
    public Message send(Message query) throws IOException {
        count.incrementAndGet();
        return delegate.send(query);
    }

    @Override
    public void setPort(int port) {
        delegate.setPort(port);
    }

    @Override
    public void setTCP(boolean flag) {
        delegate.setTCP(flag);
    }

    @Override
    public void setIgnoreTruncation(boolean flag) {
        delegate.setIgnoreTruncation(flag);
    }

    @Override
    public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
        delegate.setEDNS(version, payloadSize, flags, options);
    }

    @Override
    public void setTSIGKey(TSIG key) {
        delegate.setTSIGKey(key);
    }

    @Override
    public void setTimeout(Duration timeout) {
        delegate.setTimeout(timeout);
    }

    @Override
    public Duration getTimeout() {
        return delegate.getTimeout();
    }
}
