#include "store/results_db.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

namespace ts::sim {
namespace {

// Schema 9's connections as schema 8's connection_rows columns (the connection_fields view).
constexpr const char* kCoreFields = R"sql(
  SELECT r.run_id, c.conn_key & 4294967295 AS conn_id, c.dialer, c.listener,
         s.dialer_version, s.listener_version, c.t_dial_ns, c.connect_after_dial_ns,
         c.accept_after_connect_ns, d.handshake_after_accept_ns, c.close_after_accept_ns,
         c.closed_dialer_after_close_ns,
         CASE WHEN d.conn_key IS NULL THEN 0 ELSE d.closed_listener_after_close_ns END
           AS closed_listener_after_close_ns,
         s.close_reason, s.closed_by, s.open_at_end, c.msgs_d2l, c.bytes_d2l,
         COALESCE(d.msgs_l2d, 0) AS msgs_l2d, COALESCE(d.bytes_l2d, 0) AS bytes_l2d,
         c.pings_sent,
         CASE WHEN d.conn_key IS NULL THEN 0 ELSE d.last_ping_after_connect_ns END
           AS last_ping_after_connect_ns,
         COALESCE(d.pongs_matched, 0) AS pongs_matched,
         COALESCE(d.pongs_unmatched, 0) AS pongs_unmatched,
         COALESCE(d.pings_missed, 0) AS pings_missed,
         COALESCE(d.pings_answered, 0) AS pings_answered,
         COALESCE(d.msgs_dropped, 0) AS msgs_dropped,
         CASE WHEN d.conn_key IS NULL THEN s.error_by IS NOT NULL ELSE d.protocol_errors END
           AS protocol_errors,
         d.rtt_min_ns, d.rtt_avg_ns, d.rtt_max_ns, d.fault_id, s.error_by,
         CASE WHEN d.conn_key IS NOT NULL THEN d.error_after_close_ns
              WHEN s.error_by IS NOT NULL THEN 0 END AS error_after_close_ns,
         s.error_kind, s.error_text, s.error_addr_at, c.error_port
  FROM runs r  -- CROSS JOIN: in this order, each run's rows one range of connection_core
  CROSS JOIN connection_core c
    ON c.conn_key BETWEEN r.run_id << 32 AND (r.run_id << 32) + 4294967295
  CROSS JOIN connection_shapes s ON s.run_id = r.run_id AND s.shape_id = c.shape
  LEFT JOIN connection_details d ON d.conn_key = c.conn_key
)sql";

constexpr const char* kSchemaHead = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  run_id        INTEGER PRIMARY KEY,
  scenario      TEXT NOT NULL,
  scenario_path TEXT NOT NULL,
  scenario_hash TEXT NOT NULL,
  seed          INTEGER NOT NULL,
  duration_ns   INTEGER NOT NULL,
  mode          TEXT NOT NULL,
  status        TEXT NOT NULL,
  args          TEXT NOT NULL,
  timesim_version TEXT NOT NULL,
  events        INTEGER,
  end_ns        INTEGER,
  wall_seconds  REAL,
  fingerprint   TEXT
);
CREATE TABLE IF NOT EXISTS nodes (
  run_id   INTEGER NOT NULL REFERENCES runs(run_id),
  node_id  INTEGER NOT NULL,
  name     TEXT NOT NULL,
  ip       TEXT NOT NULL,
  version  TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  region   TEXT,
  PRIMARY KEY (run_id, node_id)
);
-- Schema 5: every version profile a run used (nodes and upgrades), one row per field.
CREATE TABLE IF NOT EXISTS profiles (
  run_id    INTEGER NOT NULL REFERENCES runs(run_id),
  name      TEXT NOT NULL, -- as nodes.version
  base      TEXT NOT NULL, -- the profile it changes ('' for the oldest built-in)
  commit_id TEXT NOT NULL,
  key       TEXT NOT NULL, -- a field key (node_core/profile_fields.h) or 'description'
  value     TEXT NOT NULL, -- as a scenario writes it: 30s, true, 2000000, mainnet
  number    INTEGER        -- the value as an integer (ns, count, bytes, 0/1); NULL for text
);
-- Schema 7: the per-run dictionary of the coded tables' text (versions, close reasons,
-- sides, protocol error kinds, and protocol error texts or their templates).
CREATE TABLE IF NOT EXISTS labels (
  run_id   INTEGER NOT NULL REFERENCES runs(run_id),
  label_id INTEGER NOT NULL, -- 1, 2, ... within the run
  text     TEXT NOT NULL,
  PRIMARY KEY (run_id, label_id),
  UNIQUE (run_id, text)
);
-- Schema 9: a run's connections are rows of three tables, shown by connection_fields as
-- schema 8's connection_rows columns (a DB migrated from schema 7 or 8 keeps that table and
-- its rows). connection_shapes: the values few combinations of which occur in a run (labels
-- and flags), one row per combination, named by connection_core.shape.
CREATE TABLE IF NOT EXISTS connection_shapes (
  run_id           INTEGER NOT NULL REFERENCES runs(run_id),
  shape_id         INTEGER NOT NULL, -- 1, 2, ... within the run
  dialer_version   INTEGER NOT NULL, -- labels
  listener_version INTEGER NOT NULL, -- labels
  close_reason     INTEGER NOT NULL, -- labels
  closed_by        INTEGER NOT NULL, -- labels
  open_at_end      INTEGER NOT NULL,
  error_by         INTEGER,
  error_kind       INTEGER, -- labels
  error_text       INTEGER, -- labels
  error_addr_at    INTEGER,
  PRIMARY KEY (run_id, shape_id)
);
-- Schema 9: one row per connection, keyed conn_key = run_id << 32 | conn_id (its rowid: the
-- key needs no index, and a run's rows are one range of it). Times as in connection_rows.
CREATE TABLE IF NOT EXISTS connection_core (
  conn_key  INTEGER PRIMARY KEY,
  shape     INTEGER NOT NULL, -- connection_shapes.shape_id
  dialer    INTEGER NOT NULL,
  listener  INTEGER NOT NULL,
  t_dial_ns INTEGER NOT NULL,
  connect_after_dial_ns        INTEGER,
  accept_after_connect_ns      INTEGER,
  close_after_accept_ns        INTEGER,
  closed_dialer_after_close_ns INTEGER,
  msgs_d2l  INTEGER NOT NULL,
  bytes_d2l INTEGER NOT NULL,
  pings_sent INTEGER NOT NULL,
  error_port INTEGER
);
-- Schema 9: the rest of a connection's values, only where one differs from its default (a
-- connection without a row here has them all): NULL for handshake_after_accept_ns, the
-- rtt_* and fault_id; 0 for the counts, closed_listener_after_close_ns and
-- last_ping_after_connect_ns; protocol_errors 1 and error_after_close_ns 0 when the shape
-- codes an error, else 0 and NULL.
CREATE TABLE IF NOT EXISTS connection_details (
  conn_key INTEGER PRIMARY KEY,
  handshake_after_accept_ns      INTEGER,
  closed_listener_after_close_ns INTEGER,
  msgs_l2d          INTEGER NOT NULL,
  bytes_l2d         INTEGER NOT NULL,
  last_ping_after_connect_ns INTEGER,
  pongs_matched     INTEGER NOT NULL,
  pongs_unmatched   INTEGER NOT NULL,
  pings_missed      INTEGER NOT NULL,
  pings_answered    INTEGER NOT NULL,
  msgs_dropped      INTEGER NOT NULL,
  protocol_errors   INTEGER NOT NULL,
  rtt_min_ns        INTEGER,
  rtt_avg_ns        INTEGER,
  rtt_max_ns        INTEGER,
  fault_id          INTEGER,
  error_after_close_ns INTEGER
);
CREATE TABLE IF NOT EXISTS faults (
  run_id    INTEGER NOT NULL REFERENCES runs(run_id),
  fault_id  INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  targets   TEXT NOT NULL,
  start_ns  INTEGER NOT NULL,
  end_ns    INTEGER,
  params    TEXT NOT NULL,
  source    TEXT NOT NULL,
  spec      TEXT NOT NULL,
  PRIMARY KEY (run_id, fault_id)
);
-- Schema 7: the rows of the `protocol_errors` view, coded. The text is labels(text_id)
-- with the peer's address `nodes.ip:port` put back at byte `addr_at` (NULL: the label is
-- the whole text), or `text` itself when it has no label. The view cuts the template as a
-- BLOB: substr() on TEXT counts characters and stops at a NUL byte.
CREATE TABLE IF NOT EXISTS protocol_error_rows (
  run_id   INTEGER NOT NULL REFERENCES runs(run_id),
  t_ns     INTEGER NOT NULL,
  node     INTEGER NOT NULL,
  peer     INTEGER,
  conn_id  INTEGER,
  kind     INTEGER NOT NULL, -- labels
  text_id  INTEGER,          -- labels
  addr_at  INTEGER,
  port     INTEGER,
  text     TEXT
);
CREATE TABLE IF NOT EXISTS node_events (
  run_id  INTEGER NOT NULL REFERENCES runs(run_id),
  t_ns    INTEGER NOT NULL,
  node    INTEGER NOT NULL,
  peer    INTEGER,
  kind    TEXT NOT NULL,
  detail  TEXT NOT NULL
);
-- A listener banned a remote IP (blacklist.rs ladder; schema 5).
CREATE TABLE IF NOT EXISTS bans (
  run_id      INTEGER NOT NULL REFERENCES runs(run_id),
  t_ns        INTEGER NOT NULL,
  node        INTEGER NOT NULL, -- the banning listener
  peer        INTEGER,          -- the banned node, NULL if not a scenario node
  banned_ip   TEXT NOT NULL,
  conn_id     INTEGER,          -- the connection whose violation reached the step
  violations  INTEGER NOT NULL, -- the IP's count at the ban
  duration_ns INTEGER,          -- NULL: permanent
  reason      TEXT NOT NULL
);
-- Consensus model (scenario `consensus:`): one row per block a node applied.
CREATE TABLE IF NOT EXISTS blocks (
  run_id         INTEGER NOT NULL REFERENCES runs(run_id),
  node           INTEGER NOT NULL,
  height         INTEGER NOT NULL,
  block_hash     TEXT NOT NULL,
  producer       INTEGER,          -- node index of the producer (NULL: unknown address)
  slot_unix_s    INTEGER NOT NULL, -- the block's timestamp (the producer's slot clock)
  how            TEXT NOT NULL,    -- 'consensus' (quorum seen), 'commit' (peer's BlockCommit), 'sync'
  t_proposed_ns  INTEGER,          -- when the producer proposed it (NULL if not seen in this run)
  t_finalized_ns INTEGER NOT NULL, -- when this node applied it
  votes          INTEGER NOT NULL, -- approvals counted (0 for sync)
  active         INTEGER NOT NULL, -- active masternodes in this node's round (0 for sync)
  transactions   INTEGER NOT NULL  -- transactions in the block
);
-- Consensus model: one row per transaction a node saw reach ceil(2n/3) approvals.
CREATE TABLE IF NOT EXISTS transactions (
  run_id         INTEGER NOT NULL REFERENCES runs(run_id),
  node           INTEGER NOT NULL,
  txid           TEXT NOT NULL,
  t_submitted_ns INTEGER,          -- when a client submitted it (NULL if not in this run)
  t_final_ns     INTEGER NOT NULL, -- when this node counted the quorum
  votes          INTEGER NOT NULL,
  committee      INTEGER NOT NULL  -- the quorum's n at this node
);
-- Consensus model: one row per block proposal (the leader's view).
CREATE TABLE IF NOT EXISTS proposals (
  run_id        INTEGER NOT NULL REFERENCES runs(run_id),
  t_ns          INTEGER NOT NULL,
  node          INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  block_hash    TEXT NOT NULL,
  active        INTEGER NOT NULL
);
-- Consensus model: each node's chain state every consensus.sample_interval.
CREATE TABLE IF NOT EXISTS samples (
  run_id             INTEGER NOT NULL REFERENCES runs(run_id),
  t_ns               INTEGER NOT NULL,
  node               INTEGER NOT NULL,
  height             INTEGER NOT NULL,
  peers              INTEGER NOT NULL, -- established connections (outbound, or inbound past the handshake)
  active_masternodes INTEGER NOT NULL, -- as this node sees them, itself included
  mempool            INTEGER NOT NULL  -- transactions known here and not yet in a block
);
-- --record messages: one row per message a node wrote.
CREATE TABLE IF NOT EXISTS messages (
  run_id  INTEGER NOT NULL REFERENCES runs(run_id),
  t_ns    INTEGER NOT NULL,
  conn_id INTEGER NOT NULL,
  node    INTEGER NOT NULL, -- the sender
  kind    TEXT NOT NULL,    -- the variant, e.g. Ping
  bytes   INTEGER NOT NULL  -- on the wire, with the newline
);
-- Schema 9: connection_rows' columns for every connection; writable (an INSERT codes its
-- row into connection_core, connection_shapes, connection_details). In a DB migrated from
-- schema 7 or 8, the rows of connection_rows too (kLegacyConnectionFields).
CREATE VIEW IF NOT EXISTS connection_fields AS
)sql";
constexpr const char* kSchemaTail = R"sql(;
CREATE TRIGGER IF NOT EXISTS connection_fields_insert INSTEAD OF INSERT ON connection_fields
BEGIN
  SELECT RAISE(ABORT, 'connection_fields: conn_id must be in 0 .. 4294967295 and run_id in 1 .. 2147483647')
    WHERE NOT (NEW.conn_id BETWEEN 0 AND 4294967295 AND NEW.run_id BETWEEN 1 AND 2147483647);
  INSERT INTO connection_shapes SELECT NEW.run_id,
      (SELECT COALESCE(max(shape_id), 0) + 1 FROM connection_shapes WHERE run_id = NEW.run_id),
      NEW.dialer_version, NEW.listener_version, NEW.close_reason, NEW.closed_by,
      NEW.open_at_end, NEW.error_by, NEW.error_kind, NEW.error_text, NEW.error_addr_at
    WHERE NOT EXISTS (SELECT 1 FROM connection_shapes WHERE run_id = NEW.run_id
      AND dialer_version IS NEW.dialer_version AND listener_version IS NEW.listener_version
      AND close_reason IS NEW.close_reason AND closed_by IS NEW.closed_by
      AND open_at_end IS NEW.open_at_end AND error_by IS NEW.error_by
      AND error_kind IS NEW.error_kind AND error_text IS NEW.error_text
      AND error_addr_at IS NEW.error_addr_at);
  INSERT INTO connection_core VALUES ((NEW.run_id << 32) | NEW.conn_id,
      (SELECT shape_id FROM connection_shapes WHERE run_id = NEW.run_id
         AND dialer_version IS NEW.dialer_version AND listener_version IS NEW.listener_version
         AND close_reason IS NEW.close_reason AND closed_by IS NEW.closed_by
         AND open_at_end IS NEW.open_at_end AND error_by IS NEW.error_by
         AND error_kind IS NEW.error_kind AND error_text IS NEW.error_text
         AND error_addr_at IS NEW.error_addr_at),
      NEW.dialer, NEW.listener, NEW.t_dial_ns, NEW.connect_after_dial_ns,
      NEW.accept_after_connect_ns, NEW.close_after_accept_ns, NEW.closed_dialer_after_close_ns,
      NEW.msgs_d2l, NEW.bytes_d2l, NEW.pings_sent, NEW.error_port);
  INSERT INTO connection_details SELECT (NEW.run_id << 32) | NEW.conn_id,
      NEW.handshake_after_accept_ns, NEW.closed_listener_after_close_ns, NEW.msgs_l2d,
      NEW.bytes_l2d, NEW.last_ping_after_connect_ns, NEW.pongs_matched, NEW.pongs_unmatched,
      NEW.pings_missed, NEW.pings_answered, NEW.msgs_dropped, NEW.protocol_errors,
      NEW.rtt_min_ns, NEW.rtt_avg_ns, NEW.rtt_max_ns, NEW.fault_id, NEW.error_after_close_ns
    WHERE NOT (NEW.handshake_after_accept_ns IS NULL AND NEW.closed_listener_after_close_ns IS 0
      AND NEW.msgs_l2d IS 0 AND NEW.bytes_l2d IS 0 AND NEW.last_ping_after_connect_ns IS 0
      AND NEW.pongs_matched IS 0 AND NEW.pongs_unmatched IS 0 AND NEW.pings_missed IS 0
      AND NEW.pings_answered IS 0 AND NEW.msgs_dropped IS 0
      AND NEW.protocol_errors IS (NEW.error_by IS NOT NULL) AND NEW.rtt_min_ns IS NULL
      AND NEW.rtt_avg_ns IS NULL AND NEW.rtt_max_ns IS NULL AND NEW.fault_id IS NULL
      AND NEW.error_after_close_ns IS (CASE WHEN NEW.error_by IS NOT NULL THEN 0 END));
