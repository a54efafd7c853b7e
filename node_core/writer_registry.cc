#include "node_core/writer_registry.h"

#include <algorithm>

namespace ts::node {

void WriterRegistry::set(std::string_view ip, ConnId conn) {
  for (auto& e : entries_)
    if (e.ip == ip) {
      e.conn = conn;
      return;
    }
  entries_.push_back(Entry{std::string(ip), conn});
}

ConnId WriterRegistry::writer(std::string_view ip) const {
  for (const auto& e : entries_)
    if (e.ip == ip) return e.conn;
  return 0;
}

bool WriterRegistry::is_writer(ConnId conn) const {
  for (const auto& e : entries_)
    if (e.conn == conn) return true;
  return false;
}

void WriterRegistry::erase_conn(ConnId conn) {
  std::erase_if(entries_, [&](const Entry& e) { return e.conn == conn; });
}

void WriterRegistry::erase_ip(std::string_view ip) {
  std::erase_if(entries_, [&](const Entry& e) { return e.ip == ip; });
}

}  // namespace ts::node
