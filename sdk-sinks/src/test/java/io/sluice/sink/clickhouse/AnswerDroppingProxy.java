package io.sluice.sink.clickhouse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy in front of a real ClickHouse that, for the first {@code drops} INSERT
 * requests, lets the server run the insert and then cuts the connection instead of passing the
 * answer on: the rows land, the client sees a failure and retries. This is the fault that makes a
 * retried insert leave rows twice. With {@link #cutting}, the proxy also ends those requests early,
 * at the end of the row that reaches a given number of body bytes (a FIN, as when a client dies):
 * ClickHouse then stores the rows it read, a prefix of the insert.
 */
final class AnswerDroppingProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int target;
  private final AtomicInteger dropsLeft;
  private final AtomicInteger dropped = new AtomicInteger();

  /** Body bytes passed on before a dropped insert is ended at a row boundary; -1: all of them. */
  private final int cutAfter;

  private AnswerDroppingProxy(int target, int drops, int cutAfter) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.target = target;
    this.dropsLeft = new AtomicInteger(drops);
    this.cutAfter = cutAfter;
    Thread accept = new Thread(this::accept, "answer-dropping-proxy");
    accept.setDaemon(true);
    accept.start();
  }

  static AnswerDroppingProxy start(int targetPort, int drops) throws IOException {
    return new AnswerDroppingProxy(targetPort, drops, -1);
  }

  /**
   * A proxy that passes on only the first {@code bodyBytes} of the first {@code drops} inserts'
   * bodies (up to the end of the row there), then ends the request and drops the answer.
   */
  static AnswerDroppingProxy cutting(int targetPort, int drops, int bodyBytes) throws IOException {
    return new AnswerDroppingProxy(targetPort, drops, bodyBytes);
  }

  String url() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  /** INSERT answers dropped so far. */
  int dropped() {
    return dropped.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
        AtomicInteger dropNextAnswer = new AtomicInteger();
        pump(client, upstream, dropNextAnswer, true);
        pump(upstream, client, dropNextAnswer, false);
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /**
   * Copies bytes one way. Requests are sent one at a time per connection, so a request line starts
   * a read: an INSERT arms the drop (and the cut, if any); the answer's first bytes (the insert is
   * done by then) trigger it.
   */
  private void pump(Socket from, Socket to, AtomicInteger dropNextAnswer, boolean request) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[1 << 16];
              long cutAt = -1; // stream offset where the body is cut (at the next line end)
              long offset = 0;
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                  if (request) {
                    String head = new String(buf, 0, Math.min(n, 512), StandardCharsets.ISO_8859_1);
                    if (head.startsWith("POST ")
                        && head.contains("query=INSERT")
                        && dropsLeft.getAndDecrement() > 0) {
                      dropNextAnswer.set(1);
                      int body =
                          new String(buf, 0, n, StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
                      if (cutAfter >= 0 && body >= 0) {
                        cutAt = offset + body + 4 + cutAfter;
                      }
                    }
                    if (cutAt >= 0 && offset + n > cutAt) {
                      int scanFrom = (int) Math.max(0, cutAt - offset);
                      int end = -1;
                      for (int i = scanFrom; i < n; i++) {
                        if (buf[i] == '\n') {
                          end = i;
                          break;
                        }
                      }
                      if (end >= 0) {
                        out.write(buf, 0, end + 1);
                        out.flush();
                        to.shutdownOutput(); // the server sees the body end at a row boundary
                        in.transferTo(OutputStream.nullOutputStream());
                        return;
                      }
                    }
                  } else if (dropNextAnswer.compareAndSet(1, 0)) {
                    dropped.incrementAndGet();
                    to.close();
                    from.close();
                    return;
                  }
                  out.write(buf, 0, n);
                  out.flush();
                  offset += n;
                }
              } catch (IOException e) {
                // one side closed: close both
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "answer-dropping-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