END;
-- Schema 7: the connections and protocol errors as every schema before showed them (the
-- coded rows decoded), writable: an INSERT codes its row (migrations, merge, imports).
-- connection_times: the connections with their times decoded and their labels still
-- label_ids (for readers that decode labels themselves: the summary); `connections` adds
-- the labels' text. The times are CAST to INTEGER so that they compare as the INTEGER
-- columns of schema 6 did.
CREATE VIEW IF NOT EXISTS connection_times AS
  SELECT c.run_id, c.conn_id, c.dialer, c.listener,
         c.dialer_version AS dialer_version_label, c.listener_version AS listener_version_label,
         c.t_dial_ns,
         CAST(c.t_dial_ns + c.connect_after_dial_ns AS INTEGER) AS t_connect_ns,
         CAST(c.t_dial_ns + (COALESCE(c.connect_after_dial_ns, 0) + c.accept_after_connect_ns) AS INTEGER) AS t_accept_ns,
         CAST(c.t_dial_ns + COALESCE((COALESCE(c.connect_after_dial_ns, 0) + c.accept_after_connect_ns), 0) + c.handshake_after_accept_ns
           AS INTEGER) AS t_handshake_ns,
         CAST(c.t_dial_ns + (COALESCE((COALESCE(c.connect_after_dial_ns, 0) + c.accept_after_connect_ns), c.connect_after_dial_ns, 0) + c.close_after_accept_ns)
           AS INTEGER) AS t_close_ns,
         CAST(c.t_dial_ns + COALESCE((COALESCE((COALESCE(c.connect_after_dial_ns, 0) + c.accept_after_connect_ns), c.connect_after_dial_ns, 0) + c.close_after_accept_ns), 0)
           + c.closed_dialer_after_close_ns AS INTEGER) AS t_closed_dialer_ns,
         CAST(c.t_dial_ns + COALESCE((COALESCE((COALESCE(c.connect_after_dial_ns, 0) + c.accept_after_connect_ns), c.connect_after_dial_ns, 0) + c.close_after_accept_ns), 0)
           + c.closed_listener_after_close_ns AS INTEGER) AS t_closed_listener_ns,
         c.close_reason AS close_reason_label, c.closed_by AS closed_by_label, c.open_at_end,
         c.msgs_d2l, c.bytes_d2l, c.msgs_l2d, c.bytes_l2d, c.pings_sent,
         CAST(c.t_dial_ns + COALESCE(c.connect_after_dial_ns, 0) + c.last_ping_after_connect_ns AS INTEGER) AS t_last_ping_ns,
         c.pongs_matched, c.pongs_unmatched, c.pings_missed, c.pings_answered, c.msgs_dropped,
         c.protocol_errors, c.rtt_min_ns, c.rtt_avg_ns, c.rtt_max_ns, c.fault_id,
         c.error_by, c.error_after_close_ns, c.error_kind AS error_kind_label,
         c.error_text AS error_text_label, c.error_addr_at, c.error_port
  FROM connection_fields c;
