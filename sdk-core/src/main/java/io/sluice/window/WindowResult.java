package io.sluice.window;

/**
 * The result of one window of one key, emitted once when the watermark passes the window's end plus
 * the allowed lateness.
 */
public record WindowResult<K, R>(K key, long windowStart, long windowEnd, R value) {}
