package io.kuroshio.compat.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polls a condition until it holds or a timeout passes: for state that raises no event. */
public final class Wait {
  private static final long POLL_MS = 100;

  private Wait() {}

  /** Reads {@code value} until {@code done} accepts it, and returns the accepted value. */
  public static <T> T until(String what, Duration timeout, Supplier<T> value, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = null;
    while (System.nanoTime() < deadline) {
      last = value.get();
      if (done.test(last)) return last;
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return fail(what + " not reached within " + timeout.toMillis() + " ms; last value: " + last);
  }
}