CREATE VIEW IF NOT EXISTS connections AS
  SELECT c.run_id, c.conn_id, c.dialer, c.listener,
         dv.text AS dialer_version, lv.text AS listener_version, c.t_dial_ns,
         c.t_connect_ns, c.t_accept_ns, c.t_handshake_ns, c.t_close_ns, c.t_closed_dialer_ns,
         c.t_closed_listener_ns, cr.text AS close_reason, cb.text AS closed_by, c.open_at_end,
         c.msgs_d2l, c.bytes_d2l, c.msgs_l2d, c.bytes_l2d, c.pings_sent, c.t_last_ping_ns,
         c.pongs_matched, c.pongs_unmatched, c.pings_missed, c.pings_answered, c.msgs_dropped,
         c.protocol_errors, c.rtt_min_ns, c.rtt_avg_ns, c.rtt_max_ns, c.fault_id
  FROM connection_times c
  -- CROSS JOIN: a label is looked up per row (schema 9: SQLite would otherwise loop over a
  -- run's labels outside its rows, a full read of them per combination of labels)
  CROSS JOIN labels dv ON dv.run_id = c.run_id AND dv.label_id = c.dialer_version_label
  CROSS JOIN labels lv ON lv.run_id = c.run_id AND lv.label_id = c.listener_version_label
  CROSS JOIN labels cr ON cr.run_id = c.run_id AND cr.label_id = c.close_reason_label
  CROSS JOIN labels cb ON cb.run_id = c.run_id AND cb.label_id = c.closed_by_label;
-- Schema 8: a connection's first protocol error may be coded in its connection_rows row.
CREATE VIEW IF NOT EXISTS protocol_errors AS
  SELECT e.run_id, e.t_ns, e.node, e.peer, e.conn_id, k.text AS kind,
         CAST(CASE WHEN e.text IS NOT NULL THEN e.text
                   WHEN e.addr_at IS NULL THEN t.text
                   ELSE substr(CAST(t.text AS BLOB), 1, e.addr_at) || n.ip || ':' || e.port ||
                        substr(CAST(t.text AS BLOB), e.addr_at + 1) END AS TEXT) AS text
  FROM (SELECT run_id, t_ns, node, peer, conn_id, kind, text_id, addr_at, port, text
          FROM protocol_error_rows
        UNION ALL
        SELECT run_id, CAST(COALESCE(t_close_ns, t_dial_ns) + error_after_close_ns AS INTEGER),
               CAST(CASE error_by WHEN 0 THEN dialer ELSE listener END AS INTEGER),
               CAST(CASE error_by WHEN 0 THEN listener ELSE dialer END AS INTEGER), conn_id, error_kind_label,
               error_text_label, error_addr_at, error_port, NULL
          FROM connection_times WHERE error_by IS NOT NULL) e
  CROSS JOIN labels k ON k.run_id = e.run_id AND k.label_id = e.kind
  LEFT JOIN labels t ON t.run_id = e.run_id AND t.label_id = e.text_id
  LEFT JOIN nodes n ON n.run_id = e.run_id AND n.node_id = e.peer;
CREATE TRIGGER IF NOT EXISTS connections_insert INSTEAD OF INSERT ON connections BEGIN
  INSERT INTO labels SELECT NEW.run_id,
      (SELECT COALESCE(max(label_id), 0) + 1 FROM labels WHERE run_id = NEW.run_id), NEW.dialer_version
    WHERE NOT EXISTS (SELECT 1 FROM labels WHERE run_id = NEW.run_id AND text = NEW.dialer_version);
  INSERT INTO labels SELECT NEW.run_id,
      (SELECT COALESCE(max(label_id), 0) + 1 FROM labels WHERE run_id = NEW.run_id), NEW.listener_version
    WHERE NOT EXISTS (SELECT 1 FROM labels WHERE run_id = NEW.run_id AND text = NEW.listener_version);
  INSERT INTO labels SELECT NEW.run_id,
      (SELECT COALESCE(max(label_id), 0) + 1 FROM labels WHERE run_id = NEW.run_id), NEW.close_reason
    WHERE NOT EXISTS (SELECT 1 FROM labels WHERE run_id = NEW.run_id AND text = NEW.close_reason);
  INSERT INTO labels SELECT NEW.run_id,
      (SELECT COALESCE(max(label_id), 0) + 1 FROM labels WHERE run_id = NEW.run_id), NEW.closed_by
    WHERE NOT EXISTS (SELECT 1 FROM labels WHERE run_id = NEW.run_id AND text = NEW.closed_by);
  INSERT INTO connection_fields VALUES (NEW.run_id, NEW.conn_id, NEW.dialer, NEW.listener,
      (SELECT label_id FROM labels WHERE run_id = NEW.run_id AND text = NEW.dialer_version),
      (SELECT label_id FROM labels WHERE run_id = NEW.run_id AND text = NEW.listener_version),
      NEW.t_dial_ns, NEW.t_connect_ns - NEW.t_dial_ns,
      NEW.t_accept_ns - COALESCE(NEW.t_connect_ns, NEW.t_dial_ns),
      NEW.t_handshake_ns - COALESCE(NEW.t_accept_ns, NEW.t_dial_ns),
      NEW.t_close_ns - COALESCE(NEW.t_accept_ns, NEW.t_connect_ns, NEW.t_dial_ns),
      NEW.t_closed_dialer_ns - COALESCE(NEW.t_close_ns, NEW.t_dial_ns),
      NEW.t_closed_listener_ns - COALESCE(NEW.t_close_ns, NEW.t_dial_ns),
      (SELECT label_id FROM labels WHERE run_id = NEW.run_id AND text = NEW.close_reason),
      (SELECT label_id FROM labels WHERE run_id = NEW.run_id AND text = NEW.closed_by),
      NEW.open_at_end, NEW.msgs_d2l, NEW.bytes_d2l, NEW.msgs_l2d, NEW.bytes_l2d, NEW.pings_sent,
      NEW.t_last_ping_ns - COALESCE(NEW.t_connect_ns, NEW.t_dial_ns), NEW.pongs_matched, NEW.pongs_unmatched,
      NEW.pings_missed, NEW.pings_answered, NEW.msgs_dropped, NEW.protocol_errors,
      NEW.rtt_min_ns, NEW.rtt_avg_ns, NEW.rtt_max_ns, NEW.fault_id, NULL, NULL, NULL, NULL, NULL,
      NULL);
END;
CREATE TRIGGER IF NOT EXISTS protocol_errors_insert INSTEAD OF INSERT ON protocol_errors BEGIN
  INSERT INTO labels SELECT NEW.run_id,
      (SELECT COALESCE(max(label_id), 0) + 1 FROM labels WHERE run_id = NEW.run_id), NEW.kind
    WHERE NOT EXISTS (SELECT 1 FROM labels WHERE run_id = NEW.run_id AND text = NEW.kind);
  INSERT INTO protocol_error_rows VALUES (NEW.run_id, NEW.t_ns, NEW.node, NEW.peer, NEW.conn_id,
      (SELECT label_id FROM labels WHERE run_id = NEW.run_id AND text = NEW.kind),
      NULL, NULL, NULL, NEW.text);
END;
-- Convenience view: one row per established connection with its lifetime as the dialer saw it.
CREATE VIEW IF NOT EXISTS connection_lifetimes AS
  SELECT c.run_id, c.conn_id, c.dialer, c.listener, c.dialer_version, c.listener_version,
         c.t_connect_ns,
         COALESCE(c.t_closed_dialer_ns, r.end_ns) - c.t_connect_ns AS lifetime_ns,
         c.close_reason, c.closed_by, c.open_at_end
  FROM connections c JOIN runs r USING (run_id)
  WHERE c.t_connect_ns IS NOT NULL;
)sql";

