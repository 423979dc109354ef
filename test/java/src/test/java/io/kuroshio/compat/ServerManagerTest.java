package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.Errors;
import io.kuroshio.compat.support.EventQueue;
import io.kuroshio.compat.support.KurentoTest;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kurento.client.KurentoClient;
import org.kurento.client.MediaPipeline;
import org.kurento.client.ModuleInfo;
import org.kurento.client.ObjectCreatedEvent;
import org.kurento.client.ObjectDestroyedEvent;
import org.kurento.client.PassThrough;
import org.kurento.client.ServerInfo;
import org.kurento.client.ServerManager;
import org.kurento.client.ServerType;

/** The client's connection and the ServerManager: typed info, sessions, pipelines, usage, KMD. */
class ServerManagerTest extends KurentoTest {
  private ServerManager manager;

  @BeforeAll
  void getServerManager() {
    manager = kurento.getServerManager();
  }

  @Test
  void theClientGetsASessionFromTheServer() {
    assertTrue(kurento.getSessionId().matches("[0-9a-f-]{36}"), kurento.getSessionId());
    assertEquals("manager_ServerManager", manager.getId());
  }

  @Test
  void theNoArgumentCreateReadsKmsUrlAsTheTutorialsDo() {
    KurentoClient fromProperty = KurentoClient.create();
    try {
      assertEquals("7.3.0", fromProperty.getServerManager().getInfo().getVersion());
    } finally {
      fromProperty.destroy();
    }
  }

  @Test
  void getInfoIsATypedServerInfoWithTheModulesAndTheirFactories() {
    ServerInfo info = manager.getInfo();
    assertEquals("7.3.0", info.getVersion());
    assertEquals(ServerType.KMS, info.getType());
    assertEquals(List.of("transactions"), info.getCapabilities());
    Map<String, ModuleInfo> modules =
        info.getModules().stream().collect(Collectors.toMap(ModuleInfo::getName, m -> m));
    for (String name : List.of("core", "elements", "filters")) {
      assertTrue(modules.containsKey(name), "module " + name + " in " + modules.keySet());
      assertInstanceOf(ModuleInfo.class, modules.get(name));
      assertFalse(modules.get(name).getVersion().isEmpty());
      assertFalse(modules.get(name).getGenerationTime().isEmpty());
    }
    assertTrue(modules.get("core").getFactories().containsAll(List.of("MediaPipeline", "PassThrough")));
    assertTrue(modules.get("elements").getFactories()
        .containsAll(List.of("WebRtcEndpoint", "RecorderEndpoint", "PlayerEndpoint")));
    assertFalse(modules.get("core").getFactories().contains("MediaElement"), "abstract classes are no factories");
  }

  @Test
  void getPipelinesAndGetSessionsListWhatExists() {
    MediaPipeline pipeline = kurento.createMediaPipeline();
    try {
      List<MediaPipeline> pipelines = manager.getPipelines();
      assertTrue(pipelines.stream().anyMatch(p -> p.getId().equals(pipeline.getId())), pipelines.toString());
      // The list holds the client's own proxy for a pipeline it knows.
      assertTrue(pipelines.stream().anyMatch(p -> p == pipeline));
      assertTrue(manager.getSessions().contains(kurento.getSessionId()), manager.getSessions().toString());
    } finally {
      pipeline.release();
    }
    assertFalse(manager.getPipelines().stream().anyMatch(p -> p.getId().equals(pipeline.getId())));
  }

  @Test
  void usageFiguresAndMetadata() {
    assertTrue(manager.getCpuCount() >= 1);
    float cpu = manager.getUsedCpu(200);
    assertTrue(cpu >= 0 && cpu <= 100, "getUsedCpu " + cpu);
    assertTrue(manager.getUsedMemory() > 0);
    manager.getMetadata(); // a string, empty unless configured
  }

  @Test
  void getKmdAnswersTheModuleDescription() {
    String core = manager.getKmd("core");
    assertTrue(core.contains("\"MediaPipeline\""), core.substring(0, Math.min(200, core.length())));
    Errors.expect(40500, "SERVER_MANAGER_ERROR_KMD_NOT_FOUND", () -> manager.getKmd("nope"));
  }

  @Test
  void objectCreatedAndObjectDestroyedCarryTypedObjects() {
    EventQueue<ObjectCreatedEvent> created = new EventQueue<>("ObjectCreated");
    EventQueue<ObjectDestroyedEvent> destroyed = new EventQueue<>("ObjectDestroyed");
    var createdSub = manager.addObjectCreatedListener(created);
    var destroyedSub = manager.addObjectDestroyedListener(destroyed);
    try {
      MediaPipeline pipeline = kurento.createMediaPipeline();
      PassThrough element = new PassThrough.Builder(pipeline).build();
      ObjectCreatedEvent first = created.find(e -> e.getObject().getId().equals(pipeline.getId()));
      assertInstanceOf(MediaPipeline.class, first.getObject());
      assertEquals(manager.getId(), first.getSource().getId());
      assertTrue(first.getTimestampMillis().matches("\\d{13}"), first.getTimestampMillis());
      ObjectCreatedEvent second = created.find(e -> e.getObject().getId().equals(element.getId()));
      // An element the client created itself comes back as its own proxy.
      assertInstanceOf(PassThrough.class, second.getObject());

      pipeline.release();
      ObjectDestroyedEvent gone = destroyed.find(e -> e.getObjectId().equals(element.getId()));
      assertEquals(manager.getId(), gone.getSource().getId());
      destroyed.find(e -> e.getObjectId().equals(pipeline.getId()));
    } finally {
      manager.removeObjectCreatedListener(createdSub);
      manager.removeObjectDestroyedListener(destroyedSub);
    }
  }
}
