package io.kuroshio.compat.support;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.kurento.client.MediaPipeline;

/** A test class whose every test gets a fresh pipeline, released after it with all it holds. */
public abstract class PipelineTest extends KurentoTest {
  protected MediaPipeline pipeline;

  @BeforeEach
  void createPipeline() {
    pipeline = kurento.createMediaPipeline();
  }

  @AfterEach
  void releasePipeline() {
    pipeline.release();
  }
}