// Schema 7 and 8's table of connections (schema 9 writes connection_core): a DB migrated
// from them keeps it, its rows, and any index or trigger of a user's on it; a v7 table gains
// the error_* columns (conform_table).
constexpr const char* kLegacyConnectionRows = R"sql(
-- Schema 7: the rows of the `connections` view, coded: labels as labels.label_id, every
-- time but t_dial_ns as ns after an earlier one (NULL: did not happen). The earlier one is
-- named, or t_dial_ns when that did not happen; t_close_ns's is t_accept_ns, else
-- t_connect_ns, else t_dial_ns.
CREATE TABLE connection_rows (
  run_id            INTEGER NOT NULL REFERENCES runs(run_id),
  conn_id           INTEGER NOT NULL,
  dialer            INTEGER NOT NULL,
  listener          INTEGER NOT NULL,
  dialer_version    INTEGER NOT NULL, -- labels
  listener_version  INTEGER NOT NULL, -- labels
  t_dial_ns         INTEGER NOT NULL,
  connect_after_dial_ns     INTEGER,
  accept_after_connect_ns   INTEGER,
  handshake_after_accept_ns INTEGER,
  close_after_accept_ns     INTEGER,
  closed_dialer_after_close_ns   INTEGER,
  closed_listener_after_close_ns INTEGER,
  close_reason      INTEGER NOT NULL, -- labels
  closed_by         INTEGER NOT NULL, -- labels
  open_at_end       INTEGER NOT NULL,
  msgs_d2l          INTEGER NOT NULL,
  bytes_d2l         INTEGER NOT NULL,
  msgs_l2d          INTEGER NOT NULL,
  bytes_l2d         INTEGER NOT NULL,
  pings_sent        INTEGER NOT NULL,
  last_ping_after_connect_ns INTEGER,
  pongs_matched     INTEGER NOT NULL,
  pongs_unmatched   INTEGER NOT NULL,
  pings_missed      INTEGER NOT NULL,
  pings_answered    INTEGER NOT NULL,
  msgs_dropped      INTEGER NOT NULL,
  protocol_errors   INTEGER NOT NULL,
  rtt_min_ns        INTEGER,
  rtt_avg_ns        INTEGER,
  rtt_max_ns        INTEGER,
  fault_id          INTEGER,
  -- Schema 8: the connection's first protocol error, when the recorder could code it here
  -- (NULL: none, or it is a protocol_error_rows row). Logged by the dialer (0) or the
  -- listener (1) about the other end, at ns after t_close_ns, else t_dial_ns; its kind, text
  -- (a label, the address put back at error_addr_at as in protocol_error_rows) and port.
  error_by          INTEGER,
  error_after_close_ns INTEGER,
  error_kind        INTEGER, -- labels
  error_text        INTEGER, -- labels
  error_addr_at     INTEGER,
  error_port        INTEGER
);
)sql";

