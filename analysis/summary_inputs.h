// What a run's summary is computed from besides its connection rows -- its nodes, labels and
// profiles -- and the rules its parts share (the median, a link's class).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "node_core/version_profile.h"
#include "store/sqlite.h"

namespace ts::sim {

// `sql` with `run_id` bound to ?1; an error names the DB.
Result<sql::Statement> prepare_for_run(sqlite3* db, const char* sql, std::int64_t run_id);

// The median (of the two middle values, their mean rounded toward zero); 0 for none.
Duration median(std::vector<Duration> v);

// The class of a link from its connections (analysis/summary.h has the rule). `ping_interval`
// is the dialer's (its profile's ping.interval).
std::string classify(std::uint64_t connections, double up_fraction, Duration median_lifetime,
                     Duration ping_interval);

using Profiles = std::map<std::string, node::VersionProfile>;
inline Duration ping_interval_of(const Profiles& profiles, const std::string& version) {
  return profiles.at(version).timers.ping_interval_ns;
}

struct NodeRow {
  std::string name, ip, version;
  SimTime start;
};
// The run's nodes, indexed by node id.
Result<std::vector<NodeRow>> read_nodes(sqlite3* db, std::int64_t run_id);

// The run's labels (schema 7: the text behind connection_times' *_label columns).
class Labels {
 public:
  static Result<Labels> read(sqlite3* db, std::int64_t run_id);
  // The text of label `id` ("" for one the run does not have).
  std::string_view text(std::int64_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < text_.size()
               ? std::string_view(text_[static_cast<std::size_t>(id)])
               : std::string_view();
  }

 private:
  std::vector<std::string> text_;  // by label_id
};

}  // namespace ts::sim
