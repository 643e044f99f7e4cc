/**
 * The functions a job hands to a keyed stream: {@link io.sluice.function.KeyedProcessFunction}, its
 * {@link io.sluice.function.KeyedContext} (keyed state, timers, the current key) and the {@link
 * io.sluice.function.Collector} it emits to. They run on the slot group's processing thread.
 */
package io.sluice.function;
