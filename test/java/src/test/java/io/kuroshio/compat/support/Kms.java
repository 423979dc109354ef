package io.kuroshio.compat.support;

import org.kurento.client.KurentoClient;
import org.kurento.client.KurentoConnectionListener;

/**
 * The media server under test. Its URL comes in {@code kms.url}, the system property the official
 * client itself reads; the Node test run (test/java/java-suite.test.ts) starts a Kuroshio server
 * and passes it, and a developer can point the suite at any running server the same way.
 */
public final class Kms {
  private Kms() {}

  public static String url() {
    String url = System.getProperty("kms.url", "");
    if (url.isBlank()) {
      throw new IllegalStateException(
          "kms.url is not set: run the suite through `node scripts/run-tests.mjs java`, or with "
              + "`mvn test -Dkms.url=ws://127.0.0.1:8888/kurento` against a running server");
    }
    return url;
  }

  /**
   * A second server of the same build, when the run provides one ({@code kuroshio.otherServer}):
   * it knows none of the first one's sessions, as a restarted server would.
   */
  public static java.util.Optional<String> otherServerUrl() {
    String url = System.getProperty("kuroshio.otherServer", "");
    return url.isBlank() ? java.util.Optional.empty() : java.util.Optional.of(url);
  }

  /** A new client connected to the server under test, as an application creates one. */
  public static KurentoClient connect() {
    return KurentoClient.create(url());
  }

  /** A new client whose connection events go to {@code listener}. */
  public static KurentoClient connect(KurentoConnectionListener listener) {
    return KurentoClient.create(url(), listener);
  }
}
