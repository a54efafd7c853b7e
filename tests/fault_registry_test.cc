// The table of fault kinds (faults/fault_kind.h, one file per kind in faults/kinds/): every
// kind is complete, listed once, documented in docs/faults.md, and the listing order is the
// one the messages have always used.
#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "faults/fault.h"
#include "test_util.h"

using namespace ts;

TEST_CASE("fault kinds: the table is complete, ordered and documented") {
  std::ifstream in(test::source_path("docs/faults.md"));
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(!doc.empty());
  std::set<std::string_view> names;
  int last_order = -1;
  for (sim::FaultKind k : sim::fault_kinds()) {
    CAPTURE(k->name);
    CHECK(names.insert(k->name).second);
    CHECK(k->order > last_order);
    last_order = k->order;
    CHECK(sim::find_fault_kind(k->name) == k);
    CHECK(bool(k->start));
    CHECK(bool(k->draw));
    CHECK((k->end != nullptr) == k->end_event);
    CHECK((k->link_effect == sim::LinkEffect::kBlock) == (k->blocked_until != nullptr));
    if (k->link_effect != sim::LinkEffect::kNone) CHECK(k->targets != sim::Targets::kNodes);
    if (k->one_shot) CHECK_FALSE(k->end_event);
    CHECK(k->chaos == k->no_chaos_hint.empty());  // a kind chaos cannot draw says why
    // docs/faults.md describes it: "**name**" (or "- **name**" in a list).
    CHECK(doc.find("**" + std::string(k->name) + "**") != std::string::npos);
  }
  // The order of listings ("unknown fault kind ... (known: ...)") as before kinds were files.
  CHECK(sim::fault_kind_list() ==
        "partition, latency, loss, bandwidth, reset, corrupt, truncate, garbage, oversize, "
        "old_protocol, wrong_kind, refuse, crash, pause, clock_skew, upgrade, flap, reset_every");
  CHECK(sim::find_fault_kind("meteor") == nullptr);
}

TEST_CASE("fault kinds: what each kind can end (the blame table in docs/faults.md)") {
  using node::CloseReason;
  auto ends = [](const char* kind, CloseReason r) {
    return sim::can_end(sim::find_fault_kind(kind), r);
  };
  for (const char* k : {"partition", "flap", "latency", "loss", "bandwidth", "pause"}) {
    CAPTURE(k);
    CHECK(ends(k, CloseReason::kPongTimeout));
    CHECK(ends(k, CloseReason::kConnectTimeout));
  }
  CHECK(ends("crash", CloseReason::kConnectTimeout));
  CHECK_FALSE(ends("crash", CloseReason::kPongTimeout));
  for (const char* k : {"partition", "flap", "crash"})
    CHECK(ends(k, CloseReason::kKeepaliveTimeout));
  CHECK_FALSE(ends("latency", CloseReason::kKeepaliveTimeout));
  CHECK(ends("refuse", CloseReason::kConnectRefused));
  CHECK(ends("upgrade", CloseReason::kConnectRefused));
  for (const char* k : {"reset", "crash", "upgrade"})
    CHECK(ends(k, CloseReason::kReset));
  CHECK(ends("loss", CloseReason::kRetransmitTimeout));
  CHECK_FALSE(ends("partition", CloseReason::kRetransmitTimeout));
  for (const char* k : {"corrupt", "truncate", "garbage", "oversize", "old_protocol", "wrong_kind"})
    for (auto r : {CloseReason::kInvalidMessage, CloseReason::kLineTooLong,
                   CloseReason::kOldProtocol, CloseReason::kInvalidUtf8}) {
      CAPTURE(k);
      CHECK(ends(k, r));
    }
  CHECK_FALSE(ends("clock_skew", CloseReason::kPongTimeout));
  CHECK_FALSE(ends("clock_skew", CloseReason::kReset));
}
