package io.sluice.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {
  @Test
  void shouldHideThePasswordAndKeepTheRest() {
    assertThat(Redaction.uri("rediss://app:s3cret@10.0.0.1:6380/2"))
        .isEqualTo("rediss://app:****@10.0.0.1:6380/2");
    assertThat(Redaction.uri("redis://s3cret@host:6379")).isEqualTo("redis://****@host:6379");
    assertThat(Redaction.uri("https://u:p%40ss@ch:8443/?x=1"))
        .isEqualTo("https://u:****@ch:8443/?x=1");
    assertThat(Redaction.uri("http://ch:8123/")).isEqualTo("http://ch:8123/");
  }

  @Test
  void shouldShowSecretsAsStars() {
    assertThat(Secret.of("s3cret")).hasToString("****");
    assertThat(Secret.of("s3cret").reveal()).isEqualTo("s3cret");
    assertThat(Secret.of(null)).isNull();
  }
}
