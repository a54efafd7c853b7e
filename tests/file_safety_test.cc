// Nothing a user types may destroy a file (issue 14): one test case per class of data loss.
// Each runs the real binary (tests/run_cli.h) in a scratch directory.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/file_marks.h"
#include "run_cli.h"
#include "store/results_db.h"
#include "store/sqlite.h"
#include "test_util.h"

namespace ts {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// Runs `sql` on the DB at `path` (created if missing).
void sql_exec(const fs::path& path, const std::string& sql) {
  test::exec_file(path.string(), sql);
}

// First column of the first row of `sql` on the DB at `path`, as text ("" when none).
std::string sql_value(const fs::path& path, const std::string& sql) {
  const auto db = test::open_read_only(path.string());
  auto s = sql::Statement::prepare(db.get(), sql);
  if (!s) {
    CAPTURE(s.error().message);
    return "";
  }
  return s->next() ? s->text(0) : "";
}

// A directory with six.yaml and a results DB `x.db` holding two runs.
struct Fixture {
  fs::path dir;
  explicit Fixture(const std::string& name) : dir(test::fresh_dir("file_safety_" + name)) {
    write(dir / "six.yaml", test::slurp(test::source_path("topologies/six_nodes.yaml")));
    for (int i = 0; i < 2; ++i)
      REQUIRE(test::timesim("run six.yaml --duration 2m --db x.db -q", dir).exit_code == 0);
    REQUIRE(runs("x.db") == "2");
  }
  ~Fixture() { fs::remove_all(dir); }
  std::string runs(const std::string& db) const {
    return sql_value(dir / db, "SELECT count(*) FROM runs");
  }
  std::string bytes(const std::string& f) const { return test::slurp(dir / f); }
  // Exit code of `timesim <args>`, stdout and stderr redirected as `redirect` says.
  int raw(const std::string& args, const std::string& redirect) const {
    return shell("'" + std::string(TIMESIM_BINARY) + "' " + args + " " + redirect);
  }
  // Exit code of the shell command line `cmd`, run in the directory.
  int shell(const std::string& cmd) const {
    const int status = std::system(("cd '" + dir.string() + "' && " + cmd).c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

// A refused command: exit 2, one `timesim:` line containing `message`.
void refused(const test::CliOutcome& o, const std::string& message) {
  CAPTURE(o.err);
  CHECK(o.exit_code == 2);
  CHECK(o.err.rfind("timesim: ", 0) == 0);
  CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
  CHECK(o.err.find(message) != std::string::npos);
}

}  // namespace

TEST_CASE("file safety: run validates the whole command line before touching any file") {
  Fixture fx("validate");
  const std::string before = fx.bytes("x.db");
  // --force used to delete the DB, then --record was found bad.
  refused(test::timesim("run six.yaml --duration 2m --db x.db --force --record everything", fx.dir),
          "--record: unknown level 'everything'");
  CHECK(fx.bytes("x.db") == before);
  // --pcap onto the DB used to truncate it to a pcap header, then append one run.
  refused(test::timesim("run six.yaml --duration 2m --pcap x.db --db x.db", fx.dir),
          "'x.db' is also another of this command's files");
  CHECK(fx.bytes("x.db") == before);
  CHECK(fx.runs("x.db") == "2");
  // A pcap that cannot be created: the DB is not created either.
  refused(test::timesim("run six.yaml --duration 2m --db new.db --pcap nodir/p.pcap", fx.dir),
          "--pcap: cannot create 'nodir/p.pcap'");
  CHECK_FALSE(fs::exists(fx.dir / "new.db"));
  // The DB as the scenario (the scenario is not an SQLite file): refused, unchanged.
  const std::string yaml = fx.bytes("six.yaml");
  refused(test::timesim("run six.yaml --duration 2m --db six.yaml", fx.dir), "--db: 'six.yaml'");
  CHECK(fx.bytes("six.yaml") == yaml);
  // --force on a valid DB still replaces it.
  REQUIRE(test::timesim("run six.yaml --duration 2m --db x.db --force -q", fx.dir).exit_code == 0);
  CHECK(fx.runs("x.db") == "1");
}

TEST_CASE(
    "file safety: outputs are never an input, a non-regular file or a file timesim did "
    "not write") {
  Fixture fx("outputs");
  const std::string db = fx.bytes("x.db");
  write(fx.dir / "notes.txt", "my notes\n");
  fs::create_symlink("notes.txt", fx.dir / "link.html");
  REQUIRE(::mkfifo((fx.dir / "fifo").c_str(), 0600) == 0);
  fs::create_hard_link(fx.dir / "x.db", fx.dir / "hard.db");
  // report -o onto the results DB, a hard link to it, a symlink, a FIFO, a directory, a
  // file that is not a report: all used to be replaced by the HTML file.
  refused(test::timesim("report x.db -o x.db", fx.dir), "-o: 'x.db' is also another");
  refused(test::timesim("report x.db -o hard.db", fx.dir),
          "-o: 'hard.db' is the same file as 'x.db'");
  refused(test::timesim("report x.db -o link.html", fx.dir), "'link.html' is a symbolic link");
  refused(test::timesim("report x.db -o fifo", fx.dir), "'fifo' is a FIFO");
  refused(test::timesim("report x.db -o .", fx.dir), "'.' is a directory");
  refused(test::timesim("report x.db -o notes.txt", fx.dir),
          "'notes.txt' exists and is not a report timesim wrote");
  CHECK(fx.bytes("x.db") == db);
  CHECK(fx.bytes("notes.txt") == "my notes\n");
  CHECK(fs::is_symlink(fx.dir / "link.html"));
  CHECK(fs::is_fifo(fx.dir / "fifo"));
  // Its own report is replaced; no temporary file is left; "-" is stdout.
  REQUIRE(test::timesim("report x.db -o r.html", fx.dir).exit_code == 0);
  REQUIRE(test::timesim("report x.db -o r.html", fx.dir).exit_code == 0);
  CHECK(fx.bytes("r.html").find(kReportMarker) != std::string::npos);
  const auto o = test::timesim("report x.db -o -", fx.dir);
  CHECK(o.exit_code == 0);
  CHECK(o.out == fx.bytes("r.html"));
  // --pcap over a file that is not a pcap, and through a symlink.
  refused(test::timesim("run six.yaml --duration 2m --db y.db --pcap notes.txt", fx.dir),
          "--pcap: 'notes.txt' exists and is not a pcap timesim wrote");
  refused(test::timesim("run six.yaml --duration 2m --db y.db --pcap link.html", fx.dir),
          "--pcap: 'link.html' is a symbolic link");
  CHECK(fx.bytes("notes.txt") == "my notes\n");
  CHECK_FALSE(fs::exists(fx.dir / "y.db"));
  // A pcap timesim wrote is replaced.
  for (int i = 0; i < 2; ++i)
    REQUIRE(
        test::timesim("run six.yaml --duration 2m --db y.db --pcap p.pcap -q", fx.dir).exit_code ==
        0);
  for (const auto& e : fs::directory_iterator(fx.dir))
    CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);
  // A capture from tcpdump (microsecond magic, Ethernet link type) is a pcap timesim did
  // not write: never replaced.
  {
    const unsigned char tcpdump[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                       0,    0,    0,    0,    0, 0, 4, 0, 1, 0, 0, 0};
    std::ofstream(fx.dir / "capture.pcap", std::ios::binary)
        .write(reinterpret_cast<const char*>(tcpdump), sizeof tcpdump);
  }
  const std::string capture = fx.bytes("capture.pcap");
  refused(test::timesim("run six.yaml --duration 2m --db y.db --pcap capture.pcap", fx.dir),
          "--pcap: 'capture.pcap' exists and is not a pcap timesim wrote");
  CHECK(fx.bytes("capture.pcap") == capture);
  // scripts/charts.py: the same rules for its PNGs (scripts/test installs node, rsvg-convert).
  REQUIRE(std::system("command -v node >/dev/null && command -v rsvg-convert >/dev/null") == 0);
  {
    const std::string charts = std::string("TIMESIM_BIN='") + TIMESIM_BINARY + "' '" +
                               test::source_path("scripts/charts.py") +
                               "' x.db -o c >/dev/null 2>&1";
    fs::create_directories(fx.dir / "c");
    write(fx.dir / "c/churn.png", "my notes\n");
    CHECK(fx.shell(charts) == 2);
    CHECK(fx.bytes("c/churn.png") == "my notes\n");
    fs::remove(fx.dir / "c/churn.png");
    CHECK(fx.shell(charts) == 0);
    CHECK(fx.shell(charts) == 0);  // its own charts are replaced
  }
}

TEST_CASE("file safety: the files SQLite keeps beside a results DB are never a foreign file") {
  Fixture fx("sidecars");
  const std::string db = fx.bytes("x.db");
  // SQLite deleted a foreign x.db-journal / x.db-wal (or played it into the DB).
  write(fx.dir / "n.db-journal", "my notes\n");
  refused(test::timesim("run six.yaml --duration 2m --db n.db", fx.dir),
          "--db: 'n.db-journal' exists and is not SQLite's journal file of 'n.db'");
  CHECK(fx.bytes("n.db-journal") == "my notes\n");
  CHECK_FALSE(fs::exists(fx.dir / "n.db"));
  write(fx.dir / "x.db-wal", "my notes\n");
  refused(test::timesim("live six.yaml --duration 1s --db x.db", fx.dir),
          "--db: 'x.db-wal' exists and is not SQLite's wal file of 'x.db'");
  CHECK(fx.bytes("x.db-wal") == "my notes\n");
  fs::remove(fx.dir / "x.db-wal");
  fs::create_symlink("six.yaml", fx.dir / "x.db-shm");
  refused(test::timesim("run six.yaml --duration 2m --db x.db --force", fx.dir),
          "--db: 'x.db-shm' is a symbolic link");
  fs::remove(fx.dir / "x.db-shm");
  CHECK(fx.bytes("x.db") == db);
  // --pcap onto the DB's WAL: the pcap was renamed there, then deleted with the WAL.
  refused(test::timesim("run six.yaml --duration 2m --db y.db --pcap y.db-wal", fx.dir),
          "--pcap: 'y.db-wal' is also another of this command's files");
  CHECK_FALSE(fs::exists(fx.dir / "y.db"));
  // An empty sidecar holds nothing and is accepted; so is a DB's own WAL after a crash
  // (crash_safety_test).
  write(fx.dir / "x.db-journal", "");
  REQUIRE(test::timesim("run six.yaml --duration 2m --db x.db -q", fx.dir).exit_code == 0);
  CHECK(fx.runs("x.db") == "3");
}

TEST_CASE("file safety: a foreign SQLite DB is never adopted, legacy timesim DBs are migrated") {
  Fixture fx("foreign");
  // Another application's DB with user_version <= 3 used to get timesim's tables.
  sql_exec(fx.dir / "other.db",
           "CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES ('ada'); "
           "PRAGMA user_version = 2;");
  sql_exec(fx.dir / "app.db", "CREATE TABLE t(x); PRAGMA application_id = 305419896;");
  const std::string other = fx.bytes("other.db"), app = fx.bytes("app.db");
  refused(test::timesim("run six.yaml --duration 2m --db other.db", fx.dir),
          "'other.db' is not a timesim results DB (application_id 0x00000000, user_version 2)");
  refused(test::timesim("run six.yaml --duration 2m --db app.db", fx.dir),
          "'app.db' is not a timesim results DB (application_id 0x12345678)");
  refused(test::timesim("report other.db -o r.html", fx.dir), "'other.db' is not a timesim");
  refused(test::timesim("faults other.db", fx.dir), "'other.db' is not a timesim");
  refused(test::timesim("merge m.db other.db", fx.dir), "'other.db' is not a timesim");
  CHECK(fx.bytes("other.db") == other);
  CHECK(fx.bytes("app.db") == app);
  CHECK_FALSE(fs::exists(fx.dir / "m.db"));
  // A DB timesim writes now says so.
  CHECK(sql_value(fx.dir / "x.db", "PRAGMA application_id") ==
        std::to_string(kResultsDbApplicationId));
  CHECK(sql_value(fx.dir / "x.db", "PRAGMA user_version") == "9");

  // Every schema timesim ever wrote (tests/fixtures/schema: kSchema verbatim at each change),
  // with one row in every table: read as it is, then appended to (migrated).
  for (const auto& e : fs::directory_iterator(test::source_path("tests/fixtures/schema"))) {
    const std::string name = e.path().stem().string();
    CAPTURE(name);
    const fs::path legacy = fx.dir / (name + ".db");
    sql_exec(legacy, test::slurp(e.path()));
    std::vector<std::string> tables;
    {
      const auto db = test::open_read_only(legacy.string());
      for (const auto& row :
           test::rows(db.get(), "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"))
        tables.push_back(row[0]);
    }
    for (const auto& t : tables) {  // one row, every column 1 (run 1)
      std::string values;
      const auto n =
          std::stoi(sql_value(legacy, "SELECT count(*) FROM pragma_table_info('" + t + "')"));
      for (int i = 0; i < n; ++i)
        values += i ? ",1" : "1";
      sql_exec(legacy, "INSERT INTO " + t + " VALUES (" + values + ")");
    }
    // Schema 7 made `connections` and `protocol_errors` views over coded tables: the legacy
    // row must read back through them with every value it had.
    std::vector<std::string> all_ones;  // per such table: a query counting the unchanged row
    for (const std::string t : {"connections", "protocol_errors"}) {
      if (std::find(tables.begin(), tables.end(), t) == tables.end()) continue;
      std::string q = "SELECT count(*) FROM " + t + " WHERE run_id = 1";
      const auto db = test::open_read_only(legacy.string());
      for (const auto& col :
           test::rows(db.get(), "SELECT name FROM pragma_table_info('" + t + "')"))
        q += " AND " + col[0] + " = 1";
      all_ones.push_back(q);
    }
    // A v7 run that ended built the index by link that schema 8 no longer has; a user added
    // a view over timesim's views, an index and a trigger of their own: all are kept.
    const bool v7 = std::find(tables.begin(), tables.end(), "connection_rows") != tables.end();
    if (v7)
      sql_exec(legacy,
               "CREATE INDEX connections_link ON connection_rows(run_id, dialer, listener, "
               "t_dial_ns, conn_id); "
               "CREATE VIEW my_errors AS SELECT node, count(*) AS n FROM protocol_errors "
               "GROUP BY node; CREATE INDEX my_fault ON connection_rows(fault_id); "
               "CREATE TABLE my_log(conn_id); CREATE TRIGGER my_trig AFTER INSERT ON "
               "connection_rows BEGIN INSERT INTO my_log VALUES (NEW.conn_id); END;");
    // Whatever the views (or, before schema 7, the tables) showed, they show after the
    // migration: schema 8 codes a connection's first error in its row, not a v7 DB's.
    std::vector<std::pair<std::string, std::vector<std::vector<std::string>>>> shown;
    for (const std::string t : {"connections", "protocol_errors"}) {
      const auto db = test::open_read_only(legacy.string());
      std::string cols;
      for (const auto& col :
           test::rows(db.get(), "SELECT name FROM pragma_table_info('" + t + "')"))
        cols += (cols.empty() ? "" : ", ") + col[0];
      if (cols.empty()) continue;
      const std::string q = "SELECT " + cols + " FROM " + t + " WHERE run_id = 1";
      shown.emplace_back(q, test::rows(db.get(), q));
      // A v8 connection_rows row with error_by set is a protocol error too.
      const bool coded_error =
          t == "protocol_errors" &&
          sql_value(legacy,
                    "SELECT count(*) FROM pragma_table_info('connection_rows') WHERE "
                    "name = 'error_by'") == "1";
      CHECK(shown.back().second.size() == (coded_error ? 2u : 1u));
    }
    const std::string old_bytes = test::slurp(legacy);
    // Readers accept it and leave it as it is.
    CHECK(test::timesim("report " + name + ".db -o " + name + ".html", fx.dir).exit_code == 0);
    CHECK(test::timesim("faults " + name + ".db", fx.dir).exit_code == 0);
    CHECK(test::timesim("merge " + name + "-m.db " + name + ".db", fx.dir).exit_code == 0);
    CHECK(test::slurp(legacy) == old_bytes);
    CHECK(sql_value(fx.dir / (name + "-m.db"), "SELECT count(*) FROM runs") == "1");
    // Appending migrates it: e277add's samples lacked mempool, and appending used to fail.
    const auto o = test::timesim("run six.yaml --duration 2m -q --db " + name + ".db", fx.dir);
    CAPTURE(o.err);
    CHECK(o.exit_code == 0);
    CHECK(sql_value(legacy, "PRAGMA application_id") == std::to_string(kResultsDbApplicationId));
    CHECK(sql_value(legacy, "PRAGMA user_version") == "9");
    // Schema 5 (additive): the run appended records its profiles.
    CHECK(sql_value(legacy, "SELECT count(*) FROM profiles WHERE run_id = 2") != "0");
    CHECK(sql_value(legacy, "SELECT count(*) FROM sqlite_master WHERE name = 'bans'") == "1");
    // Schema 6 to 8: the (run_id, conn_id) key is an index built when the run ends; schema
    // 9 keeps it on the legacy rows' connection_rows (connection_core's key is its rowid).
    CHECK(sql_value(legacy, "SELECT count(*) FROM sqlite_master WHERE name = 'connections_id'") ==
          (v7 ? "1" : "0"));
    CHECK(sql_value(legacy, "SELECT count(*) FROM runs") == "2");
    {
      // A connection added by SQL to the legacy run, after the migration, goes through the
      // view into the new tables; merging the DB then codes the legacy rows after it (it
      // used to fail on the shape ids both took).
      std::string cols;
      const auto db = test::open_read_only(legacy.string());
      for (const auto& col :
           test::rows(db.get(), "SELECT name FROM pragma_table_info('connections')"))
        cols += (cols.empty() ? "" : ", ") + (col[0] == "conn_id" ? "conn_id + 1000" : col[0]);
      sql_exec(legacy, "INSERT INTO connections SELECT " + cols +
                           " FROM connections WHERE run_id = 1 AND conn_id = 1");
      CHECK(sql_value(legacy, "SELECT count(*) FROM connections WHERE run_id = 1") == "2");
      CHECK(test::timesim("merge " + name + "-m2.db " + name + ".db", fx.dir).exit_code == 0);
      CHECK(sql_value(fx.dir / (name + "-m2.db"),
                      "SELECT count(*) FROM connections WHERE run_id = 1") == "2");
      sql_exec(legacy,
               "DELETE FROM connection_details WHERE conn_key = (1 << 32) | 1001; "
               "DELETE FROM connection_core WHERE conn_key = (1 << 32) | 1001");
    }
    if (v7) {
      for (const char* mine : {"my_errors", "my_fault", "my_trig"})
        CHECK(sql_value(legacy, std::string("SELECT count(*) FROM sqlite_master WHERE name = '") +
                                    mine + "'") == "1");
      // Schema 9: the legacy rows stay in connection_rows, where the user's trigger and index
      // are; the appended run's connections are connection_core rows (which the trigger does
      // not see).
      CHECK(sql_value(legacy, "SELECT count(*) FROM connection_rows WHERE run_id = 1") == "1");
      CHECK(sql_value(legacy, "SELECT count(*) FROM connection_rows WHERE run_id = 2") == "0");
      CHECK(sql_value(legacy, "SELECT count(*) FROM my_log") == "0");
      CHECK(sql_value(legacy, "SELECT count(*) FROM connection_core") ==
            sql_value(legacy, "SELECT count(*) FROM connections WHERE run_id = 2"));
      CHECK(sql_value(legacy, "SELECT sum(n) FROM my_errors") ==
            sql_value(legacy, "SELECT count(*) FROM protocol_errors"));
    }
    for (const auto& db : {legacy, fx.dir / (name + "-m.db")})
      CHECK(sql_value(db, "SELECT count(*) FROM sqlite_master WHERE name = 'connections_link'") ==
            "0");
    for (const auto& q : all_ones) {
      CAPTURE(q);
      CHECK(sql_value(legacy, q) == "1");
      CHECK(sql_value(fx.dir / (name + "-m.db"), q) == "1");  // merged from the legacy file
    }
    for (const auto& t : tables) {
      CAPTURE(t);
      CHECK(sql_value(legacy, "SELECT count(*) FROM " + t + " WHERE run_id = 1") == "1");
    }
    // The appended run reads as a run in a new DB does (the same scenario and seed as x.db's).
    for (const char* q :
         {"SELECT t_ns, node, peer, conn_id, kind, text FROM protocol_errors WHERE run_id = ",
          "SELECT conn_id, t_close_ns, close_reason, protocol_errors FROM connections WHERE "
          "run_id = "}) {
      CAPTURE(q);
      const std::string order = " ORDER BY 1, 2, 3, 4";
      const auto want = test::rows(test::open_read_only((fx.dir / "x.db").string()).get(),
                                   std::string(q) + "1" + order);
      CHECK(want.size() > 1);
      CHECK(test::rows(test::open_read_only(legacy.string()).get(), std::string(q) + "2" + order) ==
            want);
    }
    for (const auto& [q, rows] : shown) {
      CAPTURE(q);
      const auto db = test::open_read_only(legacy.string());
      CHECK(test::rows(db.get(), q) == rows);
    }
    CHECK(sql_value(legacy,
                    "SELECT count(*) FROM pragma_table_info('samples') WHERE "
                    "name = 'mempool'") == "1");
    CHECK(sql_value(legacy, "SELECT count(*) FROM connection_lifetimes WHERE run_id = 2") != "0");
  }
}

TEST_CASE("file safety: reading a legacy DB does not hold a copy of it in memory") {
  const fs::path dir = test::fresh_dir("file_safety_legacy_read");
  const fs::path legacy = dir / "v7.db";
  sql_exec(legacy, test::slurp(test::source_path("tests/fixtures/schema/v7-9712b73.sql")));
  // 32 MB of a user's own rows: a copy in memory would hold them all.
  sql_exec(legacy,
           "CREATE TABLE mine(b BLOB); "
           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 512) "
           "INSERT INTO mine SELECT randomblob(65536) FROM n;");
  const auto before = sqlite3_memory_used();
  auto db = sim::open_results_db_for_reading(legacy.string());
  REQUIRE(db);
  const auto held = sqlite3_memory_used() - before;
  CAPTURE(held);
  CHECK(held < 8 * 1024 * 1024);
  CHECK(test::rows(db->get(), "PRAGMA user_version") ==
        std::vector<std::vector<std::string>>{{"9"}});  // migrated
  CHECK(test::rows(db->get(), "SELECT count(*) FROM mine") ==
        std::vector<std::vector<std::string>>{{"512"}});
  db = Error{"closed"};
  fs::remove_all(dir);
}

TEST_CASE("file safety: a locked DB is reported as locked, naming the file") {
  Fixture fx("locked");
  // Read before locking: closing any descriptor of the file drops this process's locks.
  const std::string before = fx.bytes("x.db");
  {
    auto holder = sql::Db::open((fx.dir / "x.db").string());
    REQUIRE(holder.ok());
    auto lock = sql::Transaction::begin(holder->get(), "BEGIN EXCLUSIVE");  // rolled back below
    REQUIRE(lock.ok());
    // Used to say "'x.db' is not a timesim results DB: database is locked".
    refused(test::timesim("run six.yaml --duration 2m --db x.db", fx.dir),
            "results DB 'x.db' is locked by another process");
  }
  CHECK(fx.bytes("x.db") == before);
}

TEST_CASE("file safety: a failed write to stdout exits 1 with a message on stderr") {
  Fixture fx("stdout");
  for (const std::string redirect : {">/dev/full", ">&-"}) {
    CAPTURE(redirect);
    CHECK(fx.raw("run six.yaml --duration 2m --db x.db -q", redirect + " 2>err.txt") == 1);
    CHECK(fx.bytes("err.txt").find("timesim: cannot write to stdout") != std::string::npos);
    CHECK(fx.raw("faults x.db", redirect + " 2>err.txt") == 1);
    CHECK(fx.raw("report x.db -o -", redirect + " 2>err.txt") == 1);
  }
  // With stdout closed, a file the command creates must not become fd 1.
  CHECK(fx.raw("run six.yaml --duration 2m --db y.db --pcap p.pcap", ">&- 2>/dev/null") == 1);
  const std::string pcap = fx.bytes("p.pcap");
  CHECK(pcap.find("results:") == std::string::npos);
}

TEST_CASE("file safety: a scenario's name cannot choose where files go") {
  Fixture fx("name");
  const auto yaml = fx.bytes("six.yaml");
  auto with_name = [&](const std::string& name) {
    std::string text = yaml;
    text.replace(text.find("name: six_nodes"), 15, "name: " + name);
    return text;
  };
  fs::create_directories(fx.dir / "work");
  write(fx.dir / "work/up.yaml", with_name("../../../escaped"));
  write(fx.dir / "work/etc.yaml", with_name("../../etc/x"));
  write(fx.dir / "work/ctl.yaml", with_name("\"a\\tb\""));
  // No --db: the default path is results/runs/<name>-seed<N>.db.
  refused(test::timesim("run up.yaml --duration 2m", fx.dir / "work"),
          "up.yaml:6:7: 'name' must not contain '/'");
  refused(test::timesim("run etc.yaml --duration 2m", fx.dir / "work"),
          "etc.yaml:6:7: 'name' must not contain '/'");
  refused(test::timesim("run ctl.yaml --duration 2m", fx.dir / "work"),
          "ctl.yaml:6:7: 'name' must not contain control characters");
  CHECK_FALSE(fs::exists(fx.dir / "escaped-seed1.db"));
  CHECK_FALSE(fs::exists(fx.dir / "work/results"));
}

}  // namespace ts
