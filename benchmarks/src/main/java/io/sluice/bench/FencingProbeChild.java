package io.sluice.bench;

import static io.sluice.bench.ProbeSupport.*;

import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.ProducerAccessMode;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.transaction.Transaction;

/**
 * The child JVM of {@link FencingProbe}: a producer created {@code ExclusiveWithFencing} that sends
 * {@code c0}, opens a transaction and sends {@code ct0} into it, then prints {@code READY}. When it
 * notices it was paused (a jump of more than 1 s between two 20 ms sleeps, as after
 * SIGSTOP/SIGCONT) it commits the transaction and sends {@code c1}, printing {@code WOKE …} with
 * each outcome; 3 s later it tries {@code c2} and prints {@code LATER …}.
 *
 * <p>Arguments: {@code serviceUrl topic}.
 */
final class FencingProbeChild {
  private FencingProbeChild() {}

  @SuppressWarnings("deprecation") // statsInterval
  public static void main(String[] args) throws Exception {
    String url = args[0];
    String topic = args[1];
    PulsarClient client =
        PulsarClient.builder()
            .serviceUrl(url)
            .enableTransaction(true)
            .statsInterval(0, TimeUnit.SECONDS)
            .build();
    Producer<String> producer =
        client
            .newProducer(Schema.STRING)
            .topic(topic)
            .accessMode(ProducerAccessMode.ExclusiveWithFencing)
            .sendTimeout(0, TimeUnit.SECONDS)
            .enableBatching(false)
            .create();
    producer.send("c0");
    Transaction txn =
        client.newTransaction().withTransactionTimeout(3, TimeUnit.MINUTES).build().get();
    producer.newMessage(txn).value("ct0").send();
    System.out.println("READY txn=" + txn.getTxnID());
    long last = System.nanoTime();
    boolean woke = false;
    while (true) {
      Thread.sleep(20);
      long now = System.nanoTime();
      if (!woke && now - last > TimeUnit.SECONDS.toNanos(1)) {
        woke = true;
        boolean connected = producer.isConnected();
        // commit first: a failed transactional send would make the client refuse the commit
        String commit = attempt(txn::commit);
        String send = attempt(() -> producer.sendAsync("c1"));
        System.out.printf(
            "WOKE paused_ms=%d connected_at_wake=%s commit=%s send=%s txn_state=%s%n",
            TimeUnit.NANOSECONDS.toMillis(now - last), connected, commit, send, txn.getState());
        Thread.sleep(3000);
        System.out.printf(
            "LATER connected=%s send=%s%n",
            producer.isConnected(), attempt(() -> producer.sendAsync("c2")));
      }
      last = now;
    }
  }
}
