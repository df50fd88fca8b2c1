#include "syncd/wire/initial_data_load.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <string_view>
#include <utility>

#include "syncd/domain/canonical_json.h"

namespace syncd::wire {

namespace {

// `value` as a JSON string (escaped where JSON requires).
void AppendString(std::string& out, std::string_view value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  out.append(buffer.GetString(), buffer.GetSize());
}

void AppendKey(std::string& out, std::string_view key) {
  out.push_back('"');
  out.append(key);  // our own names: nothing to escape
  out.append("\":");
}

constexpr std::string_view kCursorPrefix = "c1.";
constexpr size_t kChunkBytes = 1 << 20;

std::string CursorTag(std::string_view tenant_id) { return domain::Md5Hex(tenant_id).substr(0, 8); }

// A decimal number without sign or leading zeros (as EncodeCursor writes).
std::optional<int64_t> ParseCount(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::string EncodeCursor(std::string_view tenant_id, const db::ChangePosition& at) {
  std::string out(kCursorPrefix);
  out.append(std::to_string(at.epoch)).push_back('.');
  out.append(std::to_string(at.seq)).push_back('.');
  out.append(CursorTag(tenant_id));
  return out;
}

std::optional<db::ChangePosition> DecodeCursor(std::string_view tenant_id,
                                               std::string_view cursor) {
  if (cursor.substr(0, kCursorPrefix.size()) != kCursorPrefix) return std::nullopt;
  cursor.remove_prefix(kCursorPrefix.size());
  size_t dot1 = cursor.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  size_t dot2 = cursor.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return std::nullopt;
  std::optional<int64_t> epoch = ParseCount(cursor.substr(0, dot1));
  std::optional<int64_t> seq = ParseCount(cursor.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!epoch || !seq || cursor.substr(dot2 + 1) != CursorTag(tenant_id)) return std::nullopt;
  db::ChangePosition at;
  at.epoch = *epoch;
  at.seq = *seq;
  return at;
}

InitialLoadWriter::InitialLoadWriter(LoadHeader header) : header_(std::move(header)) {}

void InitialLoadWriter::StartPage() {
  text_ = std::string();
  text_.reserve(64 << 10);
  text_.append(R"({"type":"initial_data_load","event_type":"initial_data_load","tenant_id":)");
  AppendString(text_, header_.tenant_id);
  text_.append(R"(,"payload":{)");
  open_ = true;
  type_index_ = 0;
  in_array_ = false;
  entities_ = 0;
  items_ = 0;
}

void InitialLoadWriter::MoveToType(size_t index) {
  while (type_index_ < index) {
    if (!in_array_) {
      if (type_index_ > 0) text_.push_back(',');
      AppendKey(text_, domain::CollectionName(domain::AllEntityTypes()[type_index_]));
      text_.push_back('[');
    }
    text_.push_back(']');
    in_array_ = false;
    ++type_index_;
  }
}

void InitialLoadWriter::Add(const db::LoadRow& row) {
  if (open_ && header_.page_size > 0 && items_ >= header_.page_size) EndPage(/*last=*/false);
  if (!open_) StartPage();
  ++items_;
  auto index = static_cast<size_t>(row.type);
  if (row.deleted) {
    deleted_[index].emplace_back(row.entity_id);
    return;
  }
  MoveToType(index);
  if (!in_array_) {
    if (type_index_ > 0) text_.push_back(',');
    AppendKey(text_, domain::CollectionName(row.type));
    text_.push_back('[');
    in_array_ = true;
  } else {
    text_.push_back(',');
  }
  text_.append(row.data);
  ++entities_;
  if (text_.size() >= kChunkBytes) FlushChunk();
}

void InitialLoadWriter::FlushChunk() {
  chunks_.push_back(std::move(text_));
  text_ = std::string();
  text_.reserve(kChunkBytes + (64 << 10));
}

void InitialLoadWriter::EndPage(bool last) {
  MoveToType(domain::kEntityTypeCount);
  text_.push_back('}');
  if (!header_.full) {
    // All nine type names, as in data_status_response's deleted_entities.
    text_.append(R"(,"deleted":{)");
    for (size_t i = 0; i < deleted_.size(); ++i) {
      if (i > 0) text_.push_back(',');
      AppendKey(text_, domain::EntityTypeName(domain::AllEntityTypes()[i]));
      text_.push_back('[');
      for (size_t j = 0; j < deleted_[i].size(); ++j) {
        if (j > 0) text_.push_back(',');
        AppendString(text_, deleted_[i][j]);
      }
      text_.push_back(']');
      deleted_[i].clear();
    }
    text_.push_back('}');
  }
  text_.append(R"(,"server_timestamp":)").append(std::to_string(header_.server_timestamp_ms));
  text_.append(R"(,"total_count":)").append(std::to_string(entities_));
  text_.append(R"(,"cursor":)");
  AppendString(text_, header_.cursor);
  text_.append(header_.full ? R"(,"full":true)" : R"(,"full":false)");
  if (header_.page_size > 0) {
    text_.append(R"(,"page":)").append(std::to_string(pages_.size() + 1));
    text_.append(last ? R"(,"last_page":true)" : R"(,"last_page":false)");
  }
  text_.push_back('}');
  std::string page;
  if (chunks_.empty()) {
    page = std::move(text_);
    if (page.capacity() - page.size() > page.size() / 8) page.shrink_to_fit();
  } else {
    size_t total = text_.size();
    for (const std::string& chunk : chunks_) total += chunk.size();
    page.reserve(total);
    for (std::string& chunk : chunks_) {
      page.append(chunk);
      std::string().swap(chunk);  // each chunk goes as soon as it is copied
    }
    page.append(text_);
    chunks_.clear();
  }
  pages_.push_back(std::move(page));
  text_ = std::string();
  open_ = false;
}

std::vector<std::string> InitialLoadWriter::Finish() {
  if (!open_) StartPage();
  EndPage(/*last=*/true);
  return std::move(pages_);
}

}  // namespace syncd::wire