// In a DB with connection_rows (migrated from schema 7 or 8): connection_fields shows its rows
// too, and its (run_id, conn_id) key is an index, as schema 6 to 8 built at a run's end. (A
// DB without it has the view of kSchema: a UNION ALL is not flattened into the views over it,
// and read the churn hour's 2.7 million rows 2.3 times slower, `connections` 3.4 times.)
constexpr const char* kLegacyConnectionFields = R"sql(
DROP VIEW connection_fields;
CREATE VIEW connection_fields AS
  SELECT run_id, conn_id, dialer, listener, dialer_version, listener_version, t_dial_ns,
         connect_after_dial_ns, accept_after_connect_ns, handshake_after_accept_ns,
         close_after_accept_ns, closed_dialer_after_close_ns, closed_listener_after_close_ns,
         close_reason, closed_by, open_at_end, msgs_d2l, bytes_d2l, msgs_l2d, bytes_l2d,
         pings_sent, last_ping_after_connect_ns, pongs_matched, pongs_unmatched, pings_missed,
         pings_answered, msgs_dropped, protocol_errors, rtt_min_ns, rtt_avg_ns, rtt_max_ns,
         fault_id, error_by, error_after_close_ns, error_kind, error_text, error_addr_at,
         error_port
  FROM connection_rows
  UNION ALL
)sql";
constexpr const char* kLegacyConnectionFieldsTail = R"sql(;
CREATE UNIQUE INDEX IF NOT EXISTS connections_id ON connection_rows(run_id, conn_id);
)sql";

// The current schema as `CREATE ... IF NOT EXISTS` statements.
const std::string& schema_sql() {
  static const std::string sql = std::string(kSchemaHead) + kCoreFields + kSchemaTail;
  return sql;
}

const std::string& legacy_connection_fields_sql() {
  static const std::string sql =
      std::string(kLegacyConnectionFields) + kCoreFields + kLegacyConnectionFieldsTail;
  return sql;
}

