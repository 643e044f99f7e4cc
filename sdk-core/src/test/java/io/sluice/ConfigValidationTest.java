package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.config.Options;
import io.sluice.errors.ConfigException;
import io.sluice.source.BadRecordPolicy;
import io.sluice.source.PulsarSource;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigValidationTest {
  @TempDir Path dir;

  @Test
  void shouldNameTheSettingAndTheRuleForBadValues() {
    assertThatThrownBy(() -> Sluice.builder().checkpointInterval(Duration.ZERO))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value 0 ms for sluice.checkpoint.interval: must be at least 100 ms");
    assertThatThrownBy(() -> Sluice.builder().checkpointInterval(Duration.ofMillis(-5)))
        .hasMessage("Invalid value -5 ms for sluice.checkpoint.interval: must be at least 100 ms");
    assertThatThrownBy(() -> Sluice.builder().instanceName("pod/0"))
        .hasMessage(
            "Invalid value pod/0 for sluice.instance.name: must be 1-64 characters of"
                + " [A-Za-z0-9._-]");
    assertThatThrownBy(() -> Sluice.builder().ringSize(1000))
        .hasMessage(
            "Invalid value 1000 for sluice.pipeline.ringSize: must be a power of 2 between 64 and"
                + " 1048576");
    assertThatThrownBy(() -> Sluice.builder().receiverQueueSize(0))
        .hasMessage(
            "Invalid value 0 for sluice.source.receiverQueueSize: must be between 1 and 100000");
    assertThatThrownBy(() -> Sluice.builder().pulsar("http://x:6650", "http://x:8080"))
        .hasMessage(
            "Invalid value http://x:6650 for sluice.pulsar.serviceUrl: must start with pulsar://"
                + " or pulsar+ssl://");
    assertThatThrownBy(() -> Sluice.builder().name("bad name!"))
        .hasMessageContaining("sluice.name");
    assertThatThrownBy(() -> Sluice.builder().discoveryInterval(Duration.ofMillis(5)))
        .hasMessage(
            "Invalid value 5 ms for sluice.source.discoveryInterval: must be 0 (off) or at least"
                + " 100 ms");
  }

  @Test
  void shouldRefuseADeadLetterPolicyForSinks() {
    assertThatThrownBy(() -> Sluice.builder().onBadSinkRecord(BadRecordPolicy.DEAD_LETTER))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("onBadSinkRecord: DEAD_LETTER is for sources")
        .hasMessageContaining("(SKIP)");
    Sluice.builder().onBadSinkRecord(BadRecordPolicy.SKIP);
  }

  @Test
  void shouldRequireNonNullArgumentsWithTheirName() {
    assertThatThrownBy(() -> Sluice.builder().stateDir(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("dir must not be null");
    assertThatThrownBy(() -> PulsarSource.topics((String[]) null))
        .hasMessage("topics must not be null");
  }

  @Test
  void shouldRefuseASecondSetAndMissingRequiredSettings() {
    assertThatThrownBy(() -> Sluice.builder().name("a").name("b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("sluice.name was already set");
    assertThatThrownBy(() -> Sluice.builder().name("a").build())
        .isInstanceOf(ConfigException.class)
        .hasMessage("Missing sluice.pulsar.serviceUrl: call pulsar(serviceUrl, adminUrl)");
  }

  @Test
  void shouldRejectAStateDirThatIsNotWritable() throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
    assertThatThrownBy(
            () ->
                Sluice.builder()
                    .name("a")
                    .pulsar("pulsar://127.0.0.1:1", "http://127.0.0.1:1")
                    .stateDir(file.resolve("state"))
                    .build())
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Invalid value " + file.resolve("state") + " for sluice.state.dir")
        .hasMessageContaining("must be a writable directory");
  }

  @Test
  void shouldFailStartWithTheUrlWhenTheBrokerIsUnreachable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (Sluice app =
        Sluice.builder()
            .name("unreachable")
            .pulsar("pulsar://127.0.0.1:" + port, "http://127.0.0.1:" + port)
            .stateDir(dir)
            .build()) {
      app.stream(PulsarSource.topics("t")).forEach(r -> {});
      assertThatThrownBy(app::start)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("Cannot connect to Pulsar at pulsar://127.0.0.1:" + port)
          .hasMessageContaining("Check sluice.pulsar.serviceUrl");
      assertThat(app.state()).isEqualTo(Sluice.State.FAILED);
    }
  }

  @Test
  void shouldRefuseABadTopicPatternAndGenerateTheConfigTable() {
    assertThatThrownBy(() -> PulsarSource.topicsMatching("persistent://pub.*/default/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must name its tenant and namespace literally");
    assertThat(Options.markdownTable())
        .contains("| `sluice.checkpoint.interval` | 5000 ms | must be at least 100 ms |");
  }

  @Test
  void shouldRequireADeadLetterTopicForTheDeadLetterPolicy() {
    assertThatThrownBy(
            () ->
                PulsarSource.topics("t").onBadRecord(io.sluice.source.BadRecordPolicy.DEAD_LETTER))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("BadRecordPolicy.DEAD_LETTER needs a topic: use deadLetterTo(topic)");
    PulsarSource source = PulsarSource.topics("t").deadLetterTo("t-dlq").subscription("s");
    assertThat(source.badRecordPolicy()).isEqualTo(io.sluice.source.BadRecordPolicy.DEAD_LETTER);
    assertThat(source.deadLetterTopic()).contains("persistent://public/default/t-dlq");
    assertThatThrownBy(() -> Sluice.builder().slotGroup("default", "t"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not 'default'");
  }
}
