// LinkAccumulator: a run's per-link and per-version-pair summary, built from its connection
// rows one at a time in any order -- read back from the results DB (summary.cc's scan) or
// streamed as the Recorder queues them (a ConnRowObserver), which spares reading every row
// back after the run. Both give the same summary (tests/summary_stream_test.cc).
//
// What follows the connections' dial order (dialer, listener, t_dial_ns, conn_id) -- the
// redial gaps, and the first connection, whose versions name the link -- is worked out at
// the end: each link keeps its connections' dial, connect and close times and sorts them.
// Memory: 32 bytes per connection for that (freed link by link), and the lifetimes of the
// established ones (8 bytes each) for the version pairs' medians.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "analysis/summary.h"
#include "analysis/summary_inputs.h"
#include "store/conn_row_digest.h"

namespace ts::sim {

class LinkAccumulator final : public ConnRowObserver {
 public:
  // `end`: the run's end when known (a scan of the DB): a connection counts as up until its
  // close or `end`, whichever is first. Streamed rows cannot know it: exact_for() checks.
  explicit LinkAccumulator(SimTime end = kNever) : end_(end) {}

  // A stream for `timesim run`: it holds about 330 bytes for each link while the run goes
  // on (the World still alive; a scan needs that only after it is freed), and past
  // kStreamedLinks links it stops, frees what it holds, and leaves the summary to a scan.
  // The churn hour has 7,974 links (2.7 million rows: the scan it spares took 2.2-2.6 s);
  // 10,000 settled post-fix nodes have 79,970 links and 183,000 rows (a 0.3 s scan;
  // streaming all of them cost 32.6 MB of peak RSS, stopping at 32,768 links 6.4 MB).
  static constexpr std::size_t kStreamedLinks = 16384;
  static LinkAccumulator stream(std::size_t max_links = kStreamedLinks) {
    LinkAccumulator a;
    a.max_links_ = max_links;
    return a;
  }
  // A stream that stopped: past its links' bound, or discarded.
  bool stopped() const { return stopped_; }
  // finish() ran: the samples are spent (exact_for is false from then on).
  bool finished() const { return finished_; }
  // Frees what it holds; exact_for is false from then on.
  void discard() {
    *this = LinkAccumulator(end_);
    stopped_ = true;
  }
  void on_connection_row(const ConnRowDigest& row) override { add(row); }
  // A row of a link between two of the run's nodes.
  void add(const ConnRowDigest& row);
  // A row naming a node the run does not have (a DB written by hand): it counts for
  // versions(), faulted() and errors_in_rows() only.
  void add_unlinked(const ConnRowDigest& row);

  // Whether finish() with a run of `nodes` nodes that ended at `end` sums exactly the rows
  // given: every row names nodes below `nodes` and was closed by `end` (a scan of the DB
  // drops a row naming another node; a streamed row cannot know the run's end).
  bool exact_for(std::size_t nodes, SimTime end) const {
    return !stopped_ && !finished_ && (rows_ == 0 || (max_node_ < nodes && max_closed_ <= end));
  }
  // Connection rows added (every one names nodes of the run: exact_for).
  std::uint64_t rows() const { return rows_; }
  // Connection rows with a fault_id.
  std::uint64_t faulted() const { return faulted_; }
  // Protocol errors coded in the rows (schema 8), not in protocol_error_rows.
  std::uint64_t errors_in_rows() const { return errors_in_rows_; }
  // Every version a node or a row names (the text of an unknown label is "").
  std::vector<std::string> versions(const std::vector<NodeRow>& nodes, const Labels& labels) const;
  // Fills out.links in link order and out.pairs, and counts the link classes; out's
  // duration_ns is the run's end. Once: it frees the samples (finished()).
  void finish(RunSummary& out, const std::vector<NodeRow>& nodes, const Labels& labels,
              const Profiles& profiles);

