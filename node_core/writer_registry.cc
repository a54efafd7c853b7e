#include "node_core/writer_registry.h"

#include <algorithm>

namespace ts::node {

void WriterRegistry::set(std::string_view ip, ConnId conn) {
  for (std::size_t i = 0; i < ips_.size(); ++i)
    if (ips_[i] == ip) {
      conns_[i] = conn;
      return;
    }
  ips_.emplace_back(ip);
  conns_.push_back(conn);
}

ConnId WriterRegistry::writer(std::string_view ip) const {
  for (std::size_t i = 0; i < ips_.size(); ++i)
    if (ips_[i] == ip) return conns_[i];
  return 0;
}

bool WriterRegistry::is_writer(ConnId conn) const {
  return std::find(conns_.begin(), conns_.end(), conn) != conns_.end();
}

void WriterRegistry::erase_at(std::size_t i) {
  ips_.erase(ips_.begin() + static_cast<std::ptrdiff_t>(i));
  conns_.erase(conns_.begin() + static_cast<std::ptrdiff_t>(i));
}

void WriterRegistry::erase_conn(ConnId conn) {
  for (std::size_t i = conns_.size(); i-- > 0;)
    if (conns_[i] == conn) erase_at(i);
}

void WriterRegistry::erase_ip(std::string_view ip) {
  for (std::size_t i = ips_.size(); i-- > 0;)
    if (ips_[i] == ip) erase_at(i);
}

}  // namespace ts::node
