package io.kuroshio.compat.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.kurento.client.Event;
import org.kurento.client.EventListener;

/**
 * Collects the events one listener receives so that a test can wait for them with a timeout
 * instead of sleeping. Use it as the listener: {@code element.addXListener(queue)}.
 *
 * <p>The Java client hands events to listeners from a thread pool, so two events the server sent
 * in order may reach a listener in the other order: {@link #find} waits for an event by what it
 * says, whatever its position; {@link #next} is for events that cannot overtake each other (one
 * at a time, each caused by the test after the previous one arrived).
 */
public final class EventQueue<E extends Event> implements EventListener<E> {
  /** How long a test waits for an event it caused before failing. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final String what;
  private final List<E> received = new ArrayList<>();
  private int taken;

  public EventQueue(String what) {
    this.what = what;
  }

  @Override
  public synchronized void onEvent(E event) {
    received.add(event);
    notifyAll();
  }

  /** The next event not yet taken by {@code next}, waiting up to {@link #DEFAULT_TIMEOUT}. */
  public E next() {
    return next(DEFAULT_TIMEOUT);
  }

  public synchronized E next(Duration timeout) {
    waitFor(() -> received.size() > taken, timeout, "no " + what + " event");
    return received.get(taken++);
  }

  /** The first event received (taken or not) that matches, waiting up to {@link #DEFAULT_TIMEOUT}. */
  public E find(Predicate<E> predicate) {
    return find(predicate, DEFAULT_TIMEOUT);
  }

  public synchronized E find(Predicate<E> predicate, Duration timeout) {
    waitFor(() -> received.stream().anyMatch(predicate), timeout, "no matching " + what + " event");
    return received.stream().filter(predicate).findFirst().orElseThrow();
  }

  /** Every event received so far. */
  public synchronized List<E> all() {
    return List.copyOf(received);
  }

  private void waitFor(java.util.function.BooleanSupplier done, Duration timeout, String failure) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (!done.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) fail(failure + " within " + timeout.toMillis() + " ms (received " + received.size() + ")");
        wait(Math.max(1, left / 1_000_000));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