 private:
  // One connection of a link, for the dial order and the lifetimes.
  struct Dial {
    SimTime t_dial;
    std::uint64_t conn_id;
    SimTime closed;     // the dialer's close; kNever: open at the run's end
    SimTime t_connect;  // kNever: never established
  };
  // A link's samples while its rows arrive: one small record per row's link.
  struct LinkSamples {
    std::uint32_t dialer = 0, listener = 0;
    // The first connection in dial order so far, (t_dial, conn_id), and its version labels.
    SimTime first_t_dial = kNever;
    std::uint64_t first_conn_id = 0;
    std::int64_t dialer_version = 0, listener_version = 0;
    std::uint64_t connections = 0, protocol_errors = 0;
    Duration up = 0;         // of the connections closed; the open ones count at finish()
    Duration ping_span = 0;  // lifetime of connections with periodic pings
    std::int64_t periodic_pings = 0;
    std::int64_t pongs = 0;
    Duration rtt_sum = 0;
    // (close_reason label, count): the first kInlineReasons inline, more in more_reasons.
    static constexpr std::size_t kInlineReasons = 3;
    std::array<std::pair<std::int64_t, std::uint64_t>, kInlineReasons> reasons{};
    std::size_t n_reasons = 0;
    std::vector<std::pair<std::int64_t, std::uint64_t>> more_reasons;
    // The link's connections in the rows' order: n_dials of them, in blocks from
    // dial_blocks_ (first_block, linked through its next; the last is last_block).
    std::uint64_t n_dials = 0;
    std::uint32_t first_block = 0, last_block = 0;
    void count_reason(std::int64_t label);
  };
  // What finish() works with.
  struct Run {
    RunSummary& out;
    const std::vector<NodeRow>& nodes;
    const Labels& labels;
    const Profiles& profiles;
  };

  // Every link's dials, in blocks of kBlockDials carved from 2 MB slabs: appending touches
  // only the end of the link's last block, and nothing is ever copied to grow (the vectors
  // this replaced spent a third of the accumulation copying, and each row's miss on a
  // link's vector cost the streamed summary's run loop about a second on the churn hour).
  class DialBlocks {
   public:
    static constexpr std::uint32_t kBlockDials =
        4;  // 128 B: most links of a settled network hold 1-3
    static constexpr std::uint32_t kNone = UINT32_MAX;
    // A new, empty block (its next is kNone).
    std::uint32_t allocate();
    Dial* block(std::uint32_t id) {
      return slabs_[id / kSlabBlocks].get() + std::size_t{id % kSlabBlocks} * kBlockDials;
    }
    std::uint32_t& next(std::uint32_t id) { return next_[id]; }

   private:
    static constexpr std::uint32_t kSlabBlocks = 16384;  // 2 MB
    std::vector<std::unique_ptr<Dial[]>> slabs_;
    std::vector<std::uint32_t> next_;  // by block
  };
  void append_dial(LinkSamples& ls, const Dial& d);
  // The link's dials, in the rows' order.
  std::vector<Dial> dials_of(const LinkSamples& ls);

  bool has_link(std::uint32_t d, std::uint32_t l) const;
  // The samples of link d -> l, created on its first row.
  LinkSamples& link(std::uint32_t d, std::uint32_t l);
  void finish_link(const Run& run, LinkSummary& l, LinkSamples& s);
  void add_to_pair(const LinkSummary& l, const std::vector<Duration>& lifetimes);

  SimTime end_;
  std::size_t max_links_ = SIZE_MAX;
  bool stopped_ = false;
  bool finished_ = false;
  std::uint64_t rows_ = 0, faulted_ = 0, errors_in_rows_ = 0;
  std::uint32_t max_node_ = 0;
  SimTime max_closed_ = 0;
  std::vector<std::int64_t> version_labels_;  // every version label a row names
  std::vector<LinkSamples> samples_;          // in the order their first rows came
  DialBlocks dial_blocks_;
  // By dialer: (listener, index into samples_); a node dials a few peers.
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> links_of_;
  // Per version pair.
  std::map<std::pair<std::string, std::string>, PairSummary> pairs_;
  std::map<std::pair<std::string, std::string>, std::vector<Duration>> pair_lifetimes_;
};

}  // namespace ts::sim