// Schema 6's `connections` and `protocol_errors` tables (views since schema 7). A legacy DB's
// tables are first brought to this shape, then their rows go through the views' INSERT
// triggers into the coded tables.
constexpr std::pair<const char*, const char*> kTablesNowViews[] = {
    {"connections", R"sql(CREATE TABLE connections (
  run_id            INTEGER NOT NULL REFERENCES runs(run_id),
  conn_id           INTEGER NOT NULL,
  dialer            INTEGER NOT NULL,
  listener          INTEGER NOT NULL,
  dialer_version    TEXT NOT NULL,
  listener_version  TEXT NOT NULL,
  t_dial_ns         INTEGER NOT NULL,
  t_connect_ns      INTEGER,
  t_accept_ns       INTEGER,
  t_handshake_ns    INTEGER,
  t_close_ns        INTEGER,
  t_closed_dialer_ns   INTEGER,
  t_closed_listener_ns INTEGER,
  close_reason      TEXT NOT NULL,
  closed_by         TEXT NOT NULL,
  open_at_end       INTEGER NOT NULL,
  msgs_d2l          INTEGER NOT NULL,
  bytes_d2l         INTEGER NOT NULL,
  msgs_l2d          INTEGER NOT NULL,
  bytes_l2d         INTEGER NOT NULL,
  pings_sent        INTEGER NOT NULL,
  t_last_ping_ns    INTEGER,
  pongs_matched     INTEGER NOT NULL,
  pongs_unmatched   INTEGER NOT NULL,
  pings_missed      INTEGER NOT NULL,
  pings_answered    INTEGER NOT NULL,
  msgs_dropped      INTEGER NOT NULL,
  protocol_errors   INTEGER NOT NULL,
  rtt_min_ns        INTEGER,
  rtt_avg_ns        INTEGER,
  rtt_max_ns        INTEGER,
  fault_id          INTEGER
))sql"},
    {"protocol_errors", R"sql(CREATE TABLE protocol_errors (
  run_id   INTEGER NOT NULL REFERENCES runs(run_id),
  t_ns     INTEGER NOT NULL,
  node     INTEGER NOT NULL,
  peer     INTEGER,
  conn_id  INTEGER,
  kind     TEXT NOT NULL,
  text     TEXT NOT NULL
))sql"},
};

// Built at the end of a run: maintaining them row by row costs more than one bulk build.
// Schema 8: no index by link (connections_link, schema 6 and 7): the summary reads the rows
// in the table's order and sorts each link's connections itself; on the churn hour the
// index was 70.5 MB of a 334.5 MB DB. A migrated DB loses it (migrate).
// Schema 7: protocol errors have none (a v6 DB's protocol_errors_conn goes with its table):
// nothing timesim reads looks them up by connection, SQLite builds a transient index for a
// join that needs one, and on the churn hour it cost 35 MB of a 435 MB DB.
// Schema 6 to 8: the connections' (run_id, conn_id) key was one of them. Schema 9 keys
// connection_core by its rowid; a migrated DB's connection_rows gets the index at the
// migration (kLegacyConnectionFields) if a killed run left it without.
constexpr const char* kIndexes = R"sql(
CREATE INDEX IF NOT EXISTS blocks_height ON blocks(run_id, height, node);
)sql";

// Columns every timesim `runs` table has had since schema 1.
constexpr const char* kRunsColumnsV1[] = {
    "run_id",      "scenario", "scenario_path", "scenario_hash", "seed",
    "duration_ns", "mode",     "status",        "args",          "timesim_version"};

std::string in_quotes(const std::string& path) {
  return "'" + path + "'";
}

// The error for SQLite result code `rc` on the DB at `path`.
Error failure(sqlite3* db, int rc, const std::string& path) {
  const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{"results DB " + in_quotes(path) + " is locked by another process (busy: " + msg +
                   "); try again when it is done"};
    case SQLITE_NOTADB:
      return Error{in_quotes(path) + " is not a timesim results DB (not an SQLite file)"};
    default:
      return Error{"results DB " + in_quotes(path) + ": " + msg};
  }
}

// The error for the call on `db` (at `path`) that just failed.
Error failure(sqlite3* db, const std::string& path) {
  return failure(db, sqlite3_errcode(db), path);
}

Result<bool> exec(sqlite3* db, const std::string& sql, const std::string& path) {
  if (!sql::exec(db, sql.c_str())) return failure(db, path);
  return true;
}

// The integer the one-row query `sql` returns.
Result<std::int64_t> query_int(sqlite3* db, const char* sql, const std::string& path) {
  auto s = sql::Statement::prepare(db, sql);
  if (!s) return failure(db, path);
  auto row = s->step();
  if (!row || !*row) return failure(db, path);
  return s->int64(0);
}

struct Column {
  std::string name;
  bool not_null = false;
  std::string type;  // as declared
  bool has_default = false;
};

// The columns of table `table` in `db`, in order (none: no such table).
Result<std::vector<Column>> columns_of(sqlite3* db, const std::string& table,
                                       const std::string& path) {
  auto s = sql::Statement::prepare(
      db,
      "SELECT name, \"notnull\", type, dflt_value IS NOT NULL FROM pragma_table_info(?1) "
      "ORDER BY cid");
  if (!s) return failure(db, path);
  s->bind(1, table);
  std::vector<Column> cols;
  while (s->next())
    cols.push_back({s->text(0), s->int64(1) != 0, s->text(2), s->int64(3) != 0});
  if (!s->status()) return failure(db, path);
  return cols;
}

// A `runs` table with timesim's schema-1 columns.
Result<bool> has_timesim_runs(sqlite3* db, const std::string& path) {
  auto cols = columns_of(db, "runs", path);
  if (!cols) return cols.error();
  for (const char* want : kRunsColumnsV1) {
    bool found = false;
    for (const auto& c : *cols)
      found = found || c.name == want;
    if (!found) return false;
  }
  return true;
}

// The current schema's tables (name, CREATE statement), from a scratch in-memory DB.
Result<std::vector<std::pair<std::string, std::string>>> current_tables() {
  auto ref = sql::Db::open(":memory:");
  if (!ref) return Error{"results DB ':memory:': " + ref.error().message};
  if (auto ok = exec(ref->get(), schema_sql(), ":memory:"); !ok) return ok.error();
  auto s = ref->prepare("SELECT name, sql FROM sqlite_master WHERE type='table' ORDER BY name");
  if (!s) return failure(ref->get(), ":memory:");
  std::vector<std::pair<std::string, std::string>> out;
  while (s->next())
    out.emplace_back(s->text(0), s->text(1));
  if (!s->status()) return failure(ref->get(), ":memory:");
  return out;
}

