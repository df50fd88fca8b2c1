// The text of `initial_data_load` (protocol.md): one message, or pages of at
// most page_size entities, each with the load's cursor. Written row by row
// as ReadStore::ReadLoad streams them, so that a load exists once in memory,
// as its finished text. Plain types; one thread per writer.
#ifndef SYNCD_WIRE_INITIAL_DATA_LOAD_H_
#define SYNCD_WIRE_INITIAL_DATA_LOAD_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "syncd/db/store.h"
#include "syncd/domain/entity.h"

namespace syncd::wire {

// What every message of one load carries besides its entities.
struct LoadHeader {
  std::string tenant_id;
  std::string cursor;  // the tenant's position the load was read at
  bool full = true;    // false: only what changed after the request's `since`
  int64_t server_timestamp_ms = 0;
  int page_size = 0;  // 0: one message without `page`/`last_page`
};

// Page sizes a request may ask for (protocol.md).
inline constexpr int kMinPageSize = 1;
inline constexpr int kMaxPageSize = 10000;

// The `cursor` of a load read at `at`: "c1.<epoch>.<seq>.<tag>", where tag
// is the first 8 hex digits of the tenant id's MD5. Opaque to clients.
std::string EncodeCursor(std::string_view tenant_id, const db::ChangePosition& at);
// The position a cursor names, or nothing when it is not one of ours or not
// made for `tenant_id`. Whether the position is still usable (same epoch,
// not ahead of the tenant) is the caller's question.
std::optional<db::ChangePosition> DecodeCursor(std::string_view tenant_id, std::string_view cursor);

class InitialLoadWriter {
 public:
  // header.cursor may be set later, with SetCursor before the first Add.
  explicit InitialLoadWriter(LoadHeader header);
  InitialLoadWriter(const InitialLoadWriter&) = delete;
  InitialLoadWriter& operator=(const InitialLoadWriter&) = delete;

  // `row` must not be of a type before the previous row's (AllEntityTypes
  // order). A tombstone's id goes to `deleted` (only incremental loads
  // have any); it counts towards the page's page_size like an entity.
  void Add(const db::LoadRow& row);
  void SetCursor(std::string cursor) { header_.cursor = std::move(cursor); }
  // The messages, in order; at least one (an empty load is one message).
  std::vector<std::string> Finish();

 private:
  void StartPage();
  // Moves the text written so far to chunks_ (see kChunkBytes).
  void FlushChunk();
  // Writes empty arrays up to (not including) type index `index`.
  void MoveToType(size_t index);
  void EndPage(bool last);

  LoadHeader header_;
  std::vector<std::string> pages_;
  // The page being written: its first parts in chunks_, the rest in text_.
  // A large page grows chunk by chunk and is joined once, at its exact size,
  // instead of by doubling one string (up to 2x the page while it grows, 3x
  // with the copy that would shrink it).
  std::vector<std::string> chunks_;
  std::string text_;
  bool open_ = false;      // text_ holds a started page
  size_t type_index_ = 0;  // types before it are written; it is open when in_array_
  bool in_array_ = false;
  int64_t entities_ = 0;  // in this page
  int64_t items_ = 0;     // entities and deleted ids in this page
  std::array<std::vector<std::string>, domain::kEntityTypeCount> deleted_;
};

}  // namespace syncd::wire

#endif  // SYNCD_WIRE_INITIAL_DATA_LOAD_H_
