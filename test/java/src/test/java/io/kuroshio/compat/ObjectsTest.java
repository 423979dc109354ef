package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kuroshio.compat.support.Errors;
import io.kuroshio.compat.support.Kms;
import io.kuroshio.compat.support.PipelineTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kurento.client.GenericMediaElement;
import org.kurento.client.KurentoClient;
import org.kurento.client.MediaElement;
import org.kurento.client.MediaObject;
import org.kurento.client.MediaPipeline;
import org.kurento.client.ModuleInfo;
import org.kurento.client.PassThrough;
import org.kurento.client.Properties;
import org.kurento.client.Tag;
import org.kurento.client.internal.server.KurentoServerException;

/**
 * Creating and releasing every implemented class (by its builder and by its module-qualified
 * name), the family of an object, ids the client parses, names and tags.
 */
class ObjectsTest extends PipelineTest {
  private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  static Stream<ImplementedClasses> implemented() {
    return ImplementedClasses.ALL.stream();
  }

  private Pattern childId(String qualifiedType) {
    return Pattern.compile(Pattern.quote(pipeline.getId()) + "/" + UUID + "_" + Pattern.quote(qualifiedType));
  }

  @Test
  void aPipelineHasAnIdTheClientCanParse() {
    assertTrue(pipeline.getId().matches(UUID + "_kurento\\.MediaPipeline"), pipeline.getId());
    assertSame(pipeline, pipeline.getMediaPipeline());
    assertEquals(null, pipeline.getParent());
    assertEquals(List.of(), pipeline.getChildren());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("implemented")
  void everyImplementedClassIsCreatedByItsBuilderAndReleased(ImplementedClasses cls) {
    MediaElement element = cls.build().apply(pipeline);
    assertTrue(childId("kurento." + cls.name()).matcher(element.getId()).matches(), element.getId());
    assertInstanceOf(cls.type(), element);
    assertSame(pipeline, element.getMediaPipeline());
    assertSame(pipeline, element.getParent());
    assertEquals(element.getId(), element.getName());
    assertEquals(List.of(element), pipeline.getChildren());

    element.release();
    Errors.expect(40101, "MEDIA_OBJECT_NOT_FOUND", element::getName);
    assertEquals(List.of(), pipeline.getChildren());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("implemented")
  void everyImplementedClassIsCreatedByItsModuleQualifiedName(ImplementedClasses cls) {
    GenericMediaElement.Builder builder = new GenericMediaElement.Builder(pipeline, "kurento." + cls.name());
    cls.constructorParams().forEach(builder::withConstructorParam);
    MediaElement generic = builder.build();
    assertTrue(childId("kurento." + cls.name()).matcher(generic.getId()).matches(), generic.getId());

    // Another application finds it by id and gets a proxy of the concrete class.
    KurentoClient other = Kms.connect();
    try {
      MediaObject found = other.getById(generic.getId(), MediaObject.class);
      assertInstanceOf(cls.type(), found);
      assertEquals(generic.getId(), found.getName());
      MediaPipeline parent = found.getMediaPipeline();
      assertEquals(pipeline.getId(), parent.getId());
    } finally {
      other.destroy();
    }
    generic.release();
  }

  @Test
  void everyOtherFactoryTheServerDescribesAnswersNotImplemented() {
    List<String> checked = new ArrayList<>();
    for (ModuleInfo module : kurento.getServerManager().getInfo().getModules()) {
      JsonObject kmd = JsonParser.parseString(kurento.getServerManager().getKmd(module.getName())).getAsJsonObject();
      String prefix = List.of("core", "elements", "filters").contains(module.getName()) ? "kurento" : module.getName();
      for (JsonElement c : kmd.getAsJsonArray("remoteClasses")) {
        JsonObject remoteClass = c.getAsJsonObject();
        String name = remoteClass.get("name").getAsString();
        if (!module.getFactories().contains(name) || ImplementedClasses.isImplemented(name)) continue;
        if (!takesOnlyAPipeline(remoteClass)) continue;
        try {
          MediaElement created = new GenericMediaElement.Builder(pipeline, prefix + "." + name).build();
          created.release();
          fail(name + " is implemented now: add it to ImplementedClasses.ALL");
        } catch (KurentoServerException e) {
          assertEquals(40006, e.getCode(), name + ": " + e.getMessage());
          assertEquals("NOT_IMPLEMENTED", Errors.type(e), name);
        }
        checked.add(name);
      }
    }
    // Every factory of KMS's own modules is implemented now; the check stays for new ones.
    assertTrue(checked.isEmpty(), "not implemented: " + checked);
  }

  /** True when the only required constructor parameter is the pipeline. */
  private static boolean takesOnlyAPipeline(JsonObject remoteClass) {
    if (!remoteClass.has("constructor")) return false;
    boolean pipelineParam = false;
    for (JsonElement p : remoteClass.getAsJsonObject("constructor").getAsJsonArray("params")) {
      JsonObject param = p.getAsJsonObject();
      boolean optional = param.has("optional") && param.get("optional").getAsBoolean();
      if (param.get("type").getAsString().equals("MediaPipeline")) pipelineParam = true;
      else if (!optional) return false;
    }
    return pipelineParam;
  }

  @Test
  void createWithPropertiesIsAccepted() {
    Properties properties = new Properties();
    properties.add("app", "java-compat");
    PassThrough element = new PassThrough.Builder(pipeline).withProperties(properties).with("room", 7).build();
    assertInstanceOf(PassThrough.class, element);
    assertEquals(element.getId(), element.getName());
    MediaPipeline withProperties = kurento.createMediaPipeline(properties);
    assertTrue(withProperties.getId().endsWith("_kurento.MediaPipeline"));
    withProperties.release();
  }

  @Test
  void getChildrenGivesTypedProxies() {
    PassThrough a = new PassThrough.Builder(pipeline).build();
    PassThrough b = new PassThrough.Builder(pipeline).build();
    List<MediaObject> children = pipeline.getChildren();
    assertEquals(2, children.size());
    assertTrue(children.contains(a) && children.contains(b), children.toString());
    assertEquals(List.of(), a.getChildren());

    // A client that did not create them builds proxies of the right class from their ids.
    KurentoClient other = Kms.connect();
    try {
      MediaPipeline seen = other.getById(pipeline.getId(), MediaPipeline.class);
      List<MediaObject> theirs = seen.getChildren();
      assertEquals(2, theirs.size());
      for (MediaObject child : theirs) assertInstanceOf(PassThrough.class, child);
    } finally {
      other.destroy();
    }
  }

  @Test
  void getByIdOfAnUnknownObjectFailsOnFirstUse() {
    String ghost = pipeline.getId() + "/00000000-0000-0000-0000-000000000000_kurento.PassThrough";
    PassThrough proxy = kurento.getById(ghost, PassThrough.class);
    Errors.expect(40101, "MEDIA_OBJECT_NOT_FOUND", proxy::getName);
  }

  @Test
  void namesDefaultToTheIdAndCanBeChanged() {
    PassThrough element = new PassThrough.Builder(pipeline).build();
    element.setName("camera 1");
    assertEquals("camera 1", element.getName());
    assertEquals(pipeline.getId(), pipeline.getName());
    element.setName("");
    assertEquals(element.getId(), element.getName());
    long now = System.currentTimeMillis() / 1000;
    int created = element.getCreationTime();
    assertTrue(created <= now && created >= now - 60, "getCreationTime " + created);
  }

  @Test
  void tagsAreTypedAndOrderedByKey() {
    PassThrough element = new PassThrough.Builder(pipeline).build();
    assertEquals(List.of(), element.getTags());
    element.addTag("user", "ana");
    element.addTag("room", "blue");
    element.addTag("room", "red");
    element.addTag("Zone", "west");
    assertEquals("red", element.getTag("room"));
    List<Tag> tags = element.getTags();
    assertEquals(List.of("Zone=west", "room=red", "user=ana"),
        tags.stream().map(t -> t.getKey() + "=" + t.getValue()).toList());
    element.removeTag("Zone");
    element.removeTag("room");
    element.removeTag("room");
    assertEquals(Map.of("user", "ana"),
        Map.of(element.getTags().get(0).getKey(), element.getTags().get(0).getValue()));
    Errors.expect(40110, "MEDIA_OBJECT_TAG_KEY_NOT_FOUND", () -> element.getTag("room"));
    assertEquals(List.of(), pipeline.getTags());
  }
}