std::string quote_id(const std::string& id) {
  return "\"" + id + "\"";
}

// Rebuilds table `name` of `db` in its current shape (`create`: its CREATE TABLE statement)
// when its columns differ: old rows are copied, columns they lack get legacy_fill().
Result<bool> conform_table(sqlite3* db, const std::string& path, const std::string& name,
                           const std::string& create) {
  auto have = columns_of(db, name, path);
  if (!have) return have.error();
  if (have->empty()) return true;  // missing: created by the schema
  auto ref = sql::Db::open(":memory:");
  if (!ref) return Error{"results DB ':memory:': " + ref.error().message};
  if (auto ok = exec(ref->get(), create, ":memory:"); !ok) return ok.error();
  auto want = columns_of(ref->get(), name, ":memory:");
  if (!want) return want.error();
  bool same = have->size() == want->size();
  for (std::size_t i = 0; same && i < have->size(); ++i)
    same = (*have)[i].name == (*want)[i].name;
  if (same) return true;
  // Only nullable columns added at the end (schema 8's connection_rows): ALTER TABLE keeps
  // the rows where they are, and the table's indexes and triggers, a user's among them.
  bool appended = have->size() < want->size();
  for (std::size_t i = 0; appended && i < have->size(); ++i)
    appended = (*have)[i].name == (*want)[i].name;
  for (std::size_t i = have->size(); appended && i < want->size(); ++i)
    appended = !(*want)[i].not_null && !(*want)[i].has_default &&
               legacy_fill(name, (*want)[i].name) == "NULL";
  if (appended) {
    for (std::size_t i = have->size(); i < want->size(); ++i)
      if (auto ok = exec(db,
                         "ALTER TABLE " + quote_id(name) + " ADD COLUMN " +
                             quote_id((*want)[i].name) + " " + (*want)[i].type,
                         path);
          !ok)
        return ok;
    return true;
  }
  auto has = [](const std::vector<Column>& cols, const std::string& n) {
    for (const auto& c : cols)
      if (c.name == n) return true;
    return false;
  };
  for (const auto& c : *have)
    if (!has(*want, c.name))
      return Error{"cannot migrate results DB " + in_quotes(path) + ": table '" + name +
                   "' has a column '" + c.name + "' no timesim schema had"};
  std::string cols, values;
  for (const auto& c : *want) {
    const std::string fill(legacy_fill(name, c.name));
    if (!has(*have, c.name) && c.not_null && fill == "NULL")
      return Error{"cannot migrate results DB " + in_quotes(path) + ": table '" + name +
                   "' lacks the column '" + c.name + "'"};
    cols += (cols.empty() ? "" : ", ") + quote_id(c.name);
    values += (values.empty() ? "" : ", ") + (has(*have, c.name) ? quote_id(c.name) : fill);
  }
  const std::string tmp = "_timesim_migrate_" + name;
  std::string tmp_create = create;
  tmp_create.replace(tmp_create.find(name), name.size(), quote_id(tmp));
  for (const std::string& sql : {tmp_create,
                                 "INSERT INTO " + quote_id(tmp) + " (" + cols + ") SELECT " +
                                     values + " FROM " + quote_id(name),
                                 "DROP TABLE " + quote_id(name),
                                 "ALTER TABLE " + quote_id(tmp) + " RENAME TO " + quote_id(name)})
    if (auto ok = exec(db, sql, path); !ok) return ok;
  return true;
}

// Whether `db` has a `type` ("table" or "view") called `name`.
Result<bool> has_object(sqlite3* db, const char* type, const std::string& name,
                        const std::string& path) {
  auto s =
      sql::Statement::prepare(db, "SELECT count(*) FROM sqlite_master WHERE type=?1 AND name=?2");
  if (!s) return failure(db, path);
  s->bind(1, type);
  s->bind(2, name);
  auto row = s->step();
  if (!row || !*row) return failure(db, path);
  return s->int64(0) != 0;
}

Result<bool> has_table(sqlite3* db, const std::string& name, const std::string& path) {
  return has_object(db, "table", name, path);
}

std::string parked_name(const std::string& table) {
  return "_timesim_v6_" + table;
}

// Before the current schema is created: every table brought to its current shape, and the
// tables that are views now (kTablesNowViews) brought to schema 6's shape and renamed aside.
Result<bool> migrate(sqlite3* db, const std::string& path) {
  auto tables = current_tables();
  if (!tables) return tables.error();
  // timesim's views (and the INSTEAD OF triggers on them) are recreated by the schema below,
  // in the current shape: schema 8 changed protocol_errors and connection_times. A name that
  // is a table (connections and protocol_errors before schema 7) is left to kTablesNowViews.
  for (const char* view : {"connection_lifetimes", "connections", "protocol_errors",
                           "connection_times", "connection_fields"}) {
    auto has = has_object(db, "view", view, path);
    if (!has) return has.error();
    if (!*has) continue;
    if (auto ok = exec(db, "DROP VIEW " + quote_id(view), path); !ok) return ok;
  }
  // timesim's own index that schema 8 no longer builds (appended rows would maintain it).
  if (auto ok = exec(db, "DROP INDEX IF EXISTS connections_link", path); !ok) return ok;
  for (const auto& [name, create] : kTablesNowViews) {
    auto has = has_table(db, name, path);
    if (!has) return has.error();
    if (!*has) continue;
    if (auto ok = conform_table(db, path, name, create); !ok) return ok;
    if (auto ok =
            exec(db, "ALTER TABLE " + quote_id(name) + " RENAME TO " + quote_id(parked_name(name)),
                 path);
        !ok)
      return ok;
  }
  for (const auto& [name, create] : *tables)
    if (auto ok = conform_table(db, path, name, create); !ok) return ok;
  return conform_table(db, path, "connection_rows", kLegacyConnectionRows);
}

// After the current schema is created: the parked rows go through the views' INSERT
// triggers into the coded tables, in their order, and the parked tables go.
Result<bool> finish_migration(sqlite3* db, const std::string& path) {
  for (const auto& [name, create] : kTablesNowViews) {
    const std::string parked = parked_name(name);
    auto has = has_table(db, parked, path);
    if (!has) return has.error();
    if (!*has) continue;
    for (const std::string& sql : {"INSERT INTO " + quote_id(name) + " SELECT * FROM " +
                                       quote_id(parked) + " ORDER BY rowid",
                                   "DROP TABLE " + quote_id(parked)})
      if (auto ok = exec(db, sql, path); !ok) return ok;
  }
  return true;
}

