package io.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class ChildJvmIT {
  @Test
  void shouldReadLinesThenSigkillTheChild() {
    try (ChildJvm child = ChildJvm.builder(TickerMain.class).jvmArgs("-Xmx64m").start()) {
      assertThat(child.readLine(Duration.ofSeconds(30))).isEqualTo("tick 0");
      assertThat(child.readLine(Duration.ofSeconds(5))).isEqualTo("tick 1");
      long pid = child.pid();
      child.kill();
      assertThat(child.isAlive()).isFalse();
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      // SIGKILL: the JVM had no chance to exit normally
      assertThat(child.waitFor(Duration.ofSeconds(1))).isEqualTo(137);
    }
  }

  @Test
  void shouldLetTheChildRunItsShutdownHooksOnTerminateAndKeepItsOutput() {
    try (ChildJvm child = ChildJvm.builder(TickerMain.class).jvmArgs("-Xmx64m").start()) {
      assertThat(child.readLine(Duration.ofSeconds(30))).isEqualTo("tick 0");
      child.terminate();
      // what the child prints while it stops still arrives
      child.awaitLine(l -> l.equals("shutdown hook"), Duration.ofSeconds(30));
      assertThat(child.waitFor(Duration.ofSeconds(30))).isEqualTo(143);
    }
  }
}
