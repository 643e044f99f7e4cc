package io.sluice.sink.pulsar;

import io.sluice.config.PulsarSecurity;
import io.sluice.errors.ConfigException;
import io.sluice.errors.SinkException;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.builder.SinkBuilder;
import io.sluice.sink.internal.SinkMetrics;
import io.sluice.sink.pulsar.internal.TransactionJournal;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminBuilder;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.transaction.Transaction;
import org.apache.pulsar.client.api.transaction.TxnID;
import org.apache.pulsar.common.naming.TopicName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes records to a Pulsar topic exactly once, with one Pulsar transaction per checkpoint.
 *
 * <pre>{@code
 * PulsarSink<Order> sink = PulsarSink.<Order>builder()
 *     .topic("persistent://public/default/orders-out")
 *     .serializer(o -> json(o))
 *     .key(Order::id)
 *     .build();
 * }</pre>
 *
 * <p><b>Exactly once</b> under SIGKILL at any instant: output is sent in a Pulsar transaction per
 * batch, committed when the checkpoint is, and listed in a journal topic so a lost state directory
 * leaves none open. The protocol, its hazards and how outages and bad records are handled are in
 * the package doc of {@code io.sluice.sink.pulsar.internal}.
 *
 * <p><b>Limits.</b> A transaction the broker times out is aborted: its timeout ({@link
 * Builder#transactionTimeout}) is derived from the app's checkpoint settings so that it outlives
 * every outage the app rides out, and must also exceed the longest time the app may stay down
 * before its restart commits the last checkpoint. Committing a transaction the broker aborted fails
 * loudly ({@link io.sluice.errors.CommitLostException}) rather than losing output silently: the
 * coordinator forgets a transaction once it has ended, so the sink then asks the topic's
 * transaction buffer (admin API), which lists aborted transactions for as long as their messages
 * are stored, and reads the transaction's first message (readers are never given aborted ones).
 * Once that message's ledger is deleted (consumed and past retention, or the topic deleted), the
 * outcome cannot be told and the commit fails too: keep the topic's retention above the transaction
 * timeout plus the longest time the app may be down.
 */
public final class PulsarSink<T> implements Sink<T> {
  private static final Logger LOG = LoggerFactory.getLogger(PulsarSink.class);
  private final String name;
  private final String topic;
  private final String serviceUrl;
  private final String adminUrl;
  private final PulsarSecurity security;
  private final Function<? super T, byte[]> serializer;
  private final Function<? super T, String> key;
  private final Function<? super T, Map<String, String>> properties;
  private final ToLongFunction<? super T> eventTime;

  /** As configured; null: derived from the app's checkpoint settings ({@link #lifetime}). */
  private final Duration transactionTimeout;

  /** Set when the first writer or committer is created, from its context. */
  private TransactionLifetime lifetime;

  private final int maxPendingMessages;
  private final Map<TxnID, Transaction> open = new ConcurrentHashMap<>();

  /** Transactions this process's writers aborted (or are aborting) themselves. */
  private final Set<TxnID> abortedByWriters = ConcurrentHashMap.newKeySet();

  private PulsarClient client;
  private PulsarAdmin admin;
  private final Object topicLock = new Object();
  private boolean topicPrepared; // deduplication on, transaction buffers ready

  /**
   * The journal of each app, or shard of one, that uses this sink (an app's replica may run several
   * shards with the same sink), with how many of its writers and committers use it.
   */
  private final Map<String, TransactionJournal> journals = new HashMap<>();

  private final Map<String, Integer> journalUsers = new HashMap<>(); // empty: the client is unused

  private PulsarSink(Builder<T> b) {
    this.topic = b.topic;
    this.name = b.resolvedName();
    this.serviceUrl = b.serviceUrl;
    this.adminUrl = b.adminUrl;
    this.security = b.security;
    this.serializer = b.serializer;
    this.key = b.key;
    this.properties = b.properties;
    this.eventTime = b.eventTime;
    this.transactionTimeout = b.transactionTimeout;
    this.maxPendingMessages = b.maxPendingMessages;
  }

  public static <T> Builder<T> builder() {
    return new Builder<>();
  }

  @Override
  public String name() {
    return name;
  }

  public String topic() {
    return topic;
  }

  @Override
  public SinkWriter<T> createWriter(SinkContext context) {
    PulsarClient writerClient = acquire(context);
    PulsarSinkWriter<T> writer = new PulsarSinkWriter<>(this, writerClient, context);
    try {
      prepareTopic(context, writerClient); // the writer's producer has created the topic by now
    } catch (RuntimeException e) {
      writer.close();
      throw e;
    }
    return writer;
  }

  /**
   * Makes sure the broker deduplicates the sink topic's messages. A producer that loses its broker
   * (a crash, a restart) sends its unacknowledged messages again once reconnected; the broker may
   * have stored some of them already, and inside a transaction they would then be committed twice.
   * With deduplication the broker drops what it has by the producer's sequence ids. Enabled as a
   * topic policy when neither the topic, its namespace nor the broker has it on. Then readies the
   * topic's transaction buffers ({@link TransactionBufferReadiness}). Once per sink object.
   */
  private void prepareTopic(SinkContext context, PulsarClient writerClient) {
    // its own lock: the client's I/O thread takes the sink's lock (journal(app)) while this waits
    synchronized (topicLock) {
      if (!topicPrepared) {
        PulsarAdmin a = admin(context);
        enableDeduplication(a);
        readyTransactionBuffers(a, writerClient);
        topicPrepared = true;
      }
    }
  }

  /** See {@link TransactionBufferReadiness}. */
  private void readyTransactionBuffers(PulsarAdmin a, PulsarClient writerClient) {
    try {
      new TransactionBufferReadiness(a, writerClient, name).ensure(topic);
    } catch (PulsarAdminException e) {
      throw new SinkException(
          "Sink " + name + ": cannot read the transaction buffers of " + topic + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkException("Sink " + name + ": interrupted readying " + topic, e);
    }
  }

  private void enableDeduplication(PulsarAdmin a) {
    try {
      Boolean applied;
      try {
        applied = a.topicPolicies().getDeduplicationStatus(topic, true);
      } catch (PulsarAdminException e) {
        if (e.getStatusCode() != 405 && e.getStatusCode() != 403) {
          throw e;
        }
        // topic policies disabled on the broker, or not ours to read (they need a tenant admin):
        // the topic itself shows whether the broker deduplicates it
        if (DeduplicationProbe.isActive(a, topic)) {
          return;
        }
        if (e.getStatusCode() == 403) {
          throw new ConfigException(
              "Pulsar refused sink "
                  + name
                  + " reading the topic policies of "
                  + topic
                  + " (they need a tenant admin), and the broker does not deduplicate that topic."
                  + " The sink needs deduplication so that a broker restart cannot store a"
                  + " message twice: enable it for the app's role, e.g. pulsar-admin namespaces"
                  + " set-deduplication "
                  + TopicName.get(topic).getNamespace()
                  + " --enable",
              e);
        }
        throw e;
      }
      if (!Boolean.TRUE.equals(applied)) {
        a.topicPolicies().setDeduplicationStatus(topic, true);
        // topic policies reach the broker through a system topic: wait until it applies them
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Boolean.TRUE.equals(a.topicPolicies().getDeduplicationStatus(topic, true))) {
          if (System.nanoTime() > deadline) {
            throw new SinkException(
                "Sink "
                    + name
                    + ": message deduplication on "
                    + topic
                    + " set but not applied"
                    + " within 30 s");
          }
          Thread.sleep(100);
        }
        LOG.info("sink {}: enabled message deduplication on {} (topic policy)", name, topic);
      }
    } catch (PulsarAdminException e) {
      throw new SinkException(
          "Sink "
              + name
              + ": cannot enable message deduplication on "
              + topic
              + " ("
              + e.getMessage()
              + "). The sink needs it so that a broker restart cannot store a message twice:"
              + " enable it on the topic or its namespace (pulsar-admin namespaces"
              + " set-deduplication <tenant>/<namespace> --enable), or let the app's role set"
              + " topic policies (tenant admin).",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkException("Sink " + name + ": interrupted enabling deduplication", e);
    }
  }

  @Override
  public Committer createCommitter(SinkContext context) {
    PulsarClient c = acquire(context);
    try {
      return new PulsarSinkCommitter(
          this, c, admin(context), context.appName(), SinkMetrics.of(context, name));
    } catch (RuntimeException e) {
      release(context.appName());
      throw e;
    }
  }

  Function<? super T, byte[]> serializer() {
    return serializer;
  }

  Function<? super T, String> key() {
    return key;
  }

  Function<? super T, Map<String, String>> properties() {
    return properties;
  }

  ToLongFunction<? super T> eventTime() {
    return eventTime;
  }

  /** The transactions' timeout (once a writer or committer exists; see {@link #acquire}). */
  synchronized Duration transactionTimeout() {
    return lifetime.timeout();
  }

  /** How long a transaction opened ahead may wait for its first message before it is replaced. */
  synchronized Duration staleAfter() {
    return lifetime.staleAfter();
  }

  int maxPendingMessages() {
    return maxPendingMessages;
  }

  /** Transactions this process opened and has not ended: committed by object, not by id. */
  Map<TxnID, Transaction> openTransactions() {
    return open;
  }

  /**
   * Transactions a writer of this process aborted itself (one it will not use, or its current one
   * on close): the committer does not abort them again (the coordinator would answer "invalid
   * status", which the client logs as an error).
   */
  Set<TxnID> abortedByWriters() {
    return abortedByWriters;
  }

  private synchronized PulsarClient acquire(SinkContext context) {
    if (lifetime == null) {
      lifetime = TransactionLifetime.of(name, transactionTimeout, context.commitBound());
    }
    if (client == null) {
      String url = serviceUrl != null ? serviceUrl : context.pulsarServiceUrl();
      try {
        ClientBuilder builder =
            PulsarClient.builder()
                .serviceUrl(url)
                .enableTransaction(true)
                .ioThreads(1)
                .listenerThreads(1)
                .operationTimeout((int) operationTimeout().toSeconds(), TimeUnit.SECONDS);
        security(context).applyTo(builder);
        client = builder.build();
      } catch (PulsarClientException e) {
        throw new SinkException("Sink " + name + ": cannot create a Pulsar client for " + url, e);
      }
    }
    journals.computeIfAbsent(
        context.appName(),
        app -> new TransactionJournal(client, topic, app, name, context.replicated()));
    journalUsers.merge(context.appName(), 1, Integer::sum);
    return client;
  }

  /**
   * The admin client the committer asks whether a forgotten transaction was aborted (after {@link
   * #acquire}, released with the client).
   */
  private synchronized PulsarAdmin admin(SinkContext context) {
    if (admin == null) {
      String url = adminUrl != null ? adminUrl : context.pulsarAdminUrl();
      if (url == null) {
        throw new ConfigException(
            "Sink " + name + " needs the Pulsar admin URL: set PulsarSink.Builder.adminUrl(...)");
      }
      try {
        PulsarAdminBuilder builder =
            PulsarAdmin.builder()
                .serviceHttpUrl(url)
                .connectionTimeout(10, TimeUnit.SECONDS)
                .readTimeout(30, TimeUnit.SECONDS);
        security(context).applyTo(builder);
        admin = builder.build();
      } catch (PulsarClientException e) {
        throw new SinkException(
            "Sink " + name + ": cannot create a Pulsar admin client for " + url, e);
      }
    }
    return admin;
  }

  /** The sink's own security for another cluster, else the app's. */
  private PulsarSecurity security(SinkContext context) {
    return security != null ? security : context.pulsarSecurity();
  }

  /**
   * How long the sink's requests to the broker may wait for an answer. The first send into a
   * transaction registers its partition with the transaction coordinator; with the client's default
   * (30 s), a broker restart or failover that took longer failed that send, and with it the app,
   * though the transaction was still good for {@link Builder#transactionTimeout}. Now such an
   * outage makes the writer wait (backpressure), for up to half the transaction timeout (at most 5
   * min); one longer than that fails the app's checkpoints and then the app.
   */
  Duration operationTimeout() {
    Duration half = lifetime.timeout().dividedBy(2);
    Duration max = Duration.ofMinutes(5);
    Duration min = Duration.ofSeconds(30);
    return half.compareTo(max) > 0 ? max : half.compareTo(min) < 0 ? min : half;
  }

  /**
   * The journal of the open transactions of {@code app} (an app, or one shard of it) in this sink,
   * while a writer or committer of it exists.
   */
  synchronized TransactionJournal journal(String app) {
    return journals.get(app);
  }

  /** Ends a use by a writer or committer of {@code app}; the last use closes the client. */
  synchronized void release(String app) {
    if (journalUsers.merge(app, -1, Integer::sum) == 0) {
      journalUsers.remove(app);
      journals.remove(app).close();
    }
    if (journalUsers.isEmpty() && client != null) {
      // Their Transaction objects die with the client (a commit through one would wait for a
      // closed connection): a later committer commits or aborts them by id, on a new client.
      open.clear();
      if (admin != null) {
        admin.close();
        admin = null;
      }
      try {
        client.close();
      } catch (PulsarClientException e) {
        // closing: nothing left to lose
      }
      client = null;
    }
  }

  /**
   * Settings of a {@link PulsarSink}. Its name comes from the shared {@link SinkBuilder}; it does
   * not extend {@code RetryingSinkBuilder}: the Pulsar client itself waits out a broker outage, for
   * up to half the {@link #transactionTimeout} (see {@link PulsarSink}).
   */
  public static final class Builder<T> extends SinkBuilder<Builder<T>> {
    private String topic;
    private String serviceUrl;
    private String adminUrl;
    private PulsarSecurity security;
    private Function<? super T, byte[]> serializer;
    private Function<? super T, String> key;
    private Function<? super T, Map<String, String>> properties;
    private ToLongFunction<? super T> eventTime;
    private Duration transactionTimeout;
    private int maxPendingMessages = 10_000;

    private Builder() {}

    @Override
    protected Builder<T> self() {
      return this;
    }

    private String resolvedName() {
      return nameOr("pulsar:" + topic);
    }

    public Builder<T> topic(String topic) {
      Objects.requireNonNull(topic, "topic must not be null");
      this.topic = topic.contains("://") ? topic : "persistent://public/default/" + topic;
      return this;
    }

    /** Another cluster's service URL; by default the app's. Needs {@link #adminUrl} too. */
    public Builder<T> serviceUrl(String url) {
      this.serviceUrl = Objects.requireNonNull(url, "url must not be null");
      return this;
    }

    /**
     * That other cluster's admin (HTTP) URL; by default the app's. Recovery asks it whether a
     * checkpoint's transaction the coordinator has forgotten was committed or aborted.
     */
    public Builder<T> adminUrl(String url) {
      this.adminUrl = Objects.requireNonNull(url, "url must not be null");
      return this;
    }

    /**
     * Authentication and TLS trust for that other cluster; by default the app's ({@code
     * Sluice.Builder.pulsarSecurity}).
     */
    public Builder<T> security(PulsarSecurity security) {
      this.security = Objects.requireNonNull(security, "security must not be null");
      return this;
    }

    public Builder<T> serializer(Function<? super T, byte[]> serializer) {
      this.serializer = Objects.requireNonNull(serializer, "serializer must not be null");
      return this;
    }

    public Builder<T> key(Function<? super T, String> key) {
      this.key = Objects.requireNonNull(key, "key must not be null");
      return this;
    }

    /** Message properties per record. */
    public Builder<T> properties(Function<? super T, Map<String, String>> properties) {
      this.properties = Objects.requireNonNull(properties, "properties must not be null");
      return this;
    }

    /**
     * The event time of each record's message (epoch milliseconds; 0 or less sets none), so that a
     * Sluice app reading the topic windows by it; by default none is set.
     */
    public Builder<T> eventTime(ToLongFunction<? super T> eventTime) {
      this.eventTime = Objects.requireNonNull(eventTime, "eventTime must not be null");
      return this;
    }

    /**
     * The timeout of the sink's transactions at the broker. Unset, it is derived from the app's
     * checkpoint settings: the longest a checkpoint's output may wait for its commit while the app
     * keeps running ({@link SinkContext#commitBound}, about 23 min with the defaults) plus 5 min,
     * and at least 10 min. A configured one must exceed that wait, or the app refuses to start: the
     * broker would otherwise abort a transaction during a sink outage the app rides out.
     */
    public Builder<T> transactionTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout must not be null");
      if (timeout.toMillis() < 1000) {
        throw new ConfigException(
            "Invalid value "
                + timeout.toMillis()
                + " ms for transactionTimeout: must be at least 1000 ms (and well above the"
                + " checkpoint interval)");
      }
      this.transactionTimeout = timeout;
      return this;
    }

    /**
     * How many sent messages a writer may have unacknowledged by the broker (default 10,000); a
     * writer that reaches it waits (backpressure to the readers). A checkpoint waits for the
     * current transaction's sends, so this bounds how long its preparation takes, and with it how
     * late output becomes visible; the client's default (a share of 64 MB of memory, hundreds of
     * thousands of small messages) let that reach seconds under load.
     */
    public Builder<T> maxPendingMessages(int max) {
      if (max < 1) {
        throw new ConfigException(
            "Invalid value "
                + max
                + " for maxPendingMessages: must be at least 1 (a few thousand keep the producer"
                + " busy)");
      }
      this.maxPendingMessages = max;
      return this;
    }

    public PulsarSink<T> build() {
      if (topic == null) {
        throw new ConfigException("PulsarSink needs a topic: call topic(...)");
      }
      if (serializer == null) {
        throw new ConfigException("PulsarSink needs a serializer: call serializer(...)");
      }
      if ((serviceUrl == null) != (adminUrl == null)) {
        throw new ConfigException(
            "PulsarSink on another cluster needs both serviceUrl(...) and adminUrl(...) (or"
                + " neither, to write to the app's cluster)");
      }
      return new PulsarSink<>(this);
    }
  }
}