// `path` names a regular file (symlinks followed): SQLite would block forever opening a
// FIFO and read a device or a directory as a DB.
Result<bool> check_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Error{"no such results DB: " + path};
    return Error{"cannot open results DB " + in_quotes(path) + ": " + std::strerror(errno)};
  }
  if (S_ISREG(st.st_mode)) return true;
  const char* what = S_ISDIR(st.st_mode)                          ? "a directory"
                     : S_ISFIFO(st.st_mode)                       ? "a FIFO"
                     : S_ISSOCK(st.st_mode)                       ? "a socket"
                     : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                  : "not a regular file";
  return Error{in_quotes(path) + " is " + what + ", not a regular file; it is not a results DB"};
}

// `path`, a regular file, opened read-only with a busy timeout.
Result<sql::Db> open_read_only(const std::string& path) {
  if (auto ok = check_regular_file(path); !ok) return ok.error();
  auto db = sql::Db::open(path, SQLITE_OPEN_READONLY);
  if (!db) return Error{"cannot open results DB " + in_quotes(path) + ": " + db.error().message};
  sqlite3_busy_timeout(db->get(), 5000);
  return db;
}

}  // namespace

const char* results_db_schema() {
  return schema_sql().c_str();
}
const char* results_db_indexes() {
  return kIndexes;
}

bool is_retired_index(std::string_view name) {
  return name == "connections_link";
}

std::string_view legacy_fill(std::string_view table, std::string_view column) {
  static constexpr std::pair<std::string_view, std::string_view> kFills[] = {
      {"samples.mempool", "0"},      // e372468: pending transactions, 0 before they existed
      {"blocks.transactions", "0"},  // e372468
      {"faults.spec", "''"},         // 5af7455: no replayable spec recorded
  };
  for (const auto& [key, value] : kFills)
    if (key.size() == table.size() + 1 + column.size() && key.substr(0, table.size()) == table &&
        key[table.size()] == '.' && key.substr(table.size() + 1) == column)
      return value;
  return "NULL";
}

Result<DbState> inspect_results_db(sqlite3* db, const std::string& path) {
  auto id = query_int(db, "PRAGMA application_id", path);
  if (!id) return id.error();
  auto version = query_int(db, "PRAGMA user_version", path);
  if (!version) return version.error();
  auto objects = query_int(db, "SELECT count(*) FROM sqlite_master", path);
  if (!objects) return objects.error();
  const auto app_id = static_cast<std::uint32_t>(*id);
  const bool ours = app_id == kResultsDbApplicationId;
  if ((ours || app_id == 0) && *version > kSchemaVersion)
    return Error{"results DB " + in_quotes(path) + " has schema version " +
                 std::to_string(*version) + ", newer than this timesim's " +
                 std::to_string(kSchemaVersion) + "; use a newer timesim or another path"};
  if (ours && *version == kSchemaVersion) return DbState::kCurrent;
  if ((ours || app_id == 0) && *version == 0 && *objects == 0) return DbState::kNew;
  if ((ours || app_id == 0) && *version >= 1) {
    auto runs = has_timesim_runs(db, path);
    if (!runs) return runs.error();
    if (*runs) return DbState::kLegacy;
  }
  char hex[11];
  std::snprintf(hex, sizeof hex, "0x%08x", app_id);
  return Error{in_quotes(path) + " is not a timesim results DB (application_id " + hex +
               ", user_version " + std::to_string(*version) + "); refusing to use it"};
}

Result<DbState> inspect_results_db_file(const std::string& path) {
  auto db = open_read_only(path);
  if (!db) return db.error();
  return inspect_results_db(db->get(), path);
}

Result<bool> prepare_results_db(sqlite3* db, const std::string& path, DbState state) {
  if (state == DbState::kCurrent) return true;
  auto txn = sql::Transaction::begin(db, "BEGIN IMMEDIATE");  // rolled back on any error
  if (!txn) return failure(db, path);
  if (state == DbState::kLegacy) {
    if (auto ok = migrate(db, path); !ok) return ok;
  }
  if (auto ok = exec(db, schema_sql(), path); !ok) return ok;
  if (state == DbState::kLegacy) {  // rebuilt tables lost their indexes
    auto legacy_rows = has_table(db, "connection_rows", path);
    if (!legacy_rows) return legacy_rows.error();
    // The view dropped and recreated loses its INSERT trigger: kSchema creates it again.
    if (*legacy_rows)
      for (const std::string* sql : {&legacy_connection_fields_sql(), &schema_sql()})
        if (auto ok = exec(db, *sql, path); !ok) return ok;
    if (auto ok = finish_migration(db, path); !ok) return ok;
    if (auto ok = exec(db, kIndexes, path); !ok) return ok;
  }
  if (auto ok = exec(db,
                     "PRAGMA application_id=" + std::to_string(kResultsDbApplicationId) +
                         "; PRAGMA user_version=" + std::to_string(kSchemaVersion),
                     path);
      !ok)
    return ok;
  if (!txn->commit()) return failure(db, path);
  return true;
}

Result<sql::Db> open_results_db_for_reading(const std::string& path) {
  auto db = open_read_only(path);
  if (!db) return db.error();
  sqlite3* raw = db->get();
  auto state = inspect_results_db(raw, path);
  if (!state) return state.error();
  if (*state == DbState::kNew)
    return Error{in_quotes(path) + " is not a timesim results DB (it is empty: no runs)"};
  if (*state == DbState::kCurrent) return db;
  // Legacy: migrate a private copy in a temporary file (SQLite's "" DB, deleted on close),
  // so a reader's memory stays SQLite's page cache however large the file is.
  auto mem = sql::Db::open("");
  if (!mem) return Error{"results DB " + in_quotes(path) + ": " + mem.error().message};
  sqlite3* mem_raw = mem->get();
  sqlite3_backup* b = sqlite3_backup_init(mem_raw, "main", raw, "main");
  if (!b) return failure(mem_raw, sqlite3_errcode(mem_raw), path);
  const int step = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (step != SQLITE_DONE)  // the copy failed (the file itself is only read)
    return Error{"results DB " + in_quotes(path) + " has an older schema and is migrated in a " +
                 "temporary copy, which failed: " + sqlite3_errmsg(mem_raw) +
                 " (SQLite puts it in $SQLITE_TMPDIR, else $TMPDIR, /var/tmp, /usr/tmp or "
                 "/tmp: set TMPDIR to a directory with room for a copy of the DB)"};
  if (auto ok = prepare_results_db(mem_raw, path, DbState::kLegacy); !ok) return ok.error();
  return mem;
}

}  // namespace ts::sim
