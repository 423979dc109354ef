package io.kuroshio.compat.support;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.kurento.client.KurentoClient;

/** A test class whose tests share one client connected to the server under test. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class KurentoTest {
  protected KurentoClient kurento;

  @BeforeAll
  void connectClient() {
    kurento = Kms.connect();
  }

  @AfterAll
  void destroyClient() {
    kurento.destroy();
  }
}
