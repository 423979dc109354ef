package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.Errors;
import io.kuroshio.compat.support.EventQueue;
import io.kuroshio.compat.support.KurentoTest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kurento.client.ElementConnectedEvent;
import org.kurento.client.MediaPipeline;
import org.kurento.client.MediaType;
import org.kurento.client.PassThrough;
import org.kurento.client.TFuture;
import org.kurento.client.Transaction;
import org.kurento.client.TransactionExecutionException;
import org.kurento.client.TransactionNotCommitedException;
import org.kurento.client.TransactionRollbackException;

/**
 * Transactions as the Java client builds them: one `transaction` request whose operations refer
 * to objects created earlier in it as {@code newref:N}; results come back as futures.
 */
class TransactionsTest extends KurentoTest {

  @Test
  void aPipelineItsElementsAndTheirLinkInOneTransaction() {
    Transaction tx = kurento.beginTransaction();
    MediaPipeline pipeline = kurento.createMediaPipeline(tx);
    PassThrough source = new PassThrough.Builder(pipeline).build(tx);
    PassThrough sink = new PassThrough.Builder(pipeline).build(tx);
    source.connect(tx, sink, MediaType.VIDEO);
    source.addTag(tx, "role", "source");
    TFuture<String> name = source.getName(tx);
    TFuture<String> role = source.getTag(tx, "role");
    TFuture<List<org.kurento.client.MediaObject>> children = pipeline.getChildren(tx);
    // Nothing exists before the commit.
    assertThrows(TransactionNotCommitedException.class, source::getId);
    assertFalse(name.isCommitted());

    tx.commit();
    assertTrue(name.isCommitted());
    assertEquals(source.getId(), name.get());
    assertEquals("source", role.get());
    assertTrue(pipeline.getId().endsWith("_kurento.MediaPipeline"), pipeline.getId());
    assertTrue(source.getId().startsWith(pipeline.getId() + "/"), source.getId());
    assertEquals(2, children.get().size());
    assertEquals(1, sink.getSourceConnections().size());
    assertEquals(MediaType.VIDEO, sink.getSourceConnections().get(0).getType());
    pipeline.release();
  }

  @Test
  void aTransactionOnAPipelineThenEventsOfItsObject() {
    MediaPipeline pipeline = kurento.createMediaPipeline();
    try {
      PassThrough sink = new PassThrough.Builder(pipeline).build();
      Transaction tx = pipeline.beginTransaction();
      PassThrough source = new PassThrough.Builder(pipeline).build(tx);
      source.addTag(tx, "made", "in a transaction");
      TFuture<String> tag = source.getTag(tx, "made");
      tx.commit();
      assertEquals("in a transaction", tag.get());

      // The Java client files an object made in a transaction under its `newref:N` name only,
      // so events for its real id find no listener there (with KMS too): an application gets a
      // proxy by id to listen on it.
      PassThrough listened = kurento.getById(source.getId(), PassThrough.class);
      EventQueue<ElementConnectedEvent> connected = new EventQueue<>("ElementConnected");
      listened.addElementConnectedListener(connected);
      source.connect(sink, MediaType.AUDIO);
      assertEquals(MediaType.AUDIO, connected.next().getMediaType());
    } finally {
      pipeline.release();
    }
  }

  @Test
  void aFailingOperationRollsTheTransactionBack() {
    MediaPipeline pipeline = kurento.createMediaPipeline();
    try {
      PassThrough element = new PassThrough.Builder(pipeline).build();
      Transaction tx = pipeline.beginTransaction();
      PassThrough created = new PassThrough.Builder(pipeline).build(tx);
      TFuture<String> missing = element.getTag(tx, "no-such-tag");
      TransactionExecutionException e = assertThrows(TransactionExecutionException.class, tx::commit);
      assertEquals(40110, e.getCode());
      assertEquals("MEDIA_OBJECT_TAG_KEY_NOT_FOUND", Errors.type(e));
      assertThrows(TransactionExecutionException.class, missing::get);
      assertThrows(TransactionRollbackException.class, created::getId);
      // What ran before the failing operation stays done, as in KMS.
      assertEquals(2, pipeline.getChildren().size());
    } finally {
      pipeline.release();
    }
  }

  @Test
  void rollbackSendsNothing() {
    MediaPipeline pipeline = kurento.createMediaPipeline();
    try {
      Transaction tx = pipeline.beginTransaction();
      PassThrough never = new PassThrough.Builder(pipeline).build(tx);
      tx.rollback();
      assertThrows(TransactionRollbackException.class, never::getId);
      assertEquals(List.of(), pipeline.getChildren());
    } finally {
      pipeline.release();
    }
  }
}
