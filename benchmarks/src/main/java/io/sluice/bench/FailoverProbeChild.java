package io.sluice.bench;

import static io.sluice.bench.ProbeSupport.*;

import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.ConsumerEventListener;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionType;

/**
 * The child JVM of {@link FailoverProbe}: one instance holding one failover consumer on {@code
 * topic-partition-0}. Prints {@code ACTIVE}/{@code INACTIVE} as its listener hears them. Given a
 * message id, it acknowledges it cumulatively as soon as it notices it was paused (a jump of more
 * than 1 s between two 20 ms sleeps, as after SIGSTOP/SIGCONT) and prints {@code WOKE …}.
 *
 * <p>Arguments: {@code serviceUrl topic subscription consumerName [base64MessageId]}.
 */
final class FailoverProbeChild {
  private FailoverProbeChild() {}

  static String encode(MessageId id) {
    return Base64.getEncoder().encodeToString(id.toByteArray());
  }

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String topic = "persistent://public/default/" + args[1] + "-partition-0";
    String sub = args[2];
    String name = args[3];
    MessageId ackOnWake =
        args.length > 4 ? MessageId.fromByteArray(Base64.getDecoder().decode(args[4])) : null;
    AtomicBoolean active = new AtomicBoolean();
    PulsarClient client = PulsarClient.builder().serviceUrl(url).build();
    Consumer<byte[]> consumer =
        client
            .newConsumer(Schema.BYTES)
            .topic(topic)
            .subscriptionName(sub)
            .subscriptionType(SubscriptionType.Failover)
            .consumerName(name)
            .receiverQueueSize(0)
            .consumerEventListener(
                new ConsumerEventListener() {
                  @Override
                  public void becameActive(Consumer<?> c, int partitionId) {
                    active.set(true);
                    System.out.println("ACTIVE " + System.currentTimeMillis());
                  }

                  @Override
                  public void becameInactive(Consumer<?> c, int partitionId) {
                    active.set(false);
                    System.out.println("INACTIVE " + System.currentTimeMillis());
                  }
                })
            .subscribe();
    long last = System.nanoTime();
    while (true) {
      Thread.sleep(20);
      long now = System.nanoTime();
      if (ackOnWake != null && now - last > TimeUnit.SECONDS.toNanos(1)) {
        boolean wasActive = active.get();
        String error = "none";
        try {
          consumer.acknowledgeCumulative(ackOnWake);
        } catch (Exception e) {
          error = e.toString().replace(' ', '_');
        }
        System.out.printf(
            "WOKE paused_ms=%d believed_active_at_ack=%s ack_error=%s connected=%s%n",
            TimeUnit.NANOSECONDS.toMillis(now - last), wasActive, error, consumer.isConnected());
        ackOnWake = null;
      }
      last = now;
    }
  }
}
