// Wire codec benchmark: the current encoder and decoder (node_core/codec_*.cc) against the
// nlohmann DOM codec they replaced (tests/reference_codec.cc), in the same run.
//
// For one message of each variant, as the model sends it: encode `iterations` times into a
// reused buffer, and decode its line `iterations` times. Reports ns per message (median of
// `runs` runs) and heap allocations per message (operator new calls, counted by this binary),
// and the reference/current ratio of each. Checks that both codecs produce the same bytes.
//
//   codec_bench [--iterations N] [--runs R]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "node_core/chain.h"
#include "node_core/codec.h"
#include "tests/alloc/counting_new.h"
#include "tests/reference_codec.h"

namespace {

using namespace ts::node;

std::vector<Message> sample_messages() {
  const Block b1{1, genesis_block().hash, 1766106600, "10.0.0.12", 0x1234abcd5678ef90ull, {7, 8}};
  const Block b2{2, b1.hash, 1766107200, "10.0.0.7", 0x0badc0ffee15600dull, {}};
  return {Handshake{kMagic, kProtocolVersion, "testnet"},
          Ack{"Handshake"},
          Ping{0x9e3779b97f4a7c15ull, 1766106000},
          Pong{0x9e3779b97f4a7c15ull, 1766106001},
          GetPeers{},
          PeersResponse{{"10.0.0.1:24100", "10.0.0.2:24100", "10.0.0.3:24100", "10.0.0.4:24100",
                         "10.0.0.5:24100", "10.0.0.6:24100", "10.0.0.7:24100", "10.0.0.8:24100"}},
          Heartbeat{"10.0.0.12", 42, 1766106000},
          GetBlockHeight{},
          BlockHeightResponse{1234},
          GetBlocks{1, 100},
          BlocksResponse{{b1, b2}},
          BlockProposal{b1, "10.0.0.12", 0},
          BlockVote{b1.hash, 1, "10.0.0.7", true},
          BlockCommit{b1.hash, 1, {"10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.12"}},
          TransactionBroadcast{0xfeedfacecafebeefull, 1766106000},
          TransactionVote{0xfeedfacecafebeefull, "10.0.0.7", true, 1766106001},
          Opaque{MsgKind::kMasternodeAnnouncement, "{\"address\":\"10.0.0.3\",\"tier\":1}"}};
}

struct Cost {
  double ns = 0;      // per message, median over runs
  double allocs = 0;  // operator new calls per message
};

// Runs `op` `iterations` times per run; median ns and mean allocations per call.
template <class Op>
Cost measure(int runs, std::uint64_t iterations, Op op) {
  std::vector<double> ns;
  std::uint64_t allocs = 0;
  for (int r = 0; r < runs; ++r) {
    const std::uint64_t a0 = ts::test::allocations();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < iterations; ++i)
      op();
    const auto t1 = std::chrono::steady_clock::now();
    allocs += ts::test::allocations() - a0;
    ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() /
                 static_cast<double>(iterations));
  }
  std::sort(ns.begin(), ns.end());
  return Cost{ns[ns.size() / 2],
              static_cast<double>(allocs) / static_cast<double>(runs * iterations)};
}

void print_row(const char* name, const char* op, const Cost& ref, const Cost& now) {
  std::printf("%-22s %-6s %9.1f %9.1f %7.2fx %8.2f %8.2f\n", name, op, ref.ns, now.ns,
              ref.ns / now.ns, ref.allocs, now.allocs);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t iterations = 100000;
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--iterations")) {
      iterations = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--runs")) {
      runs = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: codec_bench [--iterations N] [--runs R]\n");
      return 2;
    }
  }
  if (iterations == 0 || runs <= 0) return 2;
  std::printf(
      "%llu messages per run, median of %d runs; ref = nlohmann DOM codec "
      "(tests/reference_codec.cc)\n",
      static_cast<unsigned long long>(iterations), runs);
  std::printf("%-22s %-6s %9s %9s %8s %8s %8s\n", "variant", "op", "ref ns", "new ns", "ratio",
              "ref allc", "new allc");
  std::uint64_t sink = 0;
  Cost total[2][2];  // [encode, decode][ref, new]
  for (const Message& m : sample_messages()) {
    const std::string wire = encode(m);
    if (wire != reference::encode(m)) {
      std::fprintf(stderr, "codec_bench: encodings differ: %s", wire.c_str());
      return 1;
    }
    const std::string_view line(wire.data(), wire.size() - 1);
    const char* name = msg_kind_name(kind_of(m)).data();
    std::string buf;
    buf.reserve(1024);
    const Cost enc_ref = measure(runs, iterations, [&] {
      buf.clear();
      reference::encode(m, buf);
      sink += buf.size();
    });
    const Cost enc_new = measure(runs, iterations, [&] {
      buf.clear();
      encode(m, buf);
      sink += buf.size();
    });
    const Cost dec_ref =
        measure(runs, iterations, [&] { sink += reference::decode_line(line).ok(); });
    const Cost dec_new = measure(runs, iterations, [&] { sink += decode_line(line).ok(); });
    print_row(name, "encode", enc_ref, enc_new);
    print_row(name, "decode", dec_ref, dec_new);
    for (int op = 0; op < 2; ++op)
      for (int which = 0; which < 2; ++which) {
        const Cost& c =
            op == 0 ? (which == 0 ? enc_ref : enc_new) : (which == 0 ? dec_ref : dec_new);
        total[op][which].ns += c.ns;
        total[op][which].allocs += c.allocs;
      }
  }
  print_row("all (sum)", "encode", total[0][0], total[0][1]);
  print_row("all (sum)", "decode", total[1][0], total[1][1]);
  if (sink == 0) std::printf("(sink %llu)\n", static_cast<unsigned long long>(sink));
  return 0;
}
