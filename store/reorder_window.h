// ReorderWindow: items that arrive nearly in key order, handed on in key order as far as a
// window of `capacity` held items allows. Once more than `capacity` are held, the caller
// takes the smallest key's; an item whose key is below one already taken comes out late, not
// lost. (The Recorder writes connection rows in conn_id order through one: they come in close
// order, and a table keyed by conn_id fills its pages only when appended to in key order.)
// No allocation after the first `capacity + 1` pushes: taken slots are reused.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace ts::sim {

template <typename T>
class ReorderWindow {
 public:
  explicit ReorderWindow(std::size_t capacity) : capacity_(capacity) {}

  std::size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  // More items held than the capacity: take_smallest() is due.
  bool over_capacity() const { return order_.size() > capacity_; }

  // Holds `item` under `key`. Keys must differ (equal keys come out in no set order).
  void push(std::uint64_t key, T&& item) {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
      slots_[slot] = std::move(item);
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(std::move(item));
    }
    order_.emplace_back(key, slot);
    std::push_heap(order_.begin(), order_.end(), std::greater<>());
  }

  // The held item of the smallest key, no longer held. Not empty().
  T take_smallest() {
    std::pop_heap(order_.begin(), order_.end(), std::greater<>());
    const std::uint32_t slot = order_.back().second;
    order_.pop_back();
    free_.push_back(slot);
    return std::move(slots_[slot]);
  }

  void clear() {
    order_.clear();
    free_.clear();
    slots_.clear();
  }

 private:
  std::size_t capacity_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order_;  // min-heap of (key, slot)
  std::vector<T> slots_;
  std::vector<std::uint32_t> free_;
};

}  // namespace ts::sim
