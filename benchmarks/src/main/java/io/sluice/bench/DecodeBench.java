package io.sluice.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.sluice.source.RecordDecoder;
import io.sluice.source.SourceRecord;
import org.apache.pulsar.client.api.MessageId;

/**
 * Binds the throughput benchmark's JSON events (~180 bytes) on one thread, with {@code
 * RecordDecoder.json} (Sluice's binder, which hands anything unusual to Jackson) and with a plain
 * Jackson {@code ObjectReader} configured the same way; alternating, {@code rounds} times. No
 * broker. Prints {@code RESULT decode jackson_us=… sluice_us=… speedup=…} (medians, microseconds of
 * one thread per event).
 */
public final class DecodeBench {
  private static final int EVENTS = 4096;

  private DecodeBench() {}

  public static void main(String[] args) throws Exception {
    int perRound = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    SourceRecord[] records = new SourceRecord[EVENTS];
    for (int i = 0; i < EVENTS; i++) {
      records[i] =
          new SourceRecord(
              "persistent://public/default/bench-decode",
              MessageId.earliest,
              null,
              BenchEnv.event(i * 7919L, 0),
              1,
              0,
              null);
    }
    RecordDecoder<ThroughputBench.Event> sluice = RecordDecoder.json(ThroughputBench.Event.class);
    ObjectReader jackson =
        new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .readerFor(ThroughputBench.Event.class);
    for (int w = 0; w < 3; w++) {
      time(records, perRound, r -> jackson.readValue(r.value()));
      time(records, perRound, sluice::decode);
    }
    double[] plain = new double[rounds];
    double[] fast = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      plain[r] = time(records, perRound, rec -> jackson.readValue(rec.value()));
      fast[r] = time(records, perRound, sluice::decode);
      System.out.printf(
          "round %d: jackson %.3f us/event  sluice %.3f us/event%n", r + 1, plain[r], fast[r]);
    }
    double j = BenchEnv.median(plain);
    double s = BenchEnv.median(fast);
    System.out.printf("RESULT decode jackson_us=%.3f sluice_us=%.3f speedup=%.2f%n", j, s, j / s);
  }

  private interface Decode {
    ThroughputBench.Event decode(SourceRecord record) throws Exception;
  }

  /** Microseconds per event; checks every result so the work cannot be skipped. */
  private static double time(SourceRecord[] records, int n, Decode decode) throws Exception {
    long users = 0;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      ThroughputBench.Event e = decode.decode(records[i & (EVENTS - 1)]);
      users += e.user.length() + e.tags.size();
    }
    long nanos = System.nanoTime() - start;
    if (users == 0) {
      throw new IllegalStateException("nothing decoded");
    }
    return nanos / 1e3 / n;
  }
}
