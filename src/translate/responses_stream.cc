// Neutral stream events written as OpenAI Responses events (what Codex CLI reads): created,
// in_progress, one output item at a time with its part/delta/done events, then completed;
// every event numbered by sequence_number.
#include <map>

#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

enum class ItemKind { kMessage, kReasoning, kFunctionCall };

struct Item {
  ItemKind kind = ItemKind::kMessage;
  int output_index = 0;
  std::string id;
  std::string text;       // message text, reasoning summary, or function arguments
  std::string encrypted;  // reasoning: Anthropic signature or redacted data
  std::string call_id;
  std::string name;
  bool summary_open = false;
};

class ResponsesEncoder final : public EncoderSkeleton {
 public:
  explicit ResponsesEncoder(const RequestContext& ctx)
      : EncoderSkeleton(ctx, responses_id({}, ctx)) {}

 private:
  // The id the caller saw in response.created stays the answer's id.
  void adopt_id(std::string_view provider_id) override {
    if (!started_) id_ = responses_id(provider_id, ctx_);
  }

  void on_event(const ir::StreamEvent& ev, std::string& out) override {
    switch (ev.kind) {
      case ir::EventKind::kText:
        return on_text(ev, out);
      case ir::EventKind::kThinking:
        return on_thinking(ev, out);
      case ir::EventKind::kSignature:
      case ir::EventKind::kRedactedThinking:
        item_for(ev, ItemKind::kReasoning, out).encrypted.append(ev.text);
        return;
      case ir::EventKind::kToolStart:
        return void(item_for(ev, ItemKind::kFunctionCall, out));
      case ir::EventKind::kToolArgs:
        return on_args(ev, out);
      case ir::EventKind::kFinish:
        stop_ = ev.stop;
        return close_item(out);
      case ir::EventKind::kDone:
        return complete(out);
      case ir::EventKind::kStart:
      case ir::EventKind::kUsage:
      case ir::EventKind::kError:
        return;  // the skeleton's
    }
  }

  void write_error(std::string_view type, std::string_view message, std::string& out) override {
    ensure_started(out);
    json::object response = snapshot("failed");
    response["error"] = {
        {"code", type == "rate_limit_error" ? "rate_limit_exceeded" : "server_error"},
        {"message", message}};
    emit(out, "response.failed", {{"response", std::move(response)}});
  }

  void emit(std::string& out, std::string_view type, json::object fields) {
    json::object data{{"type", type}, {"sequence_number", seq_++}};
    for (auto& kv : fields) data.emplace(kv.key(), std::move(kv.value()));
    append_sse(out, type, json::serialize(data));
  }

  json::object snapshot(std::string_view status) const {
    json::object r = responses_envelope(id_, model_, status, ctx_);
    json::array output;
    for (const auto& [index, item] : output_) output.push_back(item);
    r["output"] = std::move(output);
    if (usage_.known && status != "in_progress") r["usage"] = write_responses_usage(usage_);
    return r;
  }

  void ensure_started(std::string& out) override {
    if (started_) return;
    started_ = true;
    emit(out, "response.created", {{"response", snapshot("in_progress")}});
    emit(out, "response.in_progress", {{"response", snapshot("in_progress")}});
  }

  static int kind_class(ItemKind k) { return static_cast<int>(k); }

  // The item for the event's upstream part: the open one, or a new one after closing it.
  // A function call whose arguments are not yet a whole JSON object when the next call starts
  // stays open too (chat providers may interleave parallel calls' deltas, keyed by index):
  // it is done at the next other item or the end, never before its last argument delta.
  Item& item_for(const ir::StreamEvent& ev, ItemKind kind, std::string& out) {
    ensure_started(out);
    const int key = ev.part * 3 + kind_class(kind);
    if (open_ && open_key_ == key) return item_;
    if (const auto it = open_calls_.find(key); it != open_calls_.end()) return it->second;
    if (const auto it = closed_items_.find(key); it != closed_items_.end()) return it->second;
    if (open_ && kind == ItemKind::kFunctionCall && item_.kind == ItemKind::kFunctionCall) {
      if (!parse_or_null(item_.text).is_object()) {
        open_calls_[open_key_] = std::move(item_);
      } else {
        close_one(open_key_, item_, out);
      }
      open_ = false;
    } else {
      close_item(out);
    }
    open_ = true;
    open_key_ = key;
    item_ = Item{};
    item_.kind = kind;
    item_.output_index = next_output_index_++;
    open_item(ev, out);
    return item_;
  }

  void open_item(const ir::StreamEvent& ev, std::string& out) {
    const int index = item_.output_index;
    json::object item;
    switch (item_.kind) {
      case ItemKind::kMessage:
        item_.id = responses_item_id("msg_", id_, index);
        item = responses_message_item(item_.id, "", "in_progress");
        break;
      case ItemKind::kReasoning:
        item_.id = responses_item_id("rs_", id_, index);
        item = responses_reasoning_item(item_.id, "", "", false);
        break;
      case ItemKind::kFunctionCall:
        item_.call_id = ev.id;
        item_.name = ev.name;
        item_.id = "fc_" + ev.id;
        item = responses_function_item(item_.id, ev.id, ev.name, "", "in_progress");
        break;
    }
    emit(out, "response.output_item.added", {{"output_index", index}, {"item", std::move(item)}});
    if (item_.kind == ItemKind::kMessage) {
      emit(out, "response.content_part.added",
           {{"item_id", item_.id},
            {"output_index", index},
            {"content_index", 0},
            {"part", text_part("")}});
    }
  }

