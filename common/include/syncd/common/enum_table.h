// One table per enum that gives both directions: the name of a value (for
// the wire, the database and logs) and the value of a name. Writing both from
// one list keeps them from drifting apart. Constant after construction; any
// thread.
//
//   constexpr auto kColours = common::MakeEnumTable<Colour>({
//       {Colour::kRed, "red"},
//       {Colour::kGreen, "green"},
//   });
//   kColours.Name(Colour::kRed);  // "red"
//   kColours.Parse("green");      // Colour::kGreen
#ifndef SYNCD_COMMON_ENUM_TABLE_H_
#define SYNCD_COMMON_ENUM_TABLE_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace syncd::common {

template <typename E>
struct EnumName {
  E value{};
  std::string_view name;
};

// ASCII only: names are identifiers, never user text.
constexpr bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

template <typename E, std::size_t N>
class EnumTable {
 public:
  static_assert(N > 0, "an enum table needs at least one entry");

  constexpr explicit EnumTable(const EnumName<E> (&entries)[N]) {
    for (std::size_t i = 0; i < N; ++i) entries_[i] = entries[i];
  }

  // The name of `value`; the first entry's name for a value the table does
  // not list (only a cast of an out-of-range integer can make one).
  constexpr std::string_view Name(E value) const {
    for (const EnumName<E>& entry : entries_) {
      if (entry.value == value) return entry.name;
    }
    return entries_[0].name;
  }

  // Exact match.
  constexpr std::optional<E> Parse(std::string_view name) const {
    for (const EnumName<E>& entry : entries_) {
      if (entry.name == name) return entry.value;
    }
    return std::nullopt;
  }

  // ASCII case-insensitive match, for names clients send ("Account", "account").
  constexpr std::optional<E> ParseIgnoreCase(std::string_view name) const {
    for (const EnumName<E>& entry : entries_) {
      if (EqualsIgnoreAsciiCase(entry.name, name)) return entry.value;
    }
    return std::nullopt;
  }

  // The entries in table order.
  constexpr const std::array<EnumName<E>, N>& entries() const { return entries_; }

 private:
  std::array<EnumName<E>, N> entries_{};
};

// Deduces N from the braced list: MakeEnumTable<Colour>({{...}, {...}}).
template <typename E, std::size_t N>
constexpr EnumTable<E, N> MakeEnumTable(const EnumName<E> (&entries)[N]) {
  return EnumTable<E, N>(entries);
}

}  // namespace syncd::common

#endif  // SYNCD_COMMON_ENUM_TABLE_H_
