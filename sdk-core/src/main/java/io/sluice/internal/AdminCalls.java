package io.sluice.internal;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.apache.pulsar.client.admin.PulsarAdminException;

/**
 * Admin (HTTP) calls over many topics, a bounded number in flight: an app reading thousands of
 * topics would otherwise wait for thousands of round trips one after the other at every start.
 */
public final class AdminCalls {
  /** Requests in flight at once: the admin client's connections per host (16) and a few queued. */
  static final int IN_FLIGHT = 32;

  private AdminCalls() {}

  /**
   * {@code call} for each key, at most {@link #IN_FLIGHT} at once; the results by key, without the
   * keys whose call gave {@code null}. The first failure is thrown once every call has ended.
   */
  public static <K, V> Map<K, V> each(Collection<K> keys, Function<K, CompletableFuture<V>> call)
      throws PulsarAdminException {
    Semaphore slots = new Semaphore(IN_FLIGHT);
    Map<K, CompletableFuture<V>> calls = new HashMap<>();
    try {
      for (K key : keys) {
        slots.acquire();
        CompletableFuture<V> f;
        try {
          f = call.apply(key);
        } catch (RuntimeException e) {
          slots.release();
          throw e;
        }
        f.whenComplete((v, t) -> slots.release());
        calls.put(key, f);
      }
      CompletableFuture.allOf(calls.values().toArray(CompletableFuture[]::new))
          .exceptionally(t -> null)
          .get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PulsarAdminException("interrupted while calling the admin API", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("unreachable", e); // exceptionally(...) above
    }
    Map<K, V> out = new HashMap<>();
    for (Map.Entry<K, CompletableFuture<V>> e : calls.entrySet()) {
      try {
        V v = e.getValue().get();
        if (v != null) {
          out.put(e.getKey(), v);
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new PulsarAdminException("interrupted while calling the admin API", ie);
      } catch (ExecutionException ee) {
        throw asAdminException(ee.getCause());
      }
    }
    return out;
  }

  /** {@code call}'s result, or {@code null} if the broker says what it asked for does not exist. */
  public static <V> CompletableFuture<V> orNullIfNotFound(CompletableFuture<V> call) {
    return call.exceptionally(
        t -> {
          if (unwrap(t) instanceof PulsarAdminException.NotFoundException) {
            return null;
          }
          throw t instanceof CompletionException ce ? ce : new CompletionException(t);
        });
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static PulsarAdminException asAdminException(Throwable t) {
    Throwable cause = unwrap(t);
    if (cause instanceof PulsarAdminException e) {
      return e;
    }
    if (cause instanceof RuntimeException e) {
      throw e;
    }
    return new PulsarAdminException(cause);
  }
}
