package io.sluice.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Turns state keys and values into bytes for RocksDB and back.
 *
 * <pre>{@code
 * ValueState<Long> count = ctx.valueState("count", Serde.longs());
 * ValueState<Order> last = ctx.valueState("last", Serde.json(Order.class));
 * }</pre>
 */
public interface Serde<T> {
  byte[] serialize(T value);

  T deserialize(byte[] bytes);

  static Serde<String> strings() {
    return new Serde<>() {
      @Override
      public byte[] serialize(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public String deserialize(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
      }
    };
  }

  static Serde<Long> longs() {
    return new Serde<>() {
      @Override
      public byte[] serialize(Long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
      }

      @Override
      public Long deserialize(byte[] bytes) {
        return ByteBuffer.wrap(bytes).getLong();
      }
    };
  }

  /** One byte: true or false. */
  static Serde<Boolean> booleans() {
    return new Serde<>() {
      @Override
      public byte[] serialize(Boolean value) {
        return new byte[] {(byte) (value ? 1 : 0)};
      }

      @Override
      public Boolean deserialize(byte[] bytes) {
        return bytes[0] != 0;
      }
    };
  }

  static Serde<byte[]> bytes() {
    return new Serde<>() {
      @Override
      public byte[] serialize(byte[] value) {
        return value;
      }

      @Override
      public byte[] deserialize(byte[] bytes) {
        return bytes;
      }
    };
  }

  /** JSON through Jackson; the class must be (de)serialisable by a default ObjectMapper. */
  static <T> Serde<T> json(Class<T> type) {
    Objects.requireNonNull(type, "type must not be null");
    ObjectMapper mapper = new ObjectMapper();
    return new Serde<>() {
      @Override
      public byte[] serialize(T value) {
        try {
          return mapper.writeValueAsBytes(value);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot serialise " + type.getName() + " as JSON", e);
        }
      }

      @Override
      public T deserialize(byte[] bytes) {
        try {
          return mapper.readValue(bytes, type);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + type.getName() + " from JSON state", e);
        }
      }
    };
  }
}