  static json::object text_part(std::string_view text) {
    return {{"type", "output_text"}, {"text", text}, {"annotations", json::array{}}};
  }

  void on_text(const ir::StreamEvent& ev, std::string& out) {
    if (ev.text.empty()) return;
    Item& item = item_for(ev, ItemKind::kMessage, out);
    item.text.append(ev.text);
    emit(out, "response.output_text.delta",
         {{"item_id", item.id},
          {"output_index", item.output_index},
          {"content_index", 0},
          {"delta", ev.text},
          {"logprobs", json::array{}}});
  }

  void on_thinking(const ir::StreamEvent& ev, std::string& out) {
    if (ev.text.empty()) return;
    Item& item = item_for(ev, ItemKind::kReasoning, out);
    if (!item.summary_open) {
      item.summary_open = true;
      emit(out, "response.reasoning_summary_part.added",
           {{"item_id", item.id},
            {"output_index", item.output_index},
            {"summary_index", 0},
            {"part", {{"type", "summary_text"}, {"text", ""}}}});
    }
    item.text.append(ev.text);
    emit(out, "response.reasoning_summary_text.delta",
         {{"item_id", item.id},
          {"output_index", item.output_index},
          {"summary_index", 0},
          {"delta", ev.text}});
  }

  void on_args(const ir::StreamEvent& ev, std::string& out) {
    if (ev.text.empty()) return;
    Item& item = item_for(ev, ItemKind::kFunctionCall, out);
    item.text.append(ev.text);
    emit(out, "response.function_call_arguments.delta",
         {{"item_id", item.id}, {"output_index", item.output_index}, {"delta", ev.text}});
  }

  // Closes the open item, after the parallel calls opened before it (output_index order).
  void close_item(std::string& out) {
    for (auto& [key, call] : open_calls_) close_one(key, call, out);
    open_calls_.clear();
    if (!open_) return;
    open_ = false;
    close_one(open_key_, item_, out);
  }

  void close_one(int key, Item& it, std::string& out) {
    const int index = it.output_index;
    json::object done;
    switch (it.kind) {
      case ItemKind::kMessage:
        emit(out, "response.output_text.done",
             {{"item_id", it.id},
              {"output_index", index},
              {"content_index", 0},
              {"text", it.text},
              {"logprobs", json::array{}}});
        emit(out, "response.content_part.done",
             {{"item_id", it.id},
              {"output_index", index},
              {"content_index", 0},
              {"part", text_part(it.text)}});
        done = responses_message_item(it.id, it.text, "completed");
        break;
      case ItemKind::kReasoning:
        if (it.summary_open) {
          emit(out, "response.reasoning_summary_text.done",
               {{"item_id", it.id},
                {"output_index", index},
                {"summary_index", 0},
                {"text", it.text}});
          emit(out, "response.reasoning_summary_part.done",
               {{"item_id", it.id},
                {"output_index", index},
                {"summary_index", 0},
                {"part", {{"type", "summary_text"}, {"text", it.text}}}});
        }
        done = responses_reasoning_item(it.id, it.text, it.encrypted, true);
        break;
      case ItemKind::kFunctionCall:
        if (it.text.empty()) it.text = "{}";
        emit(out, "response.function_call_arguments.done",
             {{"item_id", it.id}, {"output_index", index}, {"arguments", it.text}});
        done = responses_function_item(it.id, it.call_id, it.name, it.text, "completed");
        break;
    }
    emit(out, "response.output_item.done", {{"output_index", index}, {"item", done}});
    output_[index] = std::move(done);
    closed_items_[key] = it;
  }

  void complete(std::string& out) {
    ensure_started(out);
    close_item(out);
    json::object response = snapshot("completed");
    set_responses_status(response, stop_);
    const bool complete = response.at("status").as_string() == "completed";
    emit(out, complete ? "response.completed" : "response.incomplete",
         {{"response", std::move(response)}});
    closed_ = true;
  }

  ir::StopReason stop_ = ir::StopReason::kEndTurn;
  std::map<int, json::value> output_;  // finished items by output_index
  int next_output_index_ = 0;
  Item item_;  // the open item
  bool open_ = false;
  int open_key_ = -1;
  std::map<int, Item> open_calls_;    // parallel calls opened before the open item, still open
  std::map<int, Item> closed_items_;  // late deltas of a closed item (see item_for)
  std::int64_t seq_ = 0;
  bool started_ = false;
};

}  // namespace

std::unique_ptr<StreamEncoder> make_responses_encoder(const RequestContext& ctx) {
  return std::make_unique<ResponsesEncoder>(ctx);
}

}  // namespace aigw::translate::detail
