// ReportOnlyResults: SPEC C8's report-only list, without a per-request scan.
//
// C8 gives every report-only policy of the request's kind an entry, sorted by
// id. Most of them cannot apply to a given request (they target other apps or
// contexts), so their entry is always `notApplied`. The compiled policy keeps
// the sorted ids once; an evaluation records only the policies it actually
// judged, by their position in that list, and every other position reads
// `notApplied`. Recording is O(judged policies), not O(report-only policies);
// reading the whole list (to build a Decision proto, say) is the output's own
// size.
#ifndef CONSENT_ENGINE_REPORT_ONLY_RESULTS_H_
#define CONSENT_ENGINE_REPORT_ONLY_RESULTS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace consent {

class ReportOnlyResults {
 public:
  // (policy id, result): result is one of C8's `notApplied`, `failure`,
  // `userActionRequired`, `success`.
  using Entry = std::pair<absl::string_view, absl::string_view>;

  static constexpr absl::string_view kNotApplied = "notApplied";

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Entry;

    Entry operator*() const {
      const absl::string_view result = next_ < owner_->set_.size() &&
                                               owner_->set_[next_].first == pos_
                                           ? owner_->set_[next_].second
                                           : kNotApplied;
      return {owner_->ids_[pos_], result};
    }
    const_iterator& operator++() {
      if (next_ < owner_->set_.size() && owner_->set_[next_].first == pos_) ++next_;
      ++pos_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const const_iterator& o) const { return pos_ == o.pos_; }
    bool operator!=(const const_iterator& o) const { return pos_ != o.pos_; }

   private:
    friend class ReportOnlyResults;
    const_iterator(const ReportOnlyResults* owner, size_t pos) : owner_(owner), pos_(pos) {}
    const ReportOnlyResults* owner_;
    size_t pos_;
    size_t next_ = 0;  // first entry of set_ at or after pos_
  };

  // No entries at all (keeps capacity).
  void Clear() {
    ids_ = {};
    set_.clear();
    sorted_ = true;
  }
  // Starts a list over `ids`: every report-only policy of the request's kind,
  // sorted by id, owned by the compiled policy. All read `notApplied`.
  void Reset(absl::Span<const absl::string_view> ids) {
    ids_ = ids;
    set_.clear();
    sorted_ = true;
  }
  // Records the result of the policy at `position` in the ids. Each position
  // at most once.
  void Set(int32_t position, absl::string_view result) {
    if (!set_.empty() && set_.back().first > static_cast<size_t>(position)) sorted_ = false;
    set_.emplace_back(static_cast<size_t>(position), result);
  }
  // Call after the last Set, before reading.
  void Finish() {
    if (!sorted_) std::sort(set_.begin(), set_.end());
    sorted_ = true;
  }

  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, ids_.size()); }
  Entry operator[](size_t i) const {
    auto it = std::lower_bound(set_.begin(), set_.end(), i,
                               [](const std::pair<size_t, absl::string_view>& e, size_t p) {
                                 return e.first < p;
                               });
    return {ids_[i], it != set_.end() && it->first == i ? it->second : kNotApplied};
  }

 private:
  absl::Span<const absl::string_view> ids_;
  std::vector<std::pair<size_t, absl::string_view>> set_;  // by position once Finish()ed
  bool sorted_ = true;
};

}  // namespace consent

#endif  // CONSENT_ENGINE_REPORT_ONLY_RESULTS_H_
