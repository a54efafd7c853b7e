#include <doctest/doctest.h>

#include "node_core/writer_registry.h"

namespace ts::node {
namespace {

TEST_CASE("writer registry: one writer per IP, the last set replaces; lookups by IP and conn") {
  WriterRegistry w;
  CHECK(w.writer("10.0.0.1") == 0);
  CHECK(!w.is_writer(7));
  w.set("10.0.0.1", 7);
  w.set("10.0.0.2", 8);
  CHECK(w.writer("10.0.0.1") == 7);
  CHECK(w.writer("10.0.0.2") == 8);
  CHECK(w.is_writer(7));
  w.set("10.0.0.1", 9);  // replaces 7 for that IP
  CHECK(w.writer("10.0.0.1") == 9);
  CHECK(!w.is_writer(7));
  CHECK(w.is_writer(9));
  CHECK(w.writer("10.0.0.3") == 0);
}

TEST_CASE("writer registry: erasing a connection or an IP removes only its entries") {
  WriterRegistry w;
  w.set("10.0.0.1", 7);
  w.set("10.0.0.2", 8);
  w.set("10.0.0.3", 7);  // one connection may write for two IPs
  w.erase_conn(7);
  CHECK(!w.is_writer(7));
  CHECK(w.writer("10.0.0.1") == 0);
  CHECK(w.writer("10.0.0.3") == 0);
  CHECK(w.writer("10.0.0.2") == 8);
  w.set("10.0.0.4", 9);
  w.erase_ip("10.0.0.2");
  CHECK(w.writer("10.0.0.2") == 0);
  CHECK(!w.is_writer(8));
  CHECK(w.writer("10.0.0.4") == 9);  // the entry after the erased one kept its writer
  w.clear();
  CHECK(w.writer("10.0.0.4") == 0);
  CHECK(!w.is_writer(9));
}

}  // namespace
}  // namespace ts::node
